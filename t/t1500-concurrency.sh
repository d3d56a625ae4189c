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

# A git lock file the product did not make is never removed: the command
# fails with a clear message, changes nothing, and the lock stays.
: >"$S2EDIR/.git/index.lock"
touch -d '1 hour ago' "$S2EDIR/.git/index.lock"
head=$(git -C "$S2EDIR" rev-parse HEAD)
out=$(s2e vm create Blocked 1M 2>&1)
t_is "a foreign git index.lock makes a create fail" "$?" 1
case $out in
*"the history is locked by another git process"*"index.lock"*) t_pass "... saying so" ;;
*) t_fail "... saying so"; t_diag "$out" ;;
esac
t_ok "... leaves the foreign lock in place" test -e "$S2EDIR/.git/index.lock"
t_ok "... creates no VM" test ! -e "$S2EDIR/vm/Blocked"
t_is "... and no commit" "$(git -C "$S2EDIR" rev-parse HEAD)" "$head"
rm -f "$S2EDIR/.git/index.lock"
branch=$(git -C "$S2EDIR" symbolic-ref --short HEAD)
: >"$S2EDIR/.git/refs/heads/$branch.lock"
t_exit 1 "a foreign branch lock makes a create fail too" s2e vm create Blocked 1M
t_ok "... and stays" test -e "$S2EDIR/.git/refs/heads/$branch.lock"
rm -f "$S2EDIR/.git/refs/heads/$branch.lock"

# The locks a killed s2e command left are provably its own (hard links to
# its private copies under .s2e/git-locks): the next command removes them.
mkdir -p "$S2EDIR/.s2e/git-locks"
: >"$S2EDIR/.s2e/git-locks/index"
ln "$S2EDIR/.s2e/git-locks/index" "$S2EDIR/.git/index.lock"
echo 0000000000000000000000000000000000000000 >"$S2EDIR/.s2e/git-locks/ref"
ln "$S2EDIR/.s2e/git-locks/ref" "$S2EDIR/.git/refs/heads/$branch.lock"
t_ok "the git locks a killed s2e command left do not block the next command" s2e vm create AfterLocks 1M
t_ok "... which removed them" test ! -e "$S2EDIR/.git/index.lock" -a ! -e "$S2EDIR/.git/refs/heads/$branch.lock"
t_ok "... and recorded its commit" bash -c "git -C '$S2EDIR' log -1 --format=%s | grep -q AfterLocks"
t_ok "... in a sound history" git -C "$S2EDIR" fsck --strict --no-progress
# (a VM the kills above left untracked may show as "??": vm status's business)
t_is "... with a clean index and work tree" \
	"$(git -C "$S2EDIR" status --porcelain --untracked-files=no)" ""

# A command that starts while another makes a new S2EDIR's history checks it
# before it takes the lock: it must take the half-made repository (no
# s2e.history yet) for s2e's, never for a user's.  strace slows every rename
# of the maker, so that checkers started every 0.1 s look at each step.
if strace -f -o /dev/null -e inject=rename:delay_enter=1:when=1000 true 2>/dev/null; then
	d=$T_TMP/fresh
	# (LeakSanitizer cannot run under ptrace: off for the maker in SANITIZE=1)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -o /dev/null -e trace=rename -e inject=rename:delay_enter=300000 \
		s2e --s2edir "$d" vm create Made 1M >"$T_TMP/maker.out" 2>&1 &
	maker=$!
	while kill -0 $maker 2>/dev/null && [ ! -d "$d/.git" ]; do sleep 0.01; done
	checkers=
	while kill -0 $maker 2>/dev/null; do
		S2E_LOCK_TIMEOUT=60 s2e --s2edir "$d" vm create "C$(echo $checkers | wc -w)" 1M \
			>>"$T_TMP/checkers.out" 2>&1 &
		checkers="$checkers $!"
		sleep 0.1
	done
	wait $maker
	rc=$?
	t_is "the S2EDIR is made" "$rc" 0
	[ "$rc" = 0 ] || t_diag "$(cat "$T_TMP/maker.out")"
	wait $checkers
	t_is "no command started meanwhile took it for a user's repository ($(echo $checkers | wc -w) of them)" \
		"$(grep -c 'did not create' "$T_TMP/checkers.out")" 0
else
	t_skip "commands started while an S2EDIR is made" "strace with fault injection is not available"
fi

t_done
