#!/usr/bin/env bash
# The VM transaction behind create, clone and delete: a history that never
# lies (names git refuses, a commit that fails after the rename), symlinked
# VM directories, delete on a full disk, and the error messages of list.
. "$(dirname "$0")/lib.sh"

vm=$S2EDIR/vm
# Everything that could change: the VM directories, HEAD, git's view.
state()
{
	ls -A "$vm" 2>/dev/null
	stat -c '%n %s' "$vm"/*/* 2>/dev/null
	git -C "$S2EDIR" rev-parse HEAD 2>/dev/null
	git -C "$S2EDIR" status --porcelain 2>/dev/null
}

# --- a name git refuses is refused before anything is touched
out=$(s2e vm create 'GIT~1' 1M 2>&1)
t_is "create GIT~1 fails with exit 1" "$?" 1
case $out in
*"invalid VM name 'GIT~1'"*) t_pass "... naming the VM" ;;
*) t_fail "... naming the VM"; t_diag "$out" ;;
esac
t_ok "... and nothing was created, not even S2EDIR" test ! -e "$S2EDIR"
s2e vm create A 1M >/dev/null
echo snap >"$vm/A/disk.s2e.s1"
before=$(state)
t_exit 1 "create 'git~1.' (NTFS: the same as .git) is refused" s2e vm create 'git~1.' 1M
t_exit 1 "clone onto GIT~1 is refused" s2e vm clone A 'GIT~1'
t_is "... and nothing changed" "$(state)" "$before"
mkdir "$vm/GIT~1"
t_ok "a VM made by hand under a name git refuses can still be deleted" s2e vm delete -y 'GIT~1'
t_ok "... and is gone" test ! -e "$vm/GIT~1"
before=$(state)

# --- a history commit that fails after the rename: the rename is undone
export S2E_TEST_FAIL=history-publish
out=$(s2e vm create B 1M 2>&1)
t_is "a create whose commit fails exits 1" "$?" 1
case $out in
*"history-publish failed"*) t_pass "... with the commit's error" ;;
*) t_fail "... with the commit's error"; t_diag "$out" ;;
esac
t_is "... and leaves no VM B and no change" "$(state)" "$before"
t_exit 1 "create -f over A, commit failing" s2e vm create -f A 2M
t_is "... leaves the old A in place" "$(state)" "$before"
t_exit 1 "clone, commit failing" s2e vm clone A C
t_is "... leaves no clone" "$(state)" "$before"
t_exit 1 "delete, commit failing" s2e vm delete -y A
t_is "... leaves A in place" "$(state)" "$before"
t_exit 1 "delete of a snapshot, commit failing" s2e vm delete A:s1
t_is "... leaves the snapshot and its record" "$(state)" "$before"
unset S2E_TEST_FAIL
t_ok "the history is sound after all that" git -C "$S2EDIR" fsck --strict --no-progress

# --- a VM in use (a running vm run holds its mark) is neither replaced nor deleted
s2e vm create Src 1M >/dev/null
before=$(state)
mark=$S2EDIR/.s2e/inuse/vm/A
mkdir -p "${mark%/*}" && : >"$mark"
flock -s "$mark" sleep 30 &
holder=$!
sleep 0.3
out=$(s2e vm delete -y A 2>&1)
case $out in
*"VM 'A' is in use"* | *"VM A is in use"*) t_pass "delete of a VM in use is refused" ;;
*) t_fail "delete of a VM in use is refused"; t_diag "$out" ;;
esac
t_exit 1 "create -f over a VM in use is refused" s2e vm create -f A 2M
out=$(s2e vm clone -f Src A 2>&1)
case $out in
*"in use"*) t_pass "clone -f over a VM in use is refused" ;;
*) t_fail "clone -f over a VM in use is refused"; t_diag "$out" ;;
esac
t_is "... and nothing changed" "$(state)" "$before"
kill "$holder"
wait "$holder" 2>/dev/null

# --- options after operands, one call each
t_ok "delete of a snapshot" s2e vm delete A:s1
s2e vm create Tmp 1M >/dev/null
t_ok "delete Tmp -y" s2e vm delete Tmp -y
t_ok "... is gone" test ! -e "$vm/Tmp"

# --- symlinked VM directories
mkdir -p "$T_TMP/elsewhere"
s2e vm create Real 1M >/dev/null
cp -a "$vm/Real" "$T_TMP/elsewhere/Box"
s2e vm delete -y Real >/dev/null
ln -s "$T_TMP/elsewhere/Box" "$vm/Box"
out=$(s2e vm delete -y Box 2>&1)
t_is "delete of a symlinked VM directory works" "$out" "[ OK ] delete Box"
t_ok "... the link is gone" test ! -e "$vm/Box" -a ! -L "$vm/Box"
t_ok "... the directory it pointed at is left alone" test -f "$T_TMP/elsewhere/Box/disk.s2e"
t_is "... recorded" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm delete Box"
ln -s "$T_TMP/elsewhere/Box" "$vm/Box"
out=$(s2e vm clone -f A Box 2>&1)
t_is "clone -f over a symlinked VM works" "$?" 0
t_ok "... Box is now a directory of its own" test -d "$vm/Box" -a ! -L "$vm/Box"
t_ok "... with the clone" cmp "$vm/A/disk.s2e" "$vm/Box/disk.s2e"
t_is "... recorded" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm clone -f A Box"
t_is "... and git status is clean" "$(git -C "$S2EDIR" status --porcelain)" ""

# --- list: a VM it cannot read is an error with its reason, never skipped
# silently, and never "unknown error"
s2e vm create Broken 1M >/dev/null
rm "$vm/Broken/disk.s2e"
printf '[vm\n' >"$vm/Broken/vm.config"
out=$(s2e vm list 2>&1)
t_is "list with an unreadable VM fails" "$?" 1
case $out in
*"unknown error"*) t_fail "... with a reason"; t_diag "$out" ;;
*vm.config*) t_pass "... with a reason" ;;
*) t_fail "... with a reason"; t_diag "$out" ;;
esac
rm -rf "$vm/Broken"
echo x >"$vm/A/disk.s2e.s2"
out=$(S2E_TEST_FAIL=vm-scan s2e vm list A 2>&1)
case $out in
*"vm-scan failed"*) t_pass "a failed snapshot scan keeps its message" ;;
*) t_fail "a failed snapshot scan keeps its message"; t_diag "$out" ;;
esac

# --- delete on a full disk
if [ "$(id -u)" != 0 ]; then
	t_skip "delete on a full disk" "needs root for a loop mount"
elif ! command -v mkfs.ext4 >/dev/null; then
	t_skip "delete on a full disk" "mkfs.ext4 is not installed (e2fsprogs)"
else
	img=$T_TMP/full.ext4
	mnt=$T_TMP/mnt
	mkdir -p "$mnt"
	truncate -s 32M "$img"
	mkfs.ext4 -q -F -m 0 "$img" >/dev/null 2>&1
	if ! err=$(mount -o loop "$img" "$mnt" 2>&1); then
		t_skip "delete on a full disk" "cannot loop-mount a file system here: $err"
	else
		trap 'umount "$mnt" 2>/dev/null || umount -l "$mnt"; t_cleanup' EXIT
		(
			export S2EDIR=$mnt/s2e
			s2e vm create Full 8M >/dev/null
			head -c $((8 * 1048576)) /dev/urandom >"$S2EDIR/vm/Full/disk.s2e"
			dd if=/dev/zero of="$mnt/fill" bs=64k status=none 2>/dev/null
			for i in $(seq 1 200); do echo x >"$mnt/f$i" 2>/dev/null || break; done
			out=$(s2e vm delete -y Full 2>&1)
			t_is "delete on a full disk succeeds" "$out" "[ OK ] delete Full"
			t_ok "... the VM is gone" test ! -e "$S2EDIR/vm/Full"
			t_is "... recorded" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm delete Full"
			t_is "... git status is clean" "$(git -C "$S2EDIR" status --porcelain)" ""
			echo "$t_count $t_failed" >"$T_TMP/counts"
		)
		read -r t_count t_failed <"$T_TMP/counts"
	fi
fi

t_done
