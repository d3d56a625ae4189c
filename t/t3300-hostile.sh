#!/bin/bash
# Hostile packages (SPEC §4.1): each is refused with a clear message and
# exit 1, writes nothing outside staging, creates no VM, adds no commit.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing (it writes the hostile tars)"

gen=$T_DIR/hostile-package.py
h=$T_TMP/hostile
mkdir -p "$h"
outside=$T_TMP/outside-target
s2e vm create Seed 1M >/dev/null
commits() { git -C "$S2EDIR" rev-list --count HEAD; }
# Memory is only measured without AddressSanitizer, whose shadow memory and
# quarantine make every process larger.
asan=$(ldd "$(command -v s2e-unpack)" 2>/dev/null | grep libasan)

# kind  expected message (a grep -E pattern)
cases="dotdot|'\.\./x': path with '\.\.'
dotdot-disk|'\.\./disk\.s2e': path with '\.\.'
absolute|absolute path
symlink|'disk\.s2e': it is a symbolic link
hardlink|'disk\.s2e': it is a hard link
device|it is a character device
device-disk|'disk\.s2e': it is a block device
fifo|it is a FIFO
duplicate|'disk\.s2e' appears twice
longer|'disk\.s2e' is 8192 bytes, the manifest says 7680
shorter|'disk\.s2e' is 8192 bytes, the manifest says 8704
digest|does not match its digest in the manifest
missing|missing 'disk\.s2e\.ready', listed in its manifest
empty-snap|'disk\.s2e\.': empty snapshot name
bad-snap|invalid snapshot name
nested|top level or in one directory
two-dirs|top level or in one directory
no-disk|package has no disk\.s2e
petabyte|declares 1125899906842624 bytes, more than
huge|declares 1125899906842624 bytes, more than
garbage|corrupt package|not a package
gzip-garbage|corrupt package
empty|package is empty
bad-manifest|s2e-package\.conf' line 1: malformed section header
include-manifest|line 3: include sections are not allowed
include-bypass|line 3: text after the section header
sparse-bomb|headers \(sparse map included\) take more than 1048576 bytes
many-snapshots|'disk\.s2e\.s1024': the package holds more than 1024 snapshots \(--max-snapshots\)
apparent-total|'disk\.s2e\.big15': .* more than 70368744177664 bytes of apparent size in all \(--max-total\)"

while IFS='|' read -r kind pattern; do
	python3 "$gen" "$kind" "$h/$kind.tgz" "$outside" || { t_fail "generate $kind"; continue; }
	n=$(commits)
	out=$(s2e vm import "$h/$kind.tgz" "Bad-$kind" 2>&1)
	rc=$?
	t_is "$kind: import exits 1" "$rc" 1
	t_ok "$kind: the message says why" grep -qE "^\[FAIL\] s2e vm import: .*($pattern)" <<<"$out" ||
		t_diag "$out"
	t_ok "$kind: no VM" test ! -e "$S2EDIR/vm/Bad-$kind"
	t_is "$kind: no staging left" "$(ls -A "$S2EDIR/vm" | grep -c staging)" 0
	t_is "$kind: no commit" "$(commits)" "$n"
	mkdir "$h/x-$kind"
	t_exit 1 "$kind: s2e-unpack refuses it too" \
		/usr/bin/time -o "$h/rss-$kind" -f %M s2e-unpack -C "$h/x-$kind" "$h/$kind.tgz"
	t_is "$kind: ... and leaves nothing" "$(ls -A "$h/x-$kind")" ""
	# SPEC §7 and issue 11: memory stays below 64 MiB on any input.
	if [ -n "$asan" ]; then
		t_skip "$kind: ... in less than 64 MiB" "AddressSanitizer build (peak $(tail -1 "$h/rss-$kind") KiB)"
	else
		t_ok "$kind: ... in less than 64 MiB (peak $(tail -1 "$h/rss-$kind") KiB)" \
			test "$(tail -1 "$h/rss-$kind")" -lt 65536
	fi
done <<<"$cases"
t_ok "nothing was written outside staging" test ! -e "$outside" -a ! -e "$S2EDIR/x" -a ! -e "$S2EDIR/vm/x" -a ! -e "$h/x"
t_is "only the seed VM exists" "$(ls "$S2EDIR/vm")" "Seed"

# Issue 11 item 10: package bytes never choose an external decompressor.
fake=$T_TMP/fake-bin
mkdir -p "$fake"
for prog in lrzip lzop grzip lzip lz4 compress uncompress gunzip; do
	printf '#!/bin/sh\ntouch "%s/ran-%s"\ncat >/dev/null\n' "$fake" "$prog" >"$fake/$prog"
	chmod +x "$fake/$prog"
done
printf 'LRZI\0\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0%01000d' 0 >"$h/x.lrz"
printf '\211LZO\0\r\n\032\n%01000d' 0 >"$h/x.lzo"
printf 'GRZipII\0\2\4:)%01000d' 0 >"$h/x.grz"
for f in x.lrz x.lzo x.grz; do
	mkdir "$h/ext-$f"
	t_exit 1 "$f: refused" env PATH="$fake:$PATH" "$S2E_BIN/s2e-unpack" -C "$h/ext-$f" "$h/$f"
done
t_is "no external decompressor ran" "$(ls "$fake" | grep -c '^ran-')" 0

# The package-wide bounds can be raised.
t_ok "--max-snapshots raises the snapshot bound" s2e-unpack --check --max-snapshots 1025 "$h/many-snapshots.tgz"
t_ok "--max-total raises the apparent-size bound" s2e-unpack --list --max-total 100T "$h/apparent-total.tgz"
t_exit 2 "--max-snapshots 0 is a usage error" s2e-unpack --check --max-snapshots 0 "$h/many-snapshots.tgz"

# A --max-size bound below a member's size.
t_exit 1 "--max-size lower than a member is refused" sh -c "python3 '$gen' longer '$h/l.tgz' && s2e-unpack --check --max-size 4K '$h/l.tgz'"
t_done
