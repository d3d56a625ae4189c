#!/usr/bin/env bash
# s2e vm clone killed with kill -9 at 20 random moments: never a half VM that
# `s2e vm list` shows, and the next command cleans what was left.
. "$(dirname "$0")/lib.sh"

vm=$S2EDIR/vm
MiB=1048576

# A source big enough that a clone takes a while: 48 MiB of data in the image
# and three 8 MiB snapshots.
s2e vm create Src 160M >/dev/null
head -c $((48 * MiB)) /dev/urandom | dd of="$vm/Src/disk.s2e" bs=1M seek=64 conv=notrunc status=none
for snap in one two three; do
	head -c $((8 * MiB)) /dev/urandom >"$vm/Src/disk.s2e.$snap"
done
sums()
{
	stat -c '%n %s %y' "$vm"/Src/*
	sha256sum "$vm"/Src/disk.s2e*
}
before=$(sums)
want_list=$(s2e vm list Src | sed 1d)

# How long an uninterrupted clone takes, to spread the kills over it.
start=$(date +%s%N)
s2e vm clone Src Timed >/dev/null
took_ms=$((($(date +%s%N) - start) / 1000000))
[ "$took_ms" -gt 0 ] || took_ms=1
t_pass "an uninterrupted clone takes $took_ms ms"
s2e vm delete -y Timed >/dev/null

half=0
finished=0
staged=0
for i in $(seq 1 20); do
	delay_ms=$((RANDOM % (took_ms + 1)))
	s2e vm clone Src "Killed$i" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	listed=$(s2e vm list | grep -c "^Killed$i\$")
	if [ "$listed" = 1 ]; then
		# Killed after the rename: then it must be the whole clone.
		finished=$((finished + 1))
		if [ "$(s2e vm list "Killed$i" | sed 1d)" != "$want_list" ] ||
			! cmp -s "$vm/Src/disk.s2e.three" "$vm/Killed$i/disk.s2e.three" ||
			! cmp -s "$vm/Src/disk.s2e" "$vm/Killed$i/disk.s2e"; then
			half=$((half + 1))
			t_diag "Killed$i (killed at $delay_ms ms) is listed but not whole"
		fi
	fi
	[ "$(ls -A "$vm" | grep -c '^\.s2e-staging-')" = 0 ] || staged=$((staged + 1))
	# The next mutating command waits for a copy that may still run, then
	# cleans the staging left behind.
	s2e vm create "Next$i" 1M >/dev/null 2>&1 || t_diag "create after kill $i failed"
	if [ "$(ls -A "$vm" | grep -c '^\.s2e-')" != 0 ]; then
		half=$((half + 1))
		t_diag "staging left after the command that followed kill $i"
	fi
done
t_is "no half-made clone is ever listed (20 kills: $finished finished first, $staged left staging)" "$half" 0
t_is "the source is untouched" "$(sums)" "$before"
t_is "the source lists as before" "$(s2e vm list Src | sed 1d)" "$want_list"
t_ok "the history is sound" git -C "$S2EDIR" fsck --strict --no-progress

# Every plumbing process dies with the porcelain: no s2e-snapcp keeps
# filling a staging directory after a kill -9 (10 trials, fixed seed).  Each
# s2e-snapcp first waits 3 s (t_slow_exec_path), so that one that outlived
# the porcelain would still be there one second later.
RANDOM=2200
S2E_EXEC_PATH=$(t_slow_exec_path 3)
export S2E_EXEC_PATH
t_kill_leaves_no_orphans "kill -9 of vm clone leaves no s2e-* process alive one second later" \
	10 "$took_ms" 's2e vm clone Src "Orphan$t_trial"'
unset S2E_EXEC_PATH
t_ok "... and the next command cleans up after them" s2e vm create AfterOrphans 1M
t_is "... leaving nothing half-made" "$(ls -A "$vm" | grep -c '^\.s2e-')" 0
t_ok "a clone after all that works" s2e vm clone Src Final
t_ok "... and is whole" cmp "$vm/Src/disk.s2e.two" "$vm/Final/disk.s2e.two"

t_done
