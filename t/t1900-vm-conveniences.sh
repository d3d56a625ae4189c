#!/usr/bin/env bash
# Everyday conveniences: export formats by suffix, vm list on an empty S2EDIR,
# vm delete of several VMs, vm import without NAME, vm rename, vm info.
. "$(dirname "$0")/lib.sh"

s2e vm create MyBox 1M >/dev/null
vm=$S2EDIR/vm/MyBox
echo ready >"$vm/disk.s2e.ready"; touch -d "-2 min" "$vm/disk.s2e.ready"
echo base >"$vm/disk.s2e.base"; touch -d "-1 min" "$vm/disk.s2e.base"
cd "$T_TMP" || exit 1

# ---- export: the suffix chooses the format ----
magic() { head -c 4 "$1" | od -An -tx1 | tr -d ' \n'; }
s2e vm export MyBox a.tar.zst >/dev/null
t_is "export to .tar.zst writes zstd" "$(magic a.tar.zst)" 28b52ffd
s2e vm export MyBox a.tgz >/dev/null
t_is "export to .tgz writes gzip" "$(magic a.tgz | head -c 4)" 1f8b
s2e vm export MyBox a.tar >/dev/null
t_is "export to .tar writes an uncompressed tar" "$(dd if=a.tar bs=1 skip=257 count=5 2>/dev/null)" ustar
s2e vm export MyBox a.bin >/dev/null
t_is "an unknown suffix keeps gzip" "$(magic a.bin | head -c 4)" 1f8b
s2e vm export --format zstd MyBox b.bin >/dev/null
t_is "... or --format" "$(magic b.bin)" 28b52ffd
t_exit 2 "--format contradicting the suffix is a usage error" s2e vm export --format gzip MyBox c.tar.zst
t_is "... naming both" "$(s2e vm export --format none MyBox c.tar.gz 2>&1 | head -1)" \
	"s2e vm export: --format none contradicts the suffix of 'c.tar.gz' (gzip)"
t_ok "... and writes nothing" test ! -e c.tar.zst -a ! -e c.tar.gz
t_ok "--format agreeing with the suffix is fine" s2e vm export --format zstd MyBox c.tar.zst
out=$(s2e vm export MyBox MyBox.tar.gz)
t_is "the seed's export command is unchanged" "$out" "[INFO] exporting to $T_TMP/MyBox.tar.gz
[ OK ] package disk image
[ OK ] package snapshot: ready
[ OK ] package snapshot: base
[ OK ] compress package
[ OK ] clean up"
t_is "... and writes gzip" "$(magic MyBox.tar.gz | head -c 4)" 1f8b
rm -f a.* b.bin c.tar.zst MyBox.tar.gz

# ---- vm list on an empty default S2EDIR ----
mkdir -p "$T_TMP/home2"
out=$(env -u S2EDIR HOME="$T_TMP/home2" s2e vm list 2>&1 >/dev/null)
t_is "an empty default S2EDIR: vm list says where it looked, on stderr" "$out" \
	"[INFO] no VMs in $T_TMP/home2/s2e (the default S2EDIR: set S2EDIR or use --s2edir DIR for another)"
t_is "... with nothing on stdout" "$(env -u S2EDIR HOME="$T_TMP/home2" s2e vm list 2>/dev/null)" ""
t_is "... nor with --json" "$(env -u S2EDIR HOME="$T_TMP/home2" s2e vm list --json 2>&1)" "[]"
t_is "an S2EDIR given by the user lists nothing, silently" \
	"$(env -u S2EDIR HOME="$T_TMP/home2" s2e vm list --s2edir "$T_TMP/empty" 2>&1)" ""

# ---- vm delete A B ... ----
commits() { git -C "$S2EDIR" rev-list --count HEAD; }
for v in D1 D2 D3; do s2e vm create $v 1M >/dev/null; done
n0=$(commits)
out=$(s2e vm delete -y D1 Nope D2 Nope2 2>&1)
t_is "deleting several VMs, some missing, fails" "$?" 1
t_is "... naming each problem" "$out" "[FAIL] s2e vm delete: no such VM 'Nope'
[FAIL] s2e vm delete: no such VM 'Nope2'
[FAIL] s2e vm delete: nothing deleted: 2 of 4 operands are wrong"
t_ok "... and deletes none" test -d "$S2EDIR/vm/D1" -a -d "$S2EDIR/vm/D2"
t_is "... nor records anything" "$(commits)" "$n0"
t_exit 1 "a missing snapshot among them fails too" s2e vm delete -y D1 D2:nope
t_is "... one wrong operand of two, in the summary" "$(s2e vm delete -y D1 D2:nope 2>&1 | tail -1)" \
	"[FAIL] s2e vm delete: nothing deleted: 1 of 2 operands is wrong"
