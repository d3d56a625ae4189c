#!/usr/bin/env bash
# s2e vm run with a stand-in for S2E's QEMU (which is not packaged): the
# dry-run line, experiment records, exit status, --timeout, signals, the
# stale-snapshot check, snapshot bookkeeping of kvm/prep runs, and errors.
. "$(dirname "$0")/lib.sh"

EXP=auto_2015-08-19T15:06:25.383+0200
SPEC_LINE="$S2EDIR/build/i386-release-normal/qemu/i386-s2e-softmmu/qemu-system-i386 -drive file=$S2EDIR/vm/Debian/disk.s2e,cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user -s2e-config-file $S2EDIR/src/config/default-config.lua -s2e-verbose -s2e-output-dir $S2EDIR/expdata/$EXP"

# --- dry run on a fresh S2EDIR (acceptance 1)
t_is "--dry-run prints the SPEC §6 line, byte for byte" \
	"$(s2e vm run --dry-run Debian sym --expname "$EXP")" \
	"[DEBUG] Command line:
$SPEC_LINE"
t_ok "--dry-run creates, locks and records nothing" test ! -e "$S2EDIR"
line=$(s2e vm run --dry-run Debian sym | tail -1)
t_ok "without --expname: auto_ + local time of the same shape" \
	bash -c "[[ '$line' =~ -s2e-output-dir\ $S2EDIR/expdata/auto_[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4}$ ]]"
t_is "... in local time" "$(TZ=Europe/Zurich s2e vm run --dry-run Debian sym | tail -1 | grep -Eo '[+-][0-9]{4}$' | sed 's/[+]0[12]00/zone/')" "zone"
t_ok "S2E_TRACE=1 shows the plumbing it runs" \
	bash -c "S2E_TRACE=1 s2e vm run --dry-run Debian:ready kvm 2>&1 >/dev/null | grep -q '^+ .*/s2e-qemu-cmdline -z --s2edir .* Debian:ready kvm$'"
# The traced s2e-qemu-cmdline line replays: it prints the words vm run ran.
replay()
{
	local trace dry
	trace=$(S2E_TRACE=1 s2e vm run --dry-run "$@" 2>&1 >/dev/null | sed -n 's/^+ //p')
	dry=$(S2E_TRACE=1 s2e vm run --dry-run "$@" 2>/dev/null | tail -1)
	[ -n "$trace" ] && [ "$(eval "$trace" | tr '\0' '\n' | sed '/^$/d' | tr '\n' ' ' | sed 's/ $//')" = "$(eval "printf '%s\n' $dry" | tr '\n' ' ' | sed 's/ $//')" ]
}
t_ok "S2E_TRACE=1: the s2e-qemu-cmdline line gives the same words (sym)" \
	replay Debian sym --expname "$EXP" -m 1G -c '/a b.lua' -q -serial -q 'file:/x y' -- -display none
t_ok "... (kvm, every kind of option)" \
	replay --accel=tcg --smp 2 --stock -n none --headless --vnc-display 3 --monitor-port 4000 'a,b:snap' kvm --qemu /q -- -x
t_ok "... (prep, under gdb, an image path)" replay --gdb -b x86_64:debug:asan /tmp/img.raw prep
t_is "the timeout is enforced by s2e vm run, so it is not in the line" \
	"$(s2e vm run --dry-run -t 5 --kill-after 1 Debian prep | tail -1 | cut -d' ' -f1)" \
	"$S2EDIR/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386"
t_exit 2 "a bad -m is a usage error" s2e vm run --dry-run -m 1X Debian prep
t_exit 2 "so is a second operand after MODE" s2e vm run --dry-run Debian prep extra

