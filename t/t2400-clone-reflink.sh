#!/usr/bin/env bash
# s2e vm clone on a reflink XFS (a loop mount): the clone shares the source's
# blocks, so the file system's used space barely grows.  Needs root, xfsprogs.
. "$(dirname "$0")/lib.sh"

MiB=1048576
img=$T_TMP/xfs.img
mnt=$T_TMP/mnt
mkdir -p "$mnt"
command -v mkfs.xfs >/dev/null || t_skip_all "mkfs.xfs is not installed (xfsprogs)"
# XFS wants at least 300 MiB; the file is sparse.
truncate -s 512M "$img"
if ! err=$(mkfs.xfs -q -f -m reflink=1 "$img" 2>&1); then
	t_skip_all "mkfs.xfs -m reflink=1 failed: $err"
fi
if ! err=$(mount -o loop "$img" "$mnt" 2>&1); then
	t_skip_all "cannot loop-mount a file system here: $err"
fi
trap 'umount "$mnt" 2>/dev/null || umount -l "$mnt"; t_cleanup' EXIT

export S2EDIR=$mnt/s2e
vm=$S2EDIR/vm
s2e vm create Src 256M >/dev/null
head -c $((64 * MiB)) /dev/urandom | dd of="$vm/Src/disk.s2e" bs=1M seek=100 conv=notrunc status=none
head -c $((16 * MiB)) /dev/urandom >"$vm/Src/disk.s2e.ready"
head -c $((16 * MiB)) /dev/urandom >"$vm/Src/disk.s2e.base"
sync
used()
{
	sync
	df --output=used -B1 "$mnt" | tail -1
}

before=$(used)
out=$(S2E_TRACE=1 s2e vm clone Src Clone 2>"$T_TMP/trace")
t_is "clone on XFS prints the transcript" "$out" "[ OK ] initialise VM
[ OK ] copy disk image
[ OK ] copy snapshot: ready
[ OK ] copy snapshot: base"
after=$(used)
for f in disk.s2e disk.s2e.ready disk.s2e.base; do
	t_ok "$f compares equal" cmp "$vm/Src/$f" "$vm/Clone/$f"
done
grew=$((after - before))
if [ "$grew" -lt "$MiB" ]; then
	t_pass "used space grew by $grew bytes (< 1 MiB) for 96 MiB of data"
else
	t_fail "used space grew by $grew bytes (< 1 MiB) for 96 MiB of data"
fi
if command -v filefrag >/dev/null; then
	case $(filefrag -v "$vm/Clone/disk.s2e") in
	*shared*) t_pass "the clone's extents are shared" ;;
	*) t_fail "the clone's extents are shared"; t_diag "$(filefrag -v "$vm/Clone/disk.s2e")" ;;
	esac
else
	t_skip "the clone's extents are shared" "filefrag is not installed"
fi

t_ok "s2e-snapcp --reflink=always works here" \
	s2e-snapcp --reflink=always -v "$vm/Src/disk.s2e.ready" "$mnt/always"
t_is "... by reflink" "$(s2e-snapcp --reflink=always -v "$vm/Src/disk.s2e.ready" "$mnt/always2" 2>&1 |
	sed 's/.*: \(reflink\),.*/\1/')" reflink
before=$(used)
t_ok "s2e-snapcp --reflink=never copies the bytes" \
	s2e-snapcp --reflink=never "$vm/Src/disk.s2e.ready" "$mnt/never"
grew=$(($(used) - before))
t_ok "... and takes space for them ($grew bytes)" test "$grew" -ge $((15 * MiB))
t_ok "... the same bytes" cmp "$vm/Src/disk.s2e.ready" "$mnt/never"

# Writing to the clone leaves the source alone.
sum=$(sha256sum <"$vm/Src/disk.s2e.ready")
head -c $MiB /dev/zero | dd of="$vm/Clone/disk.s2e.ready" conv=notrunc status=none
t_is "writing to the clone does not change the source" "$(sha256sum <"$vm/Src/disk.s2e.ready")" "$sum"

t_done
