#!/bin/bash
# s2e-pack and s2e-unpack: round trips, holes, plain tar compatibility in
# both directions, every compression, a 20 GiB sparse image.
source "$(dirname "$0")/lib.sh"

for tool in bsdtar zstd xz pigz; do
	command -v $tool >/dev/null || t_skip_all "$tool is missing"
done

# A small VM directory: sparse disk with random data, text and written zeros;
# two snapshots.
vm=$T_TMP/vm
mkdir -p "$vm"
truncate -s 200M "$vm/disk.s2e"
dd if=/dev/urandom of="$vm/disk.s2e" bs=1M count=2 seek=3 conv=notrunc status=none
yes 'some text for the compressor' | head -c 3M |
	dd of="$vm/disk.s2e" bs=1M seek=50 conv=notrunc status=none
dd if=/dev/zero of="$vm/disk.s2e" bs=1M count=2 seek=100 conv=notrunc status=none
printf 'end' | dd of="$vm/disk.s2e" bs=1 seek=$((200 * 1048576 - 3)) conv=notrunc status=none
head -c 3M /dev/urandom >"$vm/disk.s2e.ready"
truncate -s 4M "$vm/disk.s2e.asdfölkj"
printf 'snap' >>"$vm/disk.s2e.asdfölkj"
# Without a vm.config, snapshots are packed in the order of their mtimes.
touch -d '2020-01-01 00:00' "$vm/disk.s2e.ready"
touch -d '2021-01-01 00:00' "$vm/disk.s2e.asdfölkj"

same_files() # DIR: equal to $vm's VM files, holes kept (allocated <= 1.05 x)
{
	local f
	for f in disk.s2e disk.s2e.ready disk.s2e.asdfölkj; do
		cmp "$vm/$f" "$1/$f" || return 1
		[ "$(t_allocated "$1/$f")" -le $(($(t_allocated "$vm/$f") * 105 / 100 + 65536)) ] ||
			{ echo "$1/$f: $(t_allocated "$1/$f") bytes allocated"; return 1; }
	done
}

p=$T_TMP/p
mkdir -p "$p"
t_ok "s2e-pack writes a gzip package" s2e-pack -o "$p/vm.tar.gz" "$vm"
t_ok "it is one valid gzip file" gzip -t "$p/vm.tar.gz"
t_ok "pigz reads it" sh -c "pigz -dc '$p/vm.tar.gz' >/dev/null"
t_is "its members: the disk, the snapshots, the manifest" \
	"$(tar tzf "$p/vm.tar.gz" | sort)" "disk.s2e
disk.s2e.asdfölkj
disk.s2e.ready
s2e-package.conf"
t_ok "the manifest is git-config syntax" \
	sh -c "tar xzf '$p/vm.tar.gz' -O s2e-package.conf >'$T_TMP/m' && git config -f '$T_TMP/m' --list | grep -q '^member.disk.s2e.size=209715200$'"
t_is "the disk's digest in the manifest is s2e-digest's" \
	"$(git config -f "$T_TMP/m" member.disk.s2e.digest)" "$(s2e-digest "$vm/disk.s2e" | cut -d' ' -f1)"
t_is "the package holds compressed data, not compressed holes" \
	"$(($(stat -c %s "$p/vm.tar.gz") < 6 * 1048576))" 1