# --- the stand-in QEMU
mkdir -p "$T_TMP/bin"
FAKE=$T_TMP/bin/fake-qemu
cat >"$FAKE" <<'EOS'
#!/bin/sh
# Stand-in for S2E's QEMU: checks its arguments, writes into the output
# directory, takes/removes snapshot files, writes the disk, exits or hangs.
[ -z "${FAKE_QEMU_LOG:-}" ] || printf '%s\n' "$@" >"$FAKE_QEMU_LOG"
img= out= cfg= loadvm=
while [ $# -gt 0 ]; do
	case $1 in
	-drive) img=$(printf '%s' "${2#file=}" | sed 's/,,/\x01/g; s/,.*//; s/\x01/,/g'); shift ;;
	-s2e-output-dir) out=$2; shift ;;
	-s2e-config-file) cfg=$2; shift ;;
	-loadvm) loadvm=$2; shift ;;
	esac
	shift
done
[ -f "$img" ] || { echo "fake-qemu: no image $img" >&2; exit 99; }
if [ -n "$out" ]; then
	[ -d "$out" ] || { echo "fake-qemu: no output directory $out" >&2; exit 98; }
	echo "fake run of $img" >"$out/messages.txt"
fi
[ -z "$cfg" ] || [ -f "$cfg" ] || { echo "fake-qemu: no config $cfg" >&2; exit 97; }
[ -z "$loadvm" ] || [ -f "$img.$loadvm" ] || { echo "fake-qemu: no snapshot $loadvm" >&2; exit 96; }
[ -z "${FAKE_QEMU_SAVEVM:-}" ] || echo "state" >"$img.$FAKE_QEMU_SAVEVM"
[ -z "${FAKE_QEMU_DELVM:-}" ] || rm -f "$img.$FAKE_QEMU_DELVM"
[ -z "${FAKE_QEMU_WRITE:-}" ] || printf '%s' "$FAKE_QEMU_WRITE" | dd of="$img" bs=1 seek=4096 conv=notrunc 2>/dev/null
if [ -n "${FAKE_QEMU_HANG:-}" ]; then
	[ -z "${FAKE_QEMU_IGNORE_INT:-}" ] || trap '' INT
	trap 'echo TERM >"$FAKE_QEMU_READY.got"; exit 7' TERM
	[ -z "${FAKE_QEMU_READY:-}" ] || : >"$FAKE_QEMU_READY"
	while :; do sleep 0.05; done
fi
exit "${FAKE_QEMU_EXIT:-0}"
EOS
chmod +x "$FAKE"

commits() { git -C "$S2EDIR" rev-list --count HEAD 2>/dev/null || echo 0; }
rec() { git config -f "$S2EDIR/experiments/$1/record.conf" "$2"; }

s2e vm create Box 1M >/dev/null
mkdir -p "$S2EDIR/src/config"
echo '-- the default S2E config' >"$S2EDIR/src/config/default-config.lua"

# --- a sym run (acceptance 3)
n0=$(commits)
out=$(FAKE_QEMU_LOG=$T_TMP/args s2e vm run --qemu "$FAKE" Box sym --expname first 2>&1)
t_is "a sym run exits with QEMU's status" "$?" 0
t_is "... prints the command line it runs" "$(printf '%s\n' "$out" | grep -A1 '^\[DEBUG\] Command line:' | tail -1)" \
	"$FAKE -drive file=$S2EDIR/vm/Box/disk.s2e,cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user -s2e-config-file $S2EDIR/src/config/default-config.lua -s2e-verbose -s2e-output-dir $S2EDIR/expdata/first"
t_is "... QEMU got exactly those words" "$(tr '\n' ' ' <"$T_TMP/args")" \
	"-drive file=$S2EDIR/vm/Box/disk.s2e,cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user -s2e-config-file $S2EDIR/src/config/default-config.lua -s2e-verbose -s2e-output-dir $S2EDIR/expdata/first "
t_ok "... made expdata/EXPNAME, where QEMU wrote" test -s "$S2EDIR/expdata/first/messages.txt"
t_is "... two commits: one before QEMU, one after" "$(commits)" $((n0 + 2))
t_is "... the first: 'run VM MODE EXPNAME'" "$(git -C "$S2EDIR" log -1 --format=%s HEAD~1)" "run Box sym first"
t_is "... it holds the config file copy" \
	"$(git -C "$S2EDIR" show HEAD~1:experiments/first/s2e-config.lua)" "-- the default S2E config"
