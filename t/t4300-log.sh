#!/usr/bin/env bash
# s2e log: the history of VMs and experiments, the same commits as git log.
. "$(dirname "$0")/lib.sh"

t_is "s2e log on a fresh S2EDIR prints nothing" "$(s2e log)" ""
t_exit 0 "... and succeeds" s2e log
t_is "--json on a fresh S2EDIR is an empty list" "$(s2e log --json)" "[]"

mkdir -p "$T_TMP/bin" "$S2EDIR/src/config"
printf '#!/bin/sh\nexit "${FAKE_EXIT:-0}"\n' >"$T_TMP/bin/fake-qemu"
chmod +x "$T_TMP/bin/fake-qemu"
echo '-- config' >"$S2EDIR/src/config/default-config.lua"
export S2E_QEMU=$T_TMP/bin/fake-qemu

s2e vm create Alpha 1M >/dev/null
s2e vm create Beta 2M >/dev/null
s2e vm run Alpha sym --expname e1 >/dev/null
FAKE_EXIT=4 s2e vm run Beta sym --expname e2 >/dev/null
s2e vm delete -y Beta >/dev/null

# git's commits, but for the first of each run's two (start, then record).
git_ops() { git -C "$S2EDIR" log ${2:+"$2"} --format="%H${1:-}%x01%s" | grep -av $'\x01run [^:]*$' | sed 's/\x01.*//'; }
t_is "one line per operation, git log's commits but a run's two shown as one" \
	"$(s2e log | cut -d' ' -f1)" "$(git_ops | cut -c1-7)"
t_is "... with git's subjects" \
	"$(s2e log | cut -d' ' -f5-)" "$(git_ops ' %s' | cut -d' ' -f2-)"
t_is "... and dates" \
	"$(s2e log | cut -d' ' -f2-4)" "$(git_ops ' %ad' --date=iso | cut -d' ' -f2-)"
t_is "... the run's start commit is there for git" "$(git -C "$S2EDIR" log --format=%s | grep -c '^run Alpha sym e1$')" 1
t_is "--vm Alpha: its creation and its run" "$(s2e log --vm Alpha | cut -d' ' -f5- | sed 's/ after .*//')" \
	"run Alpha sym e1: exit 0
vm create Alpha 1M"
t_is "--vm Beta: a deleted VM's history stays" "$(s2e log --vm Beta | cut -d' ' -f5- | sed 's/ after .*//')" \
	"vm delete Beta
run Beta sym e2: exit 4
vm create Beta 2M"
t_is "--experiments: only the runs, one line each" "$(s2e log --experiments | cut -d' ' -f5- | sed 's/:.*//')" \
	"run Beta sym e2
run Alpha sym e1"
t_is "--experiments --vm Alpha" "$(s2e log --experiments --vm Alpha | wc -l)" 1
t_is "-n 2" "$(s2e log -n 2 | wc -l)" 2
t_ok "-v shows the bodies" bash -c "s2e log -v -n 1 --experiments | grep -q '^    Exit status: 4$'"
out=$(s2e log --vm Nobody 2>&1)
t_is "--vm Nobody (never a VM): exit 1" "$?" 1
t_is "... saying so" "$out" "[FAIL] s2e log: no VM named 'Nobody' in $S2EDIR or its history"
t_exit 1 "... --json too" s2e log --json --vm Nobody

if command -v python3 >/dev/null; then
	t_ok "--json is valid JSON" bash -c "s2e log --json | python3 -m json.tool >/dev/null"
	t_is "--json carries the experiment records" \
		"$(s2e log --json --experiments -n 1 | python3 -c 'import json,sys; e=json.load(sys.stdin)[0]["experiments"][0]; print(e["name"], e["vm"], e["mode"], e["state"], e["exitStatus"])')" \
		"e2 Beta sym finished 4"
	t_is "--json: the VMs a commit touched" \
		"$(s2e log --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["vms"])')" "['Beta']"
	t_is "--json: commit ids as git's" \
		"$(s2e log --json | python3 -c 'import json,sys; print("\n".join(c["commit"] for c in json.load(sys.stdin)))')" \
		"$(git_ops)"
else
	t_skip "--json" "python3 is not installed"
fi

t_exit 1 "--vm with a bad name" s2e log --vm .x
t_is "options may follow nothing but options: -n after --vm" "$(s2e log --vm Alpha -n 1 | wc -l)" 1