mkdir "$T_TMP/gnu" "$T_TMP/bsd" "$T_TMP/ours"
t_ok "GNU tar extracts it" tar -C "$T_TMP/gnu" -xzf "$p/vm.tar.gz"
t_ok "... to equal files with holes" same_files "$T_TMP/gnu"
t_ok "bsdtar extracts it" bsdtar -C "$T_TMP/bsd" -xf "$p/vm.tar.gz"
t_ok "... to equal files with holes" same_files "$T_TMP/bsd"
t_ok "s2e-unpack extracts it" s2e-unpack -C "$T_TMP/ours" "$p/vm.tar.gz"
t_ok "... to equal files with holes" same_files "$T_TMP/ours"
t_ok "s2e-unpack --check verifies it" s2e-unpack --check "$p/vm.tar.gz"
t_is "s2e-unpack --list lists it" "$(s2e-unpack --list "$p/vm.tar.gz")" "209715200	disk.s2e
3145728	disk.s2e.ready
4194308	disk.s2e.asdfölkj"
t_ok "s2e-unpack reads standard input" sh -c "s2e-unpack --check - <'$p/vm.tar.gz'"
t_exit 1 "s2e-unpack refuses to overwrite a file" s2e-unpack -C "$T_TMP/ours" "$p/vm.tar.gz"

for fmt in zstd none; do
	mkdir "$T_TMP/$fmt"
	t_ok "--format=$fmt" s2e-pack --format=$fmt -o "$p/vm.$fmt" "$vm"
	t_ok "--format=$fmt round trip" s2e-unpack -C "$T_TMP/$fmt" "$p/vm.$fmt"
	t_ok "... equal files with holes" same_files "$T_TMP/$fmt"
done
t_ok "GNU tar reads the zstd package" sh -c "tar --zstd -tf '$p/vm.zstd' >/dev/null"
t_ok "-1 and -9 give valid packages" sh -c "s2e-pack -1 '$vm' | gzip -t && s2e-pack -9 -j1 '$vm' | gzip -t"
t_ok "s2e-pack streams to a pipe" sh -c "s2e-pack '$vm' | s2e-unpack --check -"
t_exit 1 "-o refuses an existing file" s2e-pack -o "$p/vm.tar.gz" "$vm"
t_ok "-f -o replaces it" s2e-pack -f -o "$p/vm.tar.gz" "$vm"
t_exit 1 "a directory without disk.s2e is refused" s2e-pack -o "$p/x" "$T_TMP/gnu/.."
t_exit 2 "an unknown format is a usage error" s2e-pack --format=lz4 "$vm"

# Packages made by other tools import as well as ours.
make_foreign()
{
	(cd "$vm" && tar czf "$p/gnu.tgz" disk.s2e*) &&
		(cd "$vm" && tar czSf "$p/gnu-sparse.tgz" disk.s2e*) &&
		(cd "$vm" && bsdtar czf "$p/bsdtar.tgz" disk.s2e*) &&
		(cd "$vm" && tar cSf "$p/plain.tar" disk.s2e*) &&
		(cd "$vm" && tar cSf - disk.s2e* | zstd -q >"$p/tar.zst") &&
		(cd "$vm" && tar cSf - disk.s2e* | xz -1 >"$p/tar.xz") &&
		(cd "$vm" && tar cSf - disk.s2e* | pigz >"$p/pigz.tgz") &&
		(cd "$T_TMP" && tar czSf "$p/dir.tgz" vm) &&
		(cd "$vm" && tar czSf "$p/dotslash.tgz" .)
}
t_ok "foreign packages made" make_foreign
for f in gnu.tgz gnu-sparse.tgz bsdtar.tgz plain.tar tar.zst tar.xz pigz.tgz dir.tgz dotslash.tgz; do
	mkdir "$T_TMP/x-$f"
	t_ok "$f is unpacked" s2e-unpack -C "$T_TMP/x-$f" "$p/$f"
	t_ok "... to equal files with holes" same_files "$T_TMP/x-$f"
done
t_is "a non-sparse 'tar czf' package comes back sparse" \
	"$(($(t_allocated "$T_TMP/x-gnu.tgz/disk.s2e") <= $(t_allocated "$vm/disk.s2e")))" 1