t_is "... and the record, state running" \
	"$(git -C "$S2EDIR" show HEAD~1:experiments/first/record.conf | git config -f - experiment.state)" running
t_ok "... the second subject says how it ended" \
	bash -c "git -C '$S2EDIR' log -1 --format=%s | grep -Eq '^run Box sym first: exit 0 after [0-9.]+s$'"
t_is "... the record holds the exit status" "$(rec first experiment.exitStatus)" 0
t_ok "... and the duration" bash -c "git config -f '$S2EDIR/experiments/first/record.conf' experiment.duration | grep -Eq '^[0-9]+\.[0-9]{3}$'"
t_is "... state finished" "$(rec first experiment.state)" finished
t_is "... VM, mode, and no build (--qemu's binary is not a build's)" \
	"$(rec first experiment.vm) $(rec first experiment.mode) $(rec first experiment.build)" "Box sym "
t_is "... the full command line" "$(rec first qemu.commandLine)" \
	"$FAKE -drive file=$S2EDIR/vm/Box/disk.s2e,cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user -s2e-config-file $S2EDIR/src/config/default-config.lua -s2e-verbose -s2e-output-dir $S2EDIR/expdata/first"
t_ok "... and the disk digest" bash -c "git config -f '$S2EDIR/experiments/first/record.conf' disk.before | grep -Eq '^sha256-1m:[0-9a-f]{64}$'"
t_ok "... expdata never enters git" bash -c "! git -C '$S2EDIR' ls-files | grep -q expdata"
t_is "... the disk digest is kept in the digest cache (the next run reads no disk)" \
	"$(find "$S2EDIR/.s2e/digests" -type f ! -name "*.caibx" -exec cat {} + 2>/dev/null | grep -c "$(rec first disk.before)")" 1

n0=$(commits)
t_exit 1 "an existing EXPNAME is refused" s2e vm run --qemu "$FAKE" Box sym --expname first
t_is "... with nothing recorded" "$(commits)" "$n0"
t_ok "... and the earlier output untouched" test -s "$S2EDIR/expdata/first/messages.txt"
mkdir -p "$S2EDIR/expdata/handmade"
t_exit 1 "an existing expdata/EXPNAME is refused too" s2e vm run --qemu "$FAKE" Box sym --expname handmade
t_is "... with nothing recorded" "$(commits)" "$n0"
t_ok "... and no half record left" test ! -e "$S2EDIR/experiments/handmade"

t_exit 3 "QEMU's exit status is passed on" env FAKE_QEMU_EXIT=3 s2e vm run --qemu "$FAKE" Box sym --expname three
t_is "... and recorded" "$(rec three experiment.exitStatus)" 3
t_exit 0 "\$S2E_QEMU names the binary" env S2E_QEMU="$FAKE" s2e vm run Box sym --expname env
t_is "... recorded as the binary" "$(rec env qemu.binary)" "$FAKE"
t_exit 0 "-c names another config file" bash -c "cd '$T_TMP' && echo '-- mine' >my.lua && s2e vm run --qemu '$FAKE' -c my.lua Box sym --expname mine"
t_is "... whose copy is recorded" "$(cat "$S2EDIR/experiments/mine/s2e-config.lua")" "-- mine"
t_is "... by its absolute path" "$(rec mine experiment.configFile)" "$T_TMP/my.lua"

# --- timeout (acceptance 3)
t_exit 124 "--timeout interrupts a hung QEMU (exit 124)" \
	env FAKE_QEMU_HANG=1 s2e vm run --qemu "$FAKE" -t 0.5 Box sym --expname hung
t_is "... recorded as timed out" "$(rec hung experiment.state) $(rec hung experiment.timedOut)" "timed-out true"
t_is "... by SIGINT" "$(rec hung experiment.signal)" 2
t_ok "... the subject says so" bash -c "git -C '$S2EDIR' log -1 --format=%s | grep -q '^run Box sym hung: timed out after'"
t_exit 124 "a QEMU that ignores SIGINT gets SIGKILL after --kill-after" \
	env FAKE_QEMU_HANG=1 FAKE_QEMU_IGNORE_INT=1 s2e vm run --qemu "$FAKE" -t 0.3 --kill-after 0.3 Box sym --expname stubborn
