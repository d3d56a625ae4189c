#!/usr/bin/env bash
# s2e vm clone on a file system that runs out of space: a clear failure,
# nothing left behind, the source untouched.  Needs a loop mount (root).
. "$(dirname "$0")/lib.sh"

MiB=1048576
img=$T_TMP/small.ext4
mnt=$T_TMP/mnt
mkdir -p "$mnt"
command -v mkfs.ext4 >/dev/null || t_skip_all "mkfs.ext4 is not installed (e2fsprogs)"
truncate -s 96M "$img"
mkfs.ext4 -q -F -m 0 "$img" >/dev/null 2>&1 || t_skip_all "mkfs.ext4 failed on a file"
if ! err=$(mount -o loop "$img" "$mnt" 2>&1); then
	t_skip_all "cannot loop-mount a file system here: $err"
fi
trap 'umount "$mnt" 2>/dev/null || umount -l "$mnt"; t_cleanup' EXIT

export S2EDIR=$mnt/s2e
vm=$S2EDIR/vm
s2e vm create Src 64M >/dev/null
head -c $((40 * MiB)) /dev/urandom | dd of="$vm/Src/disk.s2e" bs=1M seek=8 conv=notrunc status=none
head -c $((8 * MiB)) /dev/urandom >"$vm/Src/disk.s2e.ready"
sync
state()
{
	ls -A "$vm"
	git -C "$S2EDIR" rev-parse HEAD
	stat -c '%n %s %y' "$vm"/Src/*
	sha256sum "$vm"/Src/disk.s2e*
}
before=$(state)
used_before=$(df --output=used -B1 "$mnt" | tail -1)

err=$(s2e vm clone Src Big 2>&1)
rc=$?
t_is "a clone that does not fit fails with exit 1" "$rc" 1
case $err in
*"[FAIL] s2e vm clone: "*"No space left on device"*) t_pass "... saying the disk is full" ;;
*) t_fail "... saying the disk is full"; t_diag "$err" ;;
esac
case $err in
*"[ OK ] copy disk image"*) t_fail "... without claiming a step it did not finish" ;;
*) t_pass "... without claiming a step it did not finish" ;;
esac
t_is "nothing is left behind and the source is untouched" "$(state)" "$before"
t_is "no VM appears in the list" "$(s2e vm list)" "$(printf 'Src\n  Size: 64.0MiB\n  Snapshots:\n    ready')"
sync
used_after=$(df --output=used -B1 "$mnt" | tail -1)
if [ $((used_after - used_before)) -lt $MiB ]; then
	t_pass "the space is given back ($used_before -> $used_after bytes used)"
else
	t_fail "the space is given back ($used_before -> $used_after bytes used)"
fi

# The plumbing alone fails the same way and leaves no partial file: copy
# until the disk is full.
for i in 1 2 3; do
	err=$(s2e-snapcp "$vm/Src/disk.s2e" "$mnt/copy$i" 2>&1) || break
done
case $err in
"s2e-snapcp: cannot write '$mnt/copy$i': No space left on device") t_pass "s2e-snapcp reports the full disk" ;;
*) t_fail "s2e-snapcp reports the full disk"; t_diag "$err" ;;
esac
t_ok "... and leaves no file for the failed copy" test ! -e "$mnt/copy$i"
partial=0
shopt -s dotglob
for f in "$mnt"/*; do
	case ${f##*/} in lost+found | s2e) continue ;; esac
	cmp -s "$f" "$vm/Src/disk.s2e" || partial=$((partial + 1))
done
t_is "... and nothing partial at all" "$partial" 0
shopt -u dotglob
rm -f "$mnt"/copy*

s2e vm create Tiny 1M >/dev/null
t_ok "a clone that fits still works afterwards" s2e vm clone Tiny TinyClone

t_done