t_exit 1 "so does a name given twice" s2e vm delete -y D1 D1
t_ok "... deleting none" test -d "$S2EDIR/vm/D1"
t_exit 1 "without a terminal or -y, several VMs are not deleted" s2e vm delete D1 D2 </dev/null
t_is "... saying how" "$(s2e vm delete D1 D2 2>&1 </dev/null)" \
	"[FAIL] s2e vm delete: refusing to delete 2 VMs without confirmation: standard input is not a terminal (use -y)"
echo snap >"$S2EDIR/vm/D3/disk.s2e.s1"
t_is "-y deletes each, one line each" "$(s2e vm delete -y D1 D2 D3:s1 2>&1)" "[ OK ] delete D1
[ OK ] delete D2
[ OK ] delete snapshot D3:s1"
t_ok "... all of them" test ! -e "$S2EDIR/vm/D1" -a ! -e "$S2EDIR/vm/D2" -a ! -e "$S2EDIR/vm/D3/disk.s2e.s1"
t_is "... one commit each" "$(commits)" "$((n0 + 3))"
t_exit 2 "no operand is a usage error" s2e vm delete -y
if python3 -c 'import pty' 2>/dev/null; then
	s2e vm create D1 1M >/dev/null
	out=$("$T_DIR/helpers/pty-answer" '[y/N] ' y s2e vm delete D1 D3)
	t_is "on a terminal, one question for all" "$out" "Delete VMs D1, D3? [y/N] y
[ OK ] delete D1
[ OK ] delete D3"
else
	t_skip "on a terminal, one question for all" "python3's pty module is not available"
fi

# ---- vm import FILE: the name from the manifest ----
s2e vm export MyBox pkg.tar.gz >/dev/null
t_exit 1 "import without NAME of an existing VM's package refuses" s2e vm import pkg.tar.gz
t_is "... saying so" "$(s2e vm import pkg.tar.gz 2>&1 | tail -1)" \
	"[FAIL] s2e vm import: VM 'MyBox' (named by the package) already exists (use -f to replace it, or give NAME)"
s2e vm delete -y MyBox >/dev/null
out=$(s2e vm import pkg.tar.gz)
t_is "import without NAME takes the manifest's" "$?:$(s2e vm list --short)" "0:MyBox	1.0MiB	ready, base"
t_is "... with the seed's lines" "$out" "[ OK ] initialise VM
[ OK ] decompress package
[ OK ] scan package
[ OK ] extract disk image
[ OK ] extract snapshot: ready
[ OK ] extract snapshot: base
[ OK ] clean up"
t_is "... recorded in the words typed" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm import pkg.tar.gz"
(cd "$vm" && tar czf "$T_TMP/plain.tgz" disk.s2e disk.s2e.ready)
t_exit 2 "a package without a manifest and no NAME is a usage error" s2e vm import plain.tgz
t_is "... asking for NAME" "$(s2e vm import plain.tgz 2>&1 | grep -v '^\[ OK' | head -1)" \
	"s2e vm import: 'plain.tgz' names no VM (it has no manifest): give NAME"
t_exit 2 "--raw without NAME is a usage error" s2e vm import --raw "$vm/disk.s2e"
mkdir pk && tar xzf pkg.tar.gz -C pk
bad_pkg() # NAME: pkg.tar.gz with its manifest naming the VM NAME, as bad.tgz
{
	git config -f pk/s2e-package.conf package.name "$1" &&
		(cd pk && tar czf ../bad.tgz disk.s2e disk.s2e.ready disk.s2e.base s2e-package.conf)
}
for bad in .hidden 'a:b' $'x\ty' $'a\nb' 'a\b' $'\xe2\x80\xaeevil'; do
	bad_pkg "$bad"
	n=$(commits) before=$(ls -A "$S2EDIR/vm")
	out=$(s2e vm import bad.tgz 2>&1)
	rc=$?
	t_is "a manifest naming the VM $(printf %q "$bad") is refused" "$rc" 1
	t_ok "... with a message showing the name" grep -q "names the VM '.*', which is not a valid VM name: give NAME" <<<"$out"
	t_is "... creating nothing" "$(ls -A "$S2EDIR/vm"):$(commits)" "$before:$n"