t_is "... recorded as killed by signal 9" "$(rec stubborn experiment.state) $(rec stubborn experiment.signal)" "timed-out 9"

# --- the lock is not held while QEMU runs; signals are passed on
FAKE_QEMU_HANG=1 FAKE_QEMU_READY=$T_TMP/ready s2e vm run --qemu "$FAKE" -t 20 Box sym --expname long >"$T_TMP/long.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$T_TMP/ready" ] && break; sleep 0.05; done
t_ok "other commands work while a VM runs" env S2E_LOCK_TIMEOUT=1 s2e vm create Other 1M
t_ok "... and s2e vm list" s2e vm list
t_ok "... the running experiment is in use, not interrupted" bash -c "! s2e vm status | grep -q interrupted"
t_exit 0 "a second sym run of the VM proceeds (sym runs share it)" s2e vm run --qemu "$FAKE" Box sym --expname beside
n0=$(commits)
out=$(s2e vm run --qemu "$FAKE" Box kvm --expname writer 2>&1)
t_is "a kvm run of a VM a run is using is refused" "$?" 1
t_ok "... saying so" bash -c "printf '%s' \"\$1\" | grep -q \"VM 'Box' is in use by a running s2e vm run\"" _ "$out"
t_is "... with nothing recorded" "$(commits)" "$n0"
t_ok "... and no record left" test ! -e "$S2EDIR/experiments/writer"
kill -TERM "$pid"
wait "$pid"
t_is "SIGTERM to s2e reaches QEMU (its exit status 7 comes back)" "$?" 7
t_is "... QEMU saw SIGTERM" "$(cat "$T_TMP/ready.got" 2>/dev/null)" TERM
t_is "... recorded" "$(rec long experiment.exitStatus) $(rec long experiment.timedOut)" "7 false"

# kill -9 of s2e: QEMU is stopped too, and the run shows as interrupted.
rm -f "$T_TMP/ready" "$T_TMP/ready.got"
FAKE_QEMU_HANG=1 FAKE_QEMU_READY=$T_TMP/ready s2e vm run --qemu "$FAKE" Box sym --expname killed >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$T_TMP/ready" ] && break; sleep 0.05; done
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
for _ in $(seq 40); do [ -e "$T_TMP/ready.got" ] && break; sleep 0.05; done
t_is "kill -9 of s2e vm run: QEMU gets SIGTERM" "$(cat "$T_TMP/ready.got" 2>/dev/null)" TERM
t_ok "... and s2e vm status shows the run interrupted" bash -c "s2e vm status | grep -q 'interrupted experiment  killed (VM Box)'"

# --- kvm/prep runs record snapshots and disk changes
out=$(FAKE_QEMU_SAVEVM=ready s2e vm run --qemu "$FAKE" Box prep --expname prep1 2>&1)
t_is "a prep run that takes a snapshot succeeds" "$?" 0
DISK_DIGEST=$(rec prep1 disk.after)
t_is "... the snapshot is recorded in vm.config with the disk digest" \
	"$(git config -f "$S2EDIR/vm/Box/vm.config" snapshot.ready.disk)" "$DISK_DIGEST"
t_ok "... with the time it was taken" git config -f "$S2EDIR/vm/Box/vm.config" snapshot.ready.taken
t_is "... and in the record" "$(rec prep1 snapshots.added) $(rec prep1 disk.changed)" "ready false"
t_ok "... vm.config is in the commit" bash -c "git -C '$S2EDIR' show --stat HEAD | grep -q 'vm/Box/vm.config'"
t_is "s2e vm list shows it" "$(s2e vm list Box | tail -1)" "    ready"

t_exit 0 "the snapshot resumes in sym mode while the disk is unchanged" \
	s2e vm run --qemu "$FAKE" Box:ready sym --expname resume
t_is "... -loadvm and the snapshot digests are recorded" \
	"$(rec resume experiment.snapshot) $(rec resume snapshot.recordedDisk)" "ready $DISK_DIGEST"