# A history that exists but cannot be opened is an error, not an empty log.
mkdir -p "$T_TMP/broken"
echo "gitdir: /nonexistent" >"$T_TMP/broken/.git"
out=$(s2e --s2edir "$T_TMP/broken" log 2>&1)
t_is "a history that cannot be opened: exit 1" "$?" 1
t_ok "... with a message naming it" bash -c "printf '%s' \"\$1\" | grep -q \"^\\[FAIL\\] s2e log: cannot open the history repository '$T_TMP/broken/.git'\"" _ "$out"
t_exit 1 "... --json too" s2e --s2edir "$T_TMP/broken" log --json
mkdir -p "$T_TMP/empty"
t_is "an S2EDIR with no history yet: nothing, exit 0" "$(s2e --s2edir "$T_TMP/empty" log; echo "rc=$?")" "rc=0"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	cp -a "$S2EDIR" "$T_TMP/theirs"
	chown -R nobody "$T_TMP/theirs"
	out=$(s2e --s2edir "$T_TMP/theirs" log 2>&1)
	t_is "another user's S2EDIR (dubious ownership): exit 1" "$?" 1
	t_ok "... saying why" bash -c "printf '%s' \"\$1\" | grep -q 'not owned by the current user'" _ "$out"
else
	t_skip "another user's S2EDIR" "needs root to make one"
fi
cp -a "$S2EDIR" "$T_TMP/corrupt" && echo garbage >"$T_TMP/corrupt/.git/HEAD"
out=$(s2e --s2edir "$T_TMP/corrupt" log 2>&1)
t_is "a damaged history (garbage HEAD): exit 1" "$?" 1
t_ok "... saying what is wrong" bash -c "printf '%s' \"\$1\" | grep -q '^\[FAIL\] s2e log: .*HEAD'" _ "$out"
# An unreadable .git: as this user, or (root reads everything) as nobody.
as_user=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	as_user="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups env HOME=$T_TMP"
fi
if [ "$(id -u)" != 0 ] || [ -n "$as_user" ]; then
	cp -a "$S2EDIR" "$T_TMP/unreadable" && chmod 000 "$T_TMP/unreadable/.git"
	[ -z "$as_user" ] || { chown -R nobody "$T_TMP/unreadable" && chmod 711 "$T_TMP"; }
	out=$($as_user "$(command -v s2e)" --s2edir "$T_TMP/unreadable" log 2>&1)
	t_is "an unreadable history: exit 1" "$?" 1
	t_is "... saying so" "$out" "[FAIL] s2e log: cannot open the history repository '$T_TMP/unreadable/.git': Permission denied"
	chmod 755 "$T_TMP/unreadable/.git"
	t_is "... which, made readable, is read" "$($as_user "$(command -v s2e)" --s2edir "$T_TMP/unreadable" log -n 1 | wc -l)" 1
	chmod 700 "$T_TMP"
else
	t_skip "an unreadable history" "root, and no setpriv to run as nobody"
fi

# --vm NAME: what was made from the VM too
s2e vm clone Alpha Gamma >/dev/null
s2e vm export Alpha "$T_TMP/alpha.tar.gz" >/dev/null 2>&1
mkdir "$S2EDIR/vm/Hand" && truncate -s 1M "$S2EDIR/vm/Hand/disk.s2e"
s2e vm export Hand "$T_TMP/hand.tar.gz" >/dev/null 2>&1
t_is "--vm Alpha: its clones and exports" "$(s2e log --vm Alpha -n 2 | cut -d' ' -f5-)" \
	"vm export Alpha $T_TMP/alpha.tar.gz
vm clone Alpha Gamma"
t_is "--vm Gamma: the clone's own history" "$(s2e log --vm Gamma | cut -d' ' -f5-)" "vm clone Alpha Gamma"
t_is "--vm Hand: the export of a VM made by hand (no vm.config)" "$(s2e log --vm Hand | cut -d' ' -f5-)" \
	"vm export Hand $T_TMP/hand.tar.gz"
mkdir "$S2EDIR/vm/Fresh"
t_is "--vm of a VM on disk with no history yet: nothing, exit 0" "$(s2e log --vm Fresh; echo "rc=$?")" "rc=0"
t_exit 2 "-n 0 is a usage error" s2e log -n 0
t_exit 2 "an extra argument is a usage error" s2e log Alpha
t_ok "s2e log --help" bash -c "s2e log --help | grep -q '^usage: s2e log'"
t_ok "git fsck --strict is clean" git -C "$S2EDIR" fsck --strict --no-progress
t_done
