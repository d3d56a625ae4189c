#!/bin/bash
# s2e vm export / import: the seed transcripts, equal files with holes, the
# history, streams, kill -9.
source "$(dirname "$0")/lib.sh"

command -v bsdtar >/dev/null || t_skip_all "bsdtar is missing"

s2e vm create MyBox 300M >/dev/null
box=$S2EDIR/vm/MyBox
dd if=/dev/urandom of="$box/disk.s2e" bs=1M count=2 seek=7 conv=notrunc status=none
yes 'guest file system text' | head -c 2M | dd of="$box/disk.s2e" bs=1M seek=150 conv=notrunc status=none
head -c 1M /dev/urandom >"$box/disk.s2e.ready"
head -c 1M /dev/urandom >"$box/disk.s2e.base"
head -c 1M /dev/urandom >"$box/disk.s2e.asdfölkj"
# The snapshots are taken in this order (mtime; vm.config lists none yet).
touch -d '2020-01-01' "$box/disk.s2e.ready"
touch -d '2020-01-02' "$box/disk.s2e.base"
touch -d '2020-01-03' "$box/disk.s2e.asdfölkj"

same_vm() # A B: the VM files of two VM directories are equal, holes kept
{
	local f
	for f in disk.s2e disk.s2e.ready disk.s2e.base disk.s2e.asdfölkj; do
		cmp "$S2EDIR/vm/$1/$f" "$S2EDIR/vm/$2/$f" || return 1
		[ "$(t_allocated "$S2EDIR/vm/$2/$f")" -le $(($(t_allocated "$S2EDIR/vm/$1/$f") * 105 / 100)) ] ||
			{ echo "$2/$f is not sparse"; return 1; }
	done
}
commits() { git -C "$S2EDIR" rev-list --count HEAD; }

work=$T_TMP/work
mkdir -p "$work"
cd "$work" || exit 1
out=$(s2e vm export MyBox 2>&1)
t_is "export prints the seed's transcript" "$out" "[INFO] exporting to $work/MyBox.tar.gz
[ OK ] package disk image
[ OK ] package snapshot: ready
[ OK ] package snapshot: base
[ OK ] package snapshot: asdfölkj
[ OK ] compress package
[ OK ] clean up"
t_ok "the package is a valid gzip file" gzip -t MyBox.tar.gz
t_is "export leaves no temporary file" "$(ls -A "$work")" "MyBox.tar.gz"
sha=$(sha256sum MyBox.tar.gz | cut -d' ' -f1)
t_is "the history records the export" "$(git -C "$S2EDIR" log -1 --format=%s)" \
	"vm export MyBox MyBox.tar.gz"
t_is "... and git log -- vm/MyBox shows it (vm.config's updated)" \
	"$(git -C "$S2EDIR" log -1 --format=%s -- vm/MyBox)" "vm export MyBox MyBox.tar.gz"
t_ok "... with the package digest" sh -c "git -C '$S2EDIR' log -1 --format=%b | grep -q 'sha256:$sha'"

out=$(s2e vm import MyBox.tar.gz AnImportedBox 2>&1)
t_is "import prints the seed's transcript" "$out" "[ OK ] initialise VM
[ OK ] decompress package
[ OK ] scan package
[ OK ] extract disk image
[ OK ] extract snapshot: ready
[ OK ] extract snapshot: base
[ OK ] extract snapshot: asdfölkj
[ OK ] clean up"
t_ok "the imported files equal the source, holes kept" same_vm MyBox AnImportedBox
t_is "the manifest is not left in the VM" "$(ls "$S2EDIR/vm/AnImportedBox" | grep -c s2e-package)" 0
t_is "list shows the imported VM with its snapshots in order" "$(s2e vm list AnImportedBox)" \
	"AnImportedBox
  Size: 300.0MiB
  Snapshots:
    ready
    base
    asdfölkj"
t_is "the history records the import" "$(git -C "$S2EDIR" log -1 --format=%s)" \
	"vm import MyBox.tar.gz AnImportedBox"
body=$(git -C "$S2EDIR" log -1 --format=%b)
t_ok "... with the package digest" grep -q "sha256:$sha" <<<"$body"
# The package names the VM's commit before the export's own.
export_commit=$(git -C "$S2EDIR" log -2 --format=%H -- vm/MyBox | sed -n 2p)
t_ok "... and links back to the exported VM's commit" grep -q "Exported from: VM MyBox at commit $export_commit" <<<"$body"
t_ok "vm.config records the origin" sh -c \
	"git config -f '$S2EDIR/vm/AnImportedBox/vm.config' vm.origin | grep -q 'import of MyBox.tar.gz (sha256:$sha)'"
t_is "vm.config records the disk's digest" \
	"$(git config -f "$S2EDIR/vm/AnImportedBox/vm.config" vm.digest)" \
	"$(s2e-digest "$box/disk.s2e" | cut -d' ' -f1)"
t_ok "git fsck is clean" git -C "$S2EDIR" fsck --no-progress

t_exit 1 "import refuses an existing VM" s2e vm import MyBox.tar.gz AnImportedBox
t_ok "import -f replaces it" s2e vm import -f MyBox.tar.gz AnImportedBox
t_exit 1 "export refuses an existing FILE" s2e vm export MyBox
t_ok "export -f replaces it" s2e vm export -f MyBox
t_exit 1 "export of a missing VM fails" s2e vm export NoSuchBox "$work/x.tgz"
t_is "... and writes nothing" "$(ls "$work")" "MyBox.tar.gz"
t_exit 1 "import of a missing file fails" s2e vm import "$work/nope.tgz" Nope
t_exit 2 "import with three operands is a usage error" s2e vm import MyBox.tar.gz A B
t_exit 1 "import refuses a bad VM name" s2e vm import MyBox.tar.gz .hidden