t_ok "... the subject names VM:SNAP" bash -c "git -C '$S2EDIR' log -1 --format=%s | grep -q '^run Box:ready sym resume: exit 0'"

# acceptance 4: the disk changed after the snapshot was taken
printf 'changed' | dd of="$S2EDIR/vm/Box/disk.s2e" bs=1 seek=100 conv=notrunc 2>/dev/null
n0=$(commits)
out=$(s2e vm run --qemu "$FAKE" Box:ready sym --expname stale 2>&1)
t_is "a snapshot whose disk changed is refused" "$?" 1
t_ok "... saying which snapshot and why" bash -c "printf '%s' \"\$1\" | grep -q \"snapshot 'ready' of VM 'Box' was taken against disk $DISK_DIGEST, but the disk is now sha256-1m:.*changed since the snapshot was taken.*--force\"" _ "$out"
t_is "... with nothing recorded" "$(commits)" "$n0"
t_ok "... and no expdata made" test ! -e "$S2EDIR/expdata/stale"
out=$(s2e vm run -f --qemu "$FAKE" Box:ready sym --expname stale 2>&1)
t_is "-f (--force) runs it" "$?" 0
t_ok "... with a warning" bash -c "printf '%s' \"\$1\" | grep -q '^\[WARN\] snapshot .ready. of VM .Box.: the disk changed'" _ "$out"
t_is "... and the record says it was forced" "$(rec stale experiment.forced)" true

cp "$S2EDIR/vm/Box/disk.s2e.ready" "$S2EDIR/vm/Box/disk.s2e.byhand"
out=$(s2e vm run --qemu "$FAKE" Box:byhand sym --expname byhand 2>&1)
t_is "a snapshot made by hand (no digest recorded) runs" "$?" 0
t_ok "... with a warning that says so" bash -c "printf '%s' \"\$1\" | grep -q '^\[WARN\] snapshot .byhand. of VM .Box. has no recorded disk digest'" _ "$out"

t_exit 0 "a kvm run that writes the disk and removes a snapshot" \
	env FAKE_QEMU_WRITE=hello FAKE_QEMU_DELVM=byhand s2e vm run --accel=tcg --qemu "$FAKE" Box kvm
k=$(git -C "$S2EDIR" log -1 --format=%s | sed -E 's/^run [^ ]+ kvm (.*): exit .*/\1/')
t_ok "... named auto_ + local time" bash -c "[[ '$k' =~ ^auto_[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}[+-][0-9]{4}$ ]]"
t_is "... records that the disk changed" "$(rec "$k" disk.changed)" true
t_is "... and the snapshot that went away" "$(rec "$k" snapshots.removed)" byhand
t_is "... vm.config has the new disk digest" "$(git config -f "$S2EDIR/vm/Box/vm.config" vm.digest)" "$(rec "$k" disk.after)"
t_exit 1 "after which the old snapshot is refused" s2e vm run --qemu "$FAKE" Box:ready prep

# A snapshot file made during a run whose name is no valid snapshot name is
# left out of vm.config, with a warning.
out=$(FAKE_QEMU_SAVEVM="$(printf 'bad\nname')" s2e vm run --qemu "$FAKE" Box prep --expname badsnap 2>&1)
t_is "a run that leaves a snapshot file with a newline in its name succeeds" "$?" 0
t_ok "... warns that it is not recorded" bash -c "printf '%s' \"\$1\" | grep -q '^\[WARN\] 1 snapshot file(s) of VM .Box. have names that are not valid snapshot names: not recorded'" _ "$out"
t_ok "... vm.config stays readable" git config -f "$S2EDIR/vm/Box/vm.config" --list
t_ok "... and holds no such snapshot" bash -c "! git config -f '$S2EDIR/vm/Box/vm.config' --list | grep -q '^snapshot\.bad'"
t_ok "... s2e vm list still works" s2e vm list
rm -f "$S2EDIR/vm/Box/disk.s2e.bad"*

