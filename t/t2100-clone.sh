#!/usr/bin/env bash
# s2e vm clone: the seed transcript, exact and sparse copies, the history, the
# refusals.
. "$(dirname "$0")/lib.sh"

vm=$S2EDIR/vm

# Reading all 7.5 GiB of a sparse image's holes is slow: MyBox's data lies in
# its first 16 MiB, so compare the size, those 16 MiB and the allocation.
same_image()
{
	[ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ] && cmp -n 16777216 "$1" "$2" &&
		[ "$(t_allocated "$2")" -le "$(t_allocated "$1")" ]
}

# A VM with the seed's three snapshots, taken (written) in this order.
s2e vm create MyBox 7680M >/dev/null
for snap in ready base asdfölkj; do
	head -c 100000 /dev/urandom >"$vm/MyBox/disk.s2e.$snap"
	sleep 0.01
done
head -c 300000 /dev/urandom | dd of="$vm/MyBox/disk.s2e" bs=64K seek=100 conv=notrunc status=none

# --- acceptance 1: the transcript, byte for byte
out=$(s2e vm clone MyBox MyClonedBox 2>&1)
t_is "clone prints the seed's transcript" "$out" "[ OK ] initialise VM
[ OK ] copy disk image
[ OK ] copy snapshot: ready
[ OK ] copy snapshot: base
[ OK ] copy snapshot: asdfölkj"
t_is "list shows both, snapshots in the order taken" "$(s2e vm list)" "MyBox
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
t_ok "disk.s2e is the same in the clone" same_image "$vm/MyBox/disk.s2e" "$vm/MyClonedBox/disk.s2e"
for f in disk.s2e.ready disk.s2e.base disk.s2e.asdfölkj; do
	t_ok "$f is the same in the clone" cmp "$vm/MyBox/$f" "$vm/MyClonedBox/$f"
done
t_ok "the clone's image is sparse" test "$(t_allocated "$vm/MyClonedBox/disk.s2e")" -lt 1048576

t_exit 2 "the same name for SRC and DST is a usage error" s2e vm clone MyBox MyBox
err=$(s2e vm clone MyBox MyBox 2>&1)
case $err in *"same"*) t_pass "... that says why" ;; *) t_fail "... that says why"; t_diag "$err" ;; esac
t_exit 2 "one name is a usage error" s2e vm clone MyBox
t_ok "--help" s2e vm clone --help

# --- the history
t_is "one commit, in the porcelain's words" "$(git -C "$S2EDIR" log -1 --format=%s)" \
	"vm clone MyBox MyClonedBox"
src_commit=$(git -C "$S2EDIR" log -1 --format=%H -- vm/MyBox/vm.config)
t_is "the origin names the source and its last recorded commit" \
	"$(git config -f "$vm/MyClonedBox/vm.config" vm.origin)" "clone of MyBox at $src_commit"
body=$(git -C "$S2EDIR" log -1 --format=%b)
case $body in
*"Origin: clone of MyBox at $src_commit"*"Snapshots: ready, base, asdfölkj"*) t_pass "the body lists origin and snapshots" ;;
*) t_fail "the body lists origin and snapshots"; t_diag "$body" ;;
esac
t_is "the clone's metadata lists the snapshots in order" \
	"$(git config -f "$vm/MyClonedBox/vm.config" --name-only --get-regexp '^snapshot\..*\.taken$')" \
	"snapshot.ready.taken
snapshot.base.taken
snapshot.asdfölkj.taken"
t_ok "git fsck is clean" git -C "$S2EDIR" fsck --strict --no-progress
t_is "git status is clean" "$(git -C "$S2EDIR" status --porcelain)" ""
t_ok "git log -- vm/MyClonedBox is the clone's life" \
	test "$(git -C "$S2EDIR" log --format=%s -- vm/MyClonedBox)" = "vm clone MyBox MyClonedBox"

# A clone of a clone keeps the order, and records its own origin.
t_ok "a clone of the clone" s2e vm clone MyClonedBox Third
t_is "... lists the same snapshots" "$(s2e vm list Third | tail -3)" "    ready
    base
    asdfölkj"

# --- S2E_TRACE: one s2e-snapcp per file, replayable by hand
trace=$(S2E_TRACE=1 s2e vm clone MyBox Traced 2>&1 >/dev/null)
t_is "S2E_TRACE shows one s2e-snapcp per file" "$(echo "$trace" | grep -c '/s2e-snapcp ')" 4
line=$(echo "$trace" | head -1)
case $line in
"+ "*"/s2e-snapcp -j "[0-9]*" $vm/MyBox/disk.s2e $vm/.s2e-staging-"*"/disk.s2e") t_pass "... the disk image first" ;;
*) t_fail "... the disk image first"; t_diag "$trace" ;;
esac
# Replay it into another path: "+ BINARY OPTIONS... SRC DST".
set -- $line
shift
t_ok "the traced command replays" "${@:1:$#-1}" "$T_TMP/replayed.s2e"
t_ok "... to the same image" same_image "$vm/MyBox/disk.s2e" "$T_TMP/replayed.s2e"

