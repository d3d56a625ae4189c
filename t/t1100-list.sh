#!/usr/bin/env bash
# s2e vm list: the seed's format, creation and snapshot order, hand-made VMs.
. "$(dirname "$0")/lib.sh"

t_is "an empty S2EDIR lists nothing" "$(s2e vm list 2>&1)" ""
t_ok "listing does not create S2EDIR" test ! -e "$S2EDIR/vm"

s2e vm create MyBox 7680M >/dev/null
t_is "the seed's list after create" "$(s2e vm list)" "MyBox
  Size: 7680.0MiB"

# Snapshots as QEMU's savevm makes them: files next to the image, in the
# order taken (here: distinct modification times, not name order).
vm=$S2EDIR/vm/MyBox
for s in ready base asdfölkj; do
	head -c 4096 /dev/urandom >"$vm/disk.s2e.$s"
	touch -d "@$((1700000000 + ${#s}))" "$vm/disk.s2e.$s"
done
touch -d @1700000001 "$vm/disk.s2e.ready"
touch -d @1700000002 "$vm/disk.s2e.base"
touch -d @1700000003 "$vm/disk.s2e.asdfölkj"
s2e vm create MyClonedBox 7680M >/dev/null
for s in ready base asdfölkj; do cp -p "$vm/disk.s2e.$s" "$S2EDIR/vm/MyClonedBox/"; done

t_is "the seed's list of two VMs with snapshots" "$(s2e vm list)" "MyBox
  Size: 7680.0MiB
  Snapshots:
    ready
    base
    asdfölkj
MyClonedBox
  Size: 7680.0MiB
  Snapshots:
    ready
    base
    asdfölkj"

# VMs list in creation order, not by name.
s2e vm create AnImportedBox 7680M >/dev/null
t_is "VMs are listed in the order created" "$(s2e vm list | grep -v '^ ')" "MyBox
MyClonedBox
AnImportedBox"

t_is "naming VMs lists only those, in that order" "$(s2e vm list AnImportedBox MyBox | grep -v '^ ')" \
	"AnImportedBox
MyBox"
t_exit 1 "naming a missing VM fails" s2e vm list MyBox Nope
t_is "... after listing the others" "$(s2e vm list MyBox Nope 2>/dev/null | head -1)" "MyBox"
t_is "... with a message naming it" "$(s2e vm list Nope 2>&1)" \
	"[FAIL] s2e vm list: no such VM 'Nope'"

# Hand-made VMs, and defunct ones (a directory without disk.s2e).
mkdir "$S2EDIR/vm/Defunct"
mkdir "$S2EDIR/vm/ByHand" && truncate -s 1G "$S2EDIR/vm/ByHand/disk.s2e"
t_is "a directory without disk.s2e is <defunct>" "$(s2e vm list Defunct)" "Defunct
  <defunct>"
t_is "a VM made by hand lists" "$(s2e vm list ByHand)" "ByHand
  Size: 1024.0MiB"
t_is "staging directories are never listed" \
	"$(mkdir "$S2EDIR/vm/.s2e-staging-x"; s2e vm list | grep -c staging)" 0
t_ok "files in vm/ are not VMs" bash -c "touch '$S2EDIR/vm/stray'; ! s2e vm list | grep -q stray"

# --json has the same data and more.
json=$(s2e vm list --json MyBox Defunct)
t_ok "--json is valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$json"
t_is "--json gives names, sizes and snapshots in order" "$(python3 -c '
import json, sys
for vm in json.loads(sys.argv[1]):
    print(vm["name"], vm["defunct"], vm["size"], vm["allocated"] >= 0,
          [s["name"] for s in vm["snapshots"]])' "$json")" \
	"MyBox False 8053063680 True ['ready', 'base', 'asdfölkj']
Defunct True 0 True []"
t_is "--json of nothing is an empty array" "$(s2e --s2edir "$T_TMP/empty" vm list --json)" "[]"

# list never takes the lock: it works while another command holds it.
mkdir -p "$S2EDIR/.s2e"
exec 9>"$S2EDIR/.s2e/lock"
flock 9
t_ok "list does not wait for the lock" timeout 5 s2e vm list MyBox
t_exit 1 "a mutating command gives up on a held lock" env S2E_LOCK_TIMEOUT=0.3 s2e vm create Locked 1M
t_is "... with a message saying why" \
	"$(S2E_LOCK_TIMEOUT=0.2 s2e vm create Locked 1M 2>&1 | grep -c 'is busy')" 1
exec 9>&-

# --short: one line per VM, tab-separated, snapshots in order.
S=$T_TMP/short
s2e --s2edir "$S" vm create 'Short Box' 1M >/dev/null
s2e --s2edir "$S" vm create Other 2G >/dev/null
: >"$S/vm/Short Box/disk.s2e.first"
touch -d '@1000000000' "$S/vm/Short Box/disk.s2e.first"
: >"$S/vm/Short Box/disk.s2e.b"
mkdir "$S/vm/Gone"
t_is "vm list --short: one line per VM" "$(s2e --s2edir "$S" vm list --short)" \
	"$(printf 'Short Box\t1.0MiB\tfirst, b\nOther\t2048.0MiB\t\nGone\t<defunct>\t')"
t_is "... of the VMs named" "$(s2e --s2edir "$S" vm list --short Other)" "$(printf 'Other\t2048.0MiB\t')"
t_done
