#!/usr/bin/env bash
# s2e vm status: what was changed outside s2e, the way git status shows it,
# and --record, which brings the history in line.
. "$(dirname "$0")/lib.sh"

st() { s2e vm status "$@"; }

t_is "a fresh S2EDIR is clean" "$(st | tail -1)" \
	"nothing to record: the history matches the VMs on disk"
s2e vm create A 1M >/dev/null
s2e vm create B 1M >/dev/null
s2e vm create D 1M >/dev/null
echo state >"$S2EDIR/vm/D/disk.s2e.ready"
s2e vm status --record >/dev/null
t_is "VMs made by s2e are clean" "$(st | tail -1)" \
	"nothing to record: the history matches the VMs on disk"

# The five differences of the trust issue's acceptance 2:
cp -r "$S2EDIR/vm/A" "$S2EDIR/vm/Copy"                  # a hand copy
rm -rf "$S2EDIR/vm/B"                                    # a hand delete
echo snap >"$S2EDIR/vm/A/disk.s2e.hand"                  # a hand snapshot
S2EDIR=$T_TMP/other s2e vm create Renamed 1M >/dev/null  # a kill after rename:
mv "$T_TMP/other/vm/Renamed" "$S2EDIR/vm/Renamed"        # complete, uncommitted
mkdir -p "$S2EDIR/experiments/dead"                      # a kill during a run
printf '[experiment]\n\tname = dead\n\tvm = A\n\tmode = sym\n\tstate = running\n' \
	>"$S2EDIR/experiments/dead/record.conf"
rm "$S2EDIR/vm/D/disk.s2e.ready"                         # and a vanished snapshot

commits=$(git -C "$S2EDIR" rev-list --count HEAD)
want='new snapshot A:hand
deleted snapshot D:ready
untracked VM Copy
untracked VM Renamed
deleted VM B
interrupted experiment dead (VM A)'
t_is "status lists exactly what was done by hand" \
	"$(st | sed -n 's/^\t//p' | tr -s ' ' | sort)" "$(printf '%s\n' "$want" | sort)"
t_is "--json has the same six" \
	"$(st --json | grep -c '"kind"')" 6
t_ok "--json is valid JSON" bash -c 's2e vm status --json | python3 -m json.tool >/dev/null'
t_is "status NAME looks at that VM only" "$(st A | sed -n 's/^\t//p' | tr -s ' ')" \
	"new snapshot A:hand"
t_is "status changes nothing" "$(git -C "$S2EDIR" rev-list --count HEAD)" "$commits"

# Leftovers of a dead command, and none while a command holds the lock.
mkdir "$S2EDIR/vm/.s2e-staging-dead1"
t_ok "leftover staging is shown" bash -c 's2e vm status | grep -q "leftover.*\.s2e-staging-dead1"'
exec 9>"$S2EDIR/.s2e/lock"
flock 9
t_ok "... but not while a command holds the lock" bash -c '! s2e vm status | grep -q leftover'
flock -u 9
exec 9>&-

n=$(git -C "$S2EDIR" rev-list --count HEAD)
t_ok "--record" s2e vm status --record
t_is "... one commit per VM, one per experiment" \
	"$(git -C "$S2EDIR" log --format=%s -"$(($(git -C "$S2EDIR" rev-list --count HEAD) - n))" | sort)" \
	"$(printf '%s\n' "run dead interrupted" "vm record A" "vm record B (deleted)" "vm record Copy" "vm record D" "vm record Renamed" | sort)"
t_is "... leaves git status clean" "$(git -C "$S2EDIR" status --porcelain)" ""
t_is "... and vm status clean" "$(st | tail -1)" \
	"nothing to record: the history matches the VMs on disk"
t_ok "... and removed the leftover" test ! -e "$S2EDIR/vm/.s2e-staging-dead1"
t_is "the hand snapshot is in the metadata" \
	"$(git config -f "$S2EDIR/vm/A/vm.config" --get-regexp '^snapshot\.' | cut -d' ' -f1)" \
	"snapshot.hand.taken"
t_is "the experiment is marked interrupted" \
	"$(git config -f "$S2EDIR/experiments/dead/record.conf" experiment.state)" "interrupted"
t_ok "git fsck is clean" git -C "$S2EDIR" fsck --strict
t_is "vm list shows the recorded VMs" "$(s2e vm list | grep -v '^ ' | sort | tr '\n' ' ')" \
	"A Copy D Renamed "

# Names s2e would refuse are reported, escaped, and never recorded.
touch "$S2EDIR/vm/A/disk.s2e.$(printf 'bad\033[31mname')"
out=$(st)
t_ok "a bad snapshot file name is reported" bash -c 'grep -q "bad name" <<<"$1"' _ "$out"
t_ok "... escaped" bash -c '! grep -q $'"'"'\033'"'"' <<<"$1"' _ "$out"
s2e vm status --record >/dev/null
t_ok "... and not recorded" bash -c "! grep -q bad '$S2EDIR/vm/A/vm.config'"

# A run killed between writing its record and committing it.
mkdir -p "$S2EDIR/experiments/half"
printf '[experiment]\n\tname = half\n\tvm = A\n\tmode = kvm\n\tstate = finished\n' \
	>"$S2EDIR/experiments/half/record.conf"
t_ok "an experiment record the history lacks is shown" \
	bash -c 's2e vm status | grep -q "unrecorded experiment.*half"'
s2e vm status --record >/dev/null
t_is "... and recorded" "$(git -C "$S2EDIR" log -1 --format=%s)" "run half recorded"
t_is "... leaving git status clean" "$(git -C "$S2EDIR" status --porcelain)" ""

# A command killed between moving the branch and moving the index in.
git -C "$S2EDIR" read-tree HEAD~1
t_ok "an index behind HEAD makes git status dirty" test -n "$(git -C "$S2EDIR" status --porcelain)"
s2e vm status --record >/dev/null
t_is "... and --record brings it in line" "$(git -C "$S2EDIR" status --porcelain)" ""

t_exit 1 "a bad name on the command line is refused" s2e vm status ../x
t_done