# --- -f replaces, only once the clone is complete
s2e vm create Other 1M >/dev/null
t_exit 1 "an existing DST is refused without -f" s2e vm clone MyBox Other
t_is "... and left alone" "$(stat -c %s "$vm/Other/disk.s2e")" 1048576
t_ok "-f replaces it" s2e vm clone -f MyBox Other
t_ok "... with the clone" same_image "$vm/MyBox/disk.s2e" "$vm/Other/disk.s2e"
t_is "... and its snapshots" "$(ls "$vm/Other" | tr '\n' ' ')" \
	"disk.s2e disk.s2e.asdfölkj disk.s2e.base disk.s2e.ready vm.config "
t_is "... recorded as such" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm clone -f MyBox Other"

# --- acceptance 8: refusals change nothing
mkdir "$vm/Defunct"
state()
{
	ls -A "$vm"
	git -C "$S2EDIR" rev-parse HEAD
	stat -c '%n %s %b %y' "$vm"/MyBox/*
	sha256sum "$vm"/MyBox/disk.s2e.*
}
before=$(state)
refuse()
{
	local desc=$1 want=$2
	shift 2
	err=$("$@" 2>&1)
	rc=$?
	if [ $rc = 1 ]; then
		case $err in
		"[FAIL] s2e vm clone: "*"$want"*) t_pass "$desc" ;;
		*) t_fail "$desc"; t_diag "$err" ;;
		esac
	else
		t_fail "$desc"
		t_diag "exit $rc" "$err"
	fi
	t_is "... and changes nothing" "$(state)" "$before"
}
refuse "a missing source is refused" "no such VM 'Nope'" s2e vm clone Nope New
refuse "a defunct source is refused" "defunct" s2e vm clone Defunct New
refuse "an existing destination is refused" "already exists" s2e vm clone MyBox MyClonedBox
refuse "an invalid source name is refused" "../x" s2e vm clone ../x New
refuse "an invalid destination name is refused" "a/b" s2e vm clone MyBox a/b
refuse "a destination with ':' is refused" "a:b" s2e vm clone MyBox a:b
refuse "a destination with a leading dot is refused" ".hidden" s2e vm clone MyBox .hidden
refuse "an empty destination name is refused" "" s2e vm clone MyBox ""
refuse "a 300-byte name is refused" "" s2e vm clone MyBox "$(printf 'x%.0s' $(seq 300))"

# --- acceptance 2: a realistic VM made by bench/make-vm
if "$T_ROOT/bench/make-vm" -q --disk-size 256M --data 24M --snapshots 2 --snapshot-size 6M \
	"$vm/Real" 2>"$T_TMP/make-vm.err"; then
	t_ok "clone of a make-vm VM" s2e vm clone Real RealClone
	for f in disk.s2e disk.s2e.snap1 disk.s2e.snap2; do
		t_ok "$f compares equal" cmp "$vm/Real/$f" "$vm/RealClone/$f"
	done
	src=$(du -B1 -s "$vm/Real" | cut -f1)
	dst=$(du -B1 -s "$vm/RealClone" | cut -f1)
	if [ $((dst * 100)) -le $((src * 105)) ]; then
		t_pass "allocated size $dst <= 1.05 x $src"
	else
		t_fail "allocated size $dst <= 1.05 x $src"
	fi
	if command -v e2fsck >/dev/null; then
		t_ok "the cloned disk holds a clean ext4" e2fsck -fn "$vm/RealClone/disk.s2e"
	fi
	t_is "the clone lists the hand-made snapshots in the same order" \
		"$(s2e vm list RealClone | tail -2)" "$(s2e vm list Real | tail -2)"
else
	t_skip "clone of a make-vm VM" "bench/make-vm failed: $(cat "$T_TMP/make-vm.err")"
fi

# --- progress: a bar on a terminal, nothing extra off it
if script -qec true /dev/null >/dev/null 2>&1; then
	out=$(NO_COLOR=1 script -qec "s2e vm clone MyBox OnTty" /dev/null | tr -d '\r')
	case $out in
	*"[ OK ] copy snapshot: asdfölkj"*) t_pass "on a terminal the status lines are shown" ;;
	*) t_fail "on a terminal the status lines are shown"; t_diag "$out" ;;
	esac
	t_ok "... and the clone is whole" cmp "$vm/MyBox/disk.s2e.base" "$vm/OnTty/disk.s2e.base"
else
	t_skip "on a terminal the status lines are shown" "script(1) cannot make a pseudo-terminal here"
fi
t_is "nothing is left in vm/ but VMs" "$(ls -A "$vm" | grep -c '^\.')" 0

# A VM made by hand in an S2EDIR that has no history yet (as bench/make-vm
# does): the clone starts the history and records itself.
fresh=$T_TMP/fresh
mkdir -p "$fresh/vm/Hand"
truncate -s 1M "$fresh/vm/Hand/disk.s2e"
t_ok "clone of a hand-made VM in an S2EDIR without history" s2e --s2edir "$fresh" vm clone Hand Copy
t_is "... is the first commit" "$(git -C "$fresh" log --format=%s)" "vm clone Hand Copy"
t_done