# --- errors: each clear, nothing recorded (acceptance 5)
n0=$(commits)
err()
{
	local desc=$1 want_rc=$2 want=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want_rc" ] && printf '%s' "$out" | grep -qF -- "$want" && [ "$(commits)" = "$n0" ]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "exit $rc (want $want_rc), commits $(commits) (want $n0)" "$out"
	fi
}
err "a missing VM" 1 "VM 'Nope' does not exist" s2e vm run --qemu "$FAKE" Nope sym
err "a missing snapshot" 1 "VM 'Box' has no snapshot 'nope'" s2e vm run --qemu "$FAKE" Box:nope sym
err "a missing QEMU binary" 1 "QEMU binary: cannot run '$S2EDIR/build/i386-release-normal/qemu/i386-s2e-softmmu/qemu-system-i386': No such file" s2e vm run Box sym
err "a --qemu that does not exist" 1 "cannot run '/nonexistent/qemu'" s2e vm run --qemu /nonexistent/qemu Box sym
err "a bad build tuple" 2 "invalid build 'i386-release'" s2e vm run --qemu "$FAKE" -b i386-release Box sym
err "a bad memory size" 2 "invalid memory size '12X'" s2e vm run --qemu "$FAKE" -m 12X Box sym
err "a bad port" 2 "invalid port '99999'" s2e vm run --qemu "$FAKE" --monitor-port 99999 Box sym
err "a bad mode" 2 "unknown mode 'fast'" s2e vm run --qemu "$FAKE" Box fast
err "a bad VM name" 1 "invalid VM name" s2e vm run --qemu "$FAKE" .Box sym
err "a missing S2E config file" 1 "S2E config file '$T_TMP/none.lua'" s2e vm run --qemu "$FAKE" -c "$T_TMP/none.lua" Box sym
truncate -s 1M "$T_TMP/disk.raw"
err "sym on an image not ending in .s2e" 1 "does not end in .s2e" s2e vm run --qemu "$FAKE" "$T_TMP/disk.raw" sym
err "a --qemu that is not executable" 1 "cannot run '/etc/passwd': not an executable file" s2e vm run --qemu /etc/passwd Box sym
t_exit 2 "no MODE is a usage error" s2e vm run Box

# Commas in names and paths reach QEMU escaped (QEMU doubles them).
s2e vm create 'a,b' 1M >/dev/null
t_exit 0 "a VM named a,b runs" env FAKE_QEMU_LOG="$T_TMP/args" s2e vm run --qemu "$FAKE" 'a,b' sym --expname comma
t_is "... QEMU got the image path with the comma doubled" "$(sed -n 2p "$T_TMP/args")" \
	"file=$S2EDIR/vm/a,,b/disk.s2e,cache=writeback,format=s2e"
s2e vm create 'x,file.filename=' 1M >/dev/null
t_exit 0 "a VM named x,file.filename= runs on its own disk" env FAKE_QEMU_LOG="$T_TMP/args" s2e vm run --qemu "$FAKE" 'x,file.filename=' prep --expname inject
t_is "... no file.filename key reaches QEMU" "$(sed -n 2p "$T_TMP/args")" \
	"file=$S2EDIR/vm/x,,file.filename=/disk.s2e,cache=writeback,format=s2e"
mkdir -p "$T_TMP/with,comma"
s2e --s2edir "$T_TMP/with,comma" vm create C 1M >/dev/null
t_exit 0 "an S2EDIR with a comma works" s2e vm run --s2edir "$T_TMP/with,comma" --qemu "$FAKE" C prep --expname c
t_is "... and is recorded" "$(git config -f "$T_TMP/with,comma/experiments/c/record.conf" experiment.state)" finished

# An image path runs too (prep), recorded without a VM.
t_exit 0 "an image path runs in prep mode" s2e vm run --qemu "$FAKE" "$T_TMP/disk.raw" prep --expname raw
t_is "... recorded with its image" "$(rec raw experiment.image)" "$T_TMP/disk.raw"

t_ok "the history passes git fsck --strict" git -C "$S2EDIR" fsck --strict --no-progress
t_done