# Streams: export to stdout, import from stdin.
out=$(s2e vm export MyBox - 2>"$T_TMP/err" | s2e vm import - Copy 2>&1)
t_is "export - | import - works" "$(echo "$out" | head -1)" "[ OK ] initialise VM"
t_ok "... equal files" same_vm MyBox Copy
t_is "export - prints its steps on stderr" "$(head -1 "$T_TMP/err")" "[INFO] exporting to standard output"
t_ok "zstd export imports" sh -c "s2e vm export --format zstd MyBox '$work/z.tar.zst' && s2e vm import '$work/z.tar.zst' Z"
t_ok "... equal files" same_vm MyBox Z

# Hand-made packages, as in the seed's manual way.
(cd "$box" && tar czf "$work/manual.tar.gz" disk.s2e*)
(cd "$box" && bsdtar czf "$work/bsd.tar.gz" disk.s2e*)
(cd "$S2EDIR/vm" && tar czSf "$work/dir.tar.gz" MyBox)
for f in manual bsd dir; do
	t_ok "a hand-made package ($f) imports" s2e vm import "$work/$f.tar.gz" "Hand-$f"
	t_ok "... to equal files with holes" same_vm MyBox "Hand-$f"
done
echo notes >"$T_TMP/README"
(cd "$box" && tar cf "$work/extra.tar" disk.s2e -C "$T_TMP" README)
out=$(s2e vm import "$work/extra.tar" Extra 2>&1)
t_ok "a foreign member is skipped with a warning" grep -qx '\[WARN\] misformatted file: README (skipping)' <<<"$out"
t_is "... and the VM is imported without it" "$(ls "$S2EDIR/vm/Extra")" "disk.s2e
vm.config"

# --raw
head -c 3M /dev/urandom >"$work/disk.raw"
truncate -s 64M "$work/disk.raw"
out=$(s2e vm import --raw "$work/disk.raw" RawBox 2>&1)
t_is "import --raw prints the seed's transcript" "$out" "[ OK ] initialise VM
[ OK ] copy disk image"
t_ok "... the image is the disk" cmp "$work/disk.raw" "$S2EDIR/vm/RawBox/disk.s2e"
t_is "... and is sparse" "$(($(t_allocated "$S2EDIR/vm/RawBox/disk.s2e") <= 4 * 1048576))" 1
t_ok "... recorded as a raw import" sh -c "git -C '$S2EDIR' log -1 --format=%s | grep -qx 'vm import --raw .*disk.raw RawBox'"
t_is "... with the image's digest" "$(git config -f "$S2EDIR/vm/RawBox/vm.config" vm.digest)" \
	"$(s2e-digest "$work/disk.raw" | cut -d' ' -f1)"
out=$(s2e vm import --raw - RawStdin <"$work/disk.raw" 2>&1)
t_is "import --raw - reads standard input" "$out" "[ OK ] initialise VM
[ OK ] copy disk image"
t_ok "... the image is the disk" cmp "$work/disk.raw" "$S2EDIR/vm/RawStdin/disk.s2e"
t_is "... and is sparse" "$(($(t_allocated "$S2EDIR/vm/RawStdin/disk.s2e") <= 4 * 1048576))" 1

# kill -9: never a file at the target path, never a VM.
head -c 150M /dev/urandom >"$box/disk.s2e.big"
n=$(commits)
for delay in 0.1 0.3 0.6; do
	rm -f "$work/killed.tgz"
	setsid s2e vm export MyBox "$work/killed.tgz" >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 -- -$pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ -e "$work/killed.tgz" ]; then
		t_ok "kill -9 after ${delay}s of export: a file there is complete" s2e-unpack --check "$work/killed.tgz"
	else
		t_pass "kill -9 after ${delay}s of export leaves no file"
	fi
	t_is "... nor a temporary" "$(ls -A "$work" | grep -c killed)" "$([ -e "$work/killed.tgz" ] && echo 1 || echo 0)"
done
rm -f "$work/killed.tgz"
# Only the porcelain dies: s2e-pack notices (SIGPIPE on its status pipe) and
# does not create the file.
s2e vm export MyBox "$work/orphan.tgz" >/dev/null 2>&1 &
pid=$!
sleep 0.2
kill -9 $pid
wait $pid 2>/dev/null
for i in $(seq 100); do pgrep -f "s2e-pack.*orphan.tgz" >/dev/null || break; sleep 0.1; done
t_is "kill -9 of export alone: s2e-pack stops without creating the file" "$(ls -A "$work" | grep -c orphan)" 0

s2e vm export -f MyBox "$work/big.tgz" >/dev/null
n=$(commits)
mkfifo "$T_TMP/fifo"
s2e vm import "$T_TMP/fifo" Killed >/dev/null 2>&1 &
pid=$!
exec 7>"$T_TMP/fifo"
head -c 20M "$work/big.tgz" >&7
sleep 0.3
kill -9 $pid
wait $pid 2>/dev/null
exec 7>&-
for i in $(seq 100); do pgrep -f "s2e-unpack.*fifo" >/dev/null || break; sleep 0.1; done
t_ok "kill -9 during import leaves no VM" test ! -e "$S2EDIR/vm/Killed"
t_is "... and no commit" "$(commits)" "$n"
s2e vm list >/dev/null
s2e vm create After 1M >/dev/null
t_is "the next command cleans the staging directory" "$(ls -A "$S2EDIR/vm" | grep -c staging)" 0
t_done