done
bad_pkg $'x\ty'
t_ok "the name is shown escaped" grep -qF "names the VM 'x\ty'" <<<"$(s2e vm import bad.tgz 2>&1)"
s2e vm import bad.tgz Good >/dev/null
t_ok "a NAME given overrides the manifest's" test -f "$S2EDIR/vm/Good/disk.s2e"
s2e vm delete -y Good >/dev/null
rm -rf pk bad.tgz plain.tgz pkg.tar.gz

# ---- vm rename ----
s2e vm export MyBox >/dev/null && rm -f MyBox.tar.gz
n=$(commits)
git_life=$(git -C "$S2EDIR" log --format=%s -- vm/MyBox)
s2e_life=$(s2e log --vm MyBox | cut -d' ' -f5-)
t_is "rename prints one line" "$(s2e vm rename MyBox Renamed 2>&1)" "[ OK ] rename MyBox to Renamed"
t_ok "... the VM is there under its new name" test -f "$S2EDIR/vm/Renamed/disk.s2e" -a -f "$S2EDIR/vm/Renamed/disk.s2e.ready"
t_ok "... and no longer under the old" test ! -e "$S2EDIR/vm/MyBox"
t_is "... snapshots in their order" "$(s2e vm list --short Renamed)" "Renamed	1.0MiB	ready, base"
t_is "... in one commit" "$(commits)" "$((n + 1))"
t_is "... that git sees as a rename" "$(git -C "$S2EDIR" show --format= --name-status -M HEAD)" \
	"R100	vm/MyBox/vm.config	vm/Renamed/vm.config"
t_is "git log --follow follows it" \
	"$(git -C "$S2EDIR" log --follow --format=%s -- vm/Renamed/vm.config)" "vm rename MyBox Renamed
$git_life"
t_is "s2e log --vm follows it" "$(s2e log --vm Renamed | cut -d' ' -f5-)" "vm rename MyBox Renamed
$s2e_life"
s2e vm create MyBox 1M >/dev/null
s2e vm rename Renamed 'New Box' >/dev/null
t_is "... through several renames, not into a later VM of the old name" \
	"$(s2e log --vm 'New Box' | cut -d' ' -f5-)" "vm rename Renamed 'New Box'
vm rename MyBox Renamed
$s2e_life"
t_is "git fsck finds nothing wrong" "$(git -C "$S2EDIR" fsck 2>&1)" ""
n=$(commits)
t_exit 1 "renaming onto an existing VM fails" s2e vm rename 'New Box' MyBox
t_is "... saying so" "$(s2e vm rename 'New Box' MyBox 2>&1)" "[FAIL] s2e vm rename: VM 'MyBox' already exists"
mkdir "$S2EDIR/vm/Defunct"
t_exit 1 "... even a defunct one" s2e vm rename 'New Box' Defunct
rmdir "$S2EDIR/vm/Defunct"
t_exit 1 "renaming a missing VM fails" s2e vm rename Nope Other
t_is "... saying so" "$(s2e vm rename Nope Other 2>&1)" "[FAIL] s2e vm rename: no such VM 'Nope'"
t_exit 1 "an invalid new name is refused" s2e vm rename MyBox .dot
t_exit 1 "... as is one git refuses" s2e vm rename MyBox GIT~1
t_exit 2 "the same name twice is a usage error" s2e vm rename MyBox MyBox
t_exit 2 "one operand is a usage error" s2e vm rename MyBox
t_is "... none of which changed anything" "$(commits):$(ls "$S2EDIR/vm" | tr '\n' ,)" "$n:MyBox,New Box,"
# A failed commit (the history locked by another git) renames it back.
touch "$S2EDIR/.git/index.lock"
t_exit 1 "a locked history refuses the rename" s2e vm rename MyBox Locked
rm -f "$S2EDIR/.git/index.lock"
t_ok "... and the VM keeps its name" test -d "$S2EDIR/vm/MyBox" -a ! -e "$S2EDIR/vm/Locked"

# In use: a run holds the VM.
FAKE=$T_DIR/helpers/fake-qemu
mkdir -p "$S2EDIR/src/config" && echo '-- config' >"$S2EDIR/src/config/default-config.lua"
FAKE_QEMU_HANG=1 FAKE_QEMU_READY=$T_TMP/ready s2e vm run --qemu "$FAKE" --accel=tcg MyBox kvm \
	--expname k1 >"$T_TMP/hung.out" 2>&1 &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null; t_cleanup' EXIT
