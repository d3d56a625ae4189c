#!/usr/bin/env bash
# Concurrent commands on one S2EDIR, and commands killed half-way.
. "$(dirname "$0")/lib.sh"

s2e vm create First 1M >/dev/null

# Two creates of different names at once: both succeed, two commits.
s2e vm create A 1G >"$T_TMP/a.out" 2>&1 &
pa=$!
s2e vm create B 1G >"$T_TMP/b.out" 2>&1 &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
t_is "two creates of different names both succeed" "$ra $rb" "0 0"
t_is "... with two commits" "$(git -C "$S2EDIR" log --format=%s | grep -c '^vm create [AB] ')" 2
t_ok "... and a clean history" git -C "$S2EDIR" fsck --strict --no-progress

# Two creates of the same name at once: exactly one succeeds.
for round in 1 2 3; do
	s2e vm create Same$round 1G >"$T_TMP/c1.out" 2>&1 &
	p1=$!
	s2e vm create Same$round 2G >"$T_TMP/c2.out" 2>&1 &
	p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	t_is "round $round: one of two creates of the same name succeeds" "$((r1 + r2))" 1
	t_ok "round $round: the other says it exists" grep -q "already exists" "$T_TMP/c1.out" "$T_TMP/c2.out"
	t_is "round $round: one commit" "$(git -C "$S2EDIR" log --format=%s | grep -c "^vm create Same$round ")" 1
done
t_is "git status stays clean" "$(git -C "$S2EDIR" status --porcelain)" ""

# A create killed at any moment leaves no VM that list shows, and the next
# command cleans what it left.
for i in $(seq 1 10); do
	s2e vm create "Killed$i" 1G >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ -d "$S2EDIR/vm/Killed$i" ]; then
		# It finished: it must be whole.
		[ -f "$S2EDIR/vm/Killed$i/disk.s2e" ] && [ -f "$S2EDIR/vm/Killed$i/vm.config" ] ||
			t_diag "Killed$i is half-made"
	fi
done
half=0
for d in "$S2EDIR"/vm/Killed*; do
	[ -e "$d" ] || continue
	[ -f "$d/disk.s2e" ] && [ "$(stat -c %s "$d/disk.s2e")" = 1073741824 ] || half=$((half + 1))
done
t_is "no half-made VM after kill -9" "$half" 0
s2e vm create After 1M >/dev/null
t_is "the next command removed the staging left behind" \
	"$(ls -A "$S2EDIR/vm" | grep -c '^\.s2e-')" 0

# A command killed inside its history commit leaves git's lock files; the
# next command waits briefly, finds them stale and removes them.
: >"$S2EDIR/.git/index.lock"
branch=$(git -C "$S2EDIR" symbolic-ref --short HEAD)
: >"$S2EDIR/.git/refs/heads/$branch.lock"
t_ok "a stale git index.lock and branch lock do not block the next command" s2e vm create AfterLocks 1M
t_ok "... which removed them" test ! -e "$S2EDIR/.git/index.lock" -a ! -e "$S2EDIR/.git/refs/heads/$branch.lock"
t_ok "... and recorded its commit" bash -c "git -C '$S2EDIR' log -1 --format=%s | grep -q AfterLocks"

t_done