# A corrupt, a truncated and a trailing-garbage stream.
size=$(stat -c %s "$p/vm.tar.gz")
head -c $((size / 2)) "$p/vm.tar.gz" >"$p/truncated.tgz"
head -c $((size - 4)) "$p/vm.tar.gz" >"$p/no-trailer.tgz"
cp "$p/vm.tar.gz" "$p/corrupt.tgz"
printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of="$p/corrupt.tgz" bs=1 seek=$((size / 3)) conv=notrunc status=none
for f in truncated no-trailer corrupt; do
	mkdir "$T_TMP/bad-$f"
	t_exit 1 "a $f stream is refused" s2e-unpack -C "$T_TMP/bad-$f" "$p/$f.tgz"
	t_is "... and leaves nothing behind" "$(ls -A "$T_TMP/bad-$f")" ""
done

# A 20 GiB sparse image with data past the 8 and 16 GiB marks, through our
# tools, GNU tar and bsdtar in every direction.
big=$T_TMP/big
mkdir -p "$big/src"
truncate -s 20G "$big/src/disk.s2e"
for gib in 1 9 17; do
	head -c 1M /dev/urandom | dd of="$big/src/disk.s2e" bs=1M seek=$((gib * 1024)) conv=notrunc status=none
done
printf 'last' | dd of="$big/src/disk.s2e" bs=1 seek=$((20 * 1073741824 - 4)) conv=notrunc status=none
src_alloc=$(t_allocated "$big/src/disk.s2e")
src_digest=$(s2e-digest "$big/src/disk.s2e" | cut -d' ' -f1)
# cmp would read 20 GiB of zeros per copy: compare sizes, the content digest
# (which reads only the data) and the bytes around the data marks instead.
check_big() # DIR
{
	local gib
	[ "$(stat -c %s "$1/disk.s2e")" = 21474836480 ] &&
		[ "$(s2e-digest "$1/disk.s2e" | cut -d' ' -f1)" = "$src_digest" ] || return 1
	for gib in 1 9 17; do
		cmp <(dd if="$big/src/disk.s2e" bs=1M skip=$((gib * 1024 - 1)) count=3 status=none) \
			<(dd if="$1/disk.s2e" bs=1M skip=$((gib * 1024 - 1)) count=3 status=none) || return 1
	done
	[ "$(t_allocated "$1/disk.s2e")" -le $((src_alloc * 105 / 100 + 65536)) ]
		[ "$(t_allocated "$1/disk.s2e")" -le $((src_alloc * 105 / 100 + 65536)) ]
}
s2e-pack -o "$big/ours.tgz" "$big/src"
(cd "$big/src" && tar czSf "$big/gnu.tgz" disk.s2e && bsdtar czf "$big/bsd.tgz" --read-sparse disk.s2e 2>/dev/null ||
	bsdtar czf "$big/bsd.tgz" disk.s2e)
for pkg in ours gnu bsd; do
	mkdir "$big/u-$pkg" "$big/t-$pkg" "$big/b-$pkg"
	t_ok "20 GiB: $pkg package -> s2e-unpack" sh -c "s2e-unpack -C '$big/u-$pkg' '$big/$pkg.tgz'"
	t_ok "20 GiB: ... equal, sparse" check_big "$big/u-$pkg"
	t_ok "20 GiB: $pkg package -> GNU tar" tar -C "$big/t-$pkg" -xzSf "$big/$pkg.tgz"
	t_ok "20 GiB: ... equal, sparse" check_big "$big/t-$pkg"
	t_ok "20 GiB: $pkg package -> bsdtar" bsdtar -C "$big/b-$pkg" -xf "$big/$pkg.tgz"
	t_ok "20 GiB: ... equal, sparse" check_big "$big/b-$pkg"
	rm -rf "$big/u-$pkg" "$big/t-$pkg" "$big/b-$pkg"
done
t_is "20 GiB: our package is small" "$(($(stat -c %s "$big/ours.tgz") < 4 * 1048576))" 1

t_ok "s2e-pack --help" s2e-pack --help
t_ok "s2e-unpack --help" s2e-unpack --help
t_exit 2 "s2e-unpack without FILE is a usage error" s2e-unpack
t_done