for _ in $(seq 200); do [ -e "$T_TMP/ready" ] && break; sleep 0.05; done
out=$(s2e vm rename MyBox Busy 2>&1)
t_is "rename while the VM is in use is refused" "$?" 1
t_is "... saying why" "$out" "[FAIL] s2e vm rename: VM 'MyBox' is in use by a running s2e vm run"
out=$(s2e vm delete -y 'New Box' MyBox 2>&1)
t_is "delete of several, one in use, is refused" "$?" 1
t_ok "... deleting none" test -d "$S2EDIR/vm/New Box" -a -d "$S2EDIR/vm/MyBox"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
t_ok "once the run is over, rename works" s2e vm rename MyBox Busy

# ---- vm info ----
s2e vm create Info 4M >/dev/null
head -c 8192 /dev/urandom | dd of="$S2EDIR/vm/Info/disk.s2e" conv=notrunc 2>/dev/null
echo one >"$S2EDIR/vm/Info/disk.s2e.first"
touch -d "-1 min" "$S2EDIR/vm/Info/disk.s2e.first"
echo two >"$S2EDIR/vm/Info/disk.s2e.second"
s2e vm config Info run.memory 1G
s2e vm config Info image.description $'tab\there'
for e in e1 e2 e3; do
	s2e vm run --qemu "$FAKE" Info:first sym --expname $e >/dev/null 2>&1
done
out=$(s2e vm info Info)
t_ok "vm info shows the size" grep -qxF "  Size: 4.0MiB (4194304 bytes)" <<<"$out"
t_ok "... and the allocated size" grep -qE "^  Allocated: [0-9.]+KiB, with snapshots [0-9.]+KiB$" <<<"$out"
t_ok "... the origin" grep -qxF "  Origin: created" <<<"$out"
t_ok "... the last commit" grep -qxF "  Last commit: $(git -C "$S2EDIR" log -1 --format=%H -- vm/Info)" <<<"$out"
t_is "... the snapshots in order, with times" \
	"$(sed -n '/^  Snapshots:/,/^  Settings:/p' <<<"$out" | sed 1d | sed '$d' | cut -f1,2 | cut -d' ' -f1-5)" \
	"    first	modified
    second	modified"
t_ok "... the settings" grep -qxF "    run.memory=1G" <<<"$out"
t_ok "... escaped for the terminal" grep -qF 'image.description=tab\there' <<<"$out"
t_is "... the last experiments, newest first" \
	"$(sed -n '/^  Last experiments:/,$p' <<<"$out" | sed 1d | cut -f1,2)" "    e3	sym first
    e2	sym first
    e1	sym first"
json=$(s2e vm info --json Info)
t_ok "vm info --json is valid JSON" python3 -m json.tool <<<"$json"
t_is "... with the same data" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["name"], d["size"], d["allocated"] > 0, d["allocated_total"] >= d["allocated"], d["origin"])
print([s["name"] for s in d["snapshots"]], [s["disk_digest"] for s in d["snapshots"]])
print([(s["key"], s["value"]) for s in d["settings"]])
print([(e["name"], e["mode"], e["snapshot"], e["state"]) for e in d["experiments"]])
' <<<"$json")" "Info 4194304 True True created
['first', 'second'] [None, None]
[('run.memory', '1G'), ('image.description', 'tab\there')]
[('e3', 'sym', 'first', 'finished'), ('e2', 'sym', 'first', 'finished'), ('e1', 'sym', 'first', 'finished')]"
# Untrusted bytes in vm.config: a backspace and bytes that are not UTF-8.
printf '[image]\n\tos = "x\\b\xff\xe2\x80\xaey"\n' >>"$S2EDIR/vm/Info/vm.config"
t_ok "control characters and bad UTF-8 are escaped in text" \
	grep -qxF '    image.os=x\x08\xff\u202Ey' <<<"$(s2e vm info Info)"
t_ok "... and JSON stays valid" python3 -m json.tool <<<"$(s2e vm info --json Info)"
s2e vm rename Info Info2 >/dev/null
t_is "after a rename, the experiments are still shown" \
	"$(s2e vm info --json Info2 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["experiments"]))')" 3
t_exit 1 "vm info of a missing VM fails" s2e vm info Nope
t_is "... saying so" "$(s2e vm info Nope 2>&1)" "[FAIL] s2e vm info: no such VM 'Nope'"
t_exit 2 "vm info without NAME is a usage error" s2e vm info
mkdir "$S2EDIR/vm/Hand" && truncate -s 1M "$S2EDIR/vm/Hand/disk.s2e"
t_ok "a VM made by hand is described" grep -qxF "  Origin: made by hand (not recorded)" <<<"$(s2e vm info Hand)"

t_done
