#!/bin/bash
# The plumbing's status records cannot be forged by a member name, s2e-pack
# puts its file in place atomically, and closed standard descriptors are not
# mistaken for files (issue 11 items 1 and 4, issue 8 item 8).
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing (it writes the hostile tars)"

gen=$T_DIR/hostile-package.py
h=$T_TMP/h
mkdir -p "$h"

# --- a member name longer than 8 KiB with a forged record inside
python3 "$gen" forged-status "$h/forged.tgz"
out=$(s2e vm import "$h/forged.tgz" Forged 2>&1)
t_is "a package with a long foreign member name imports" "$?" 0
t_ok "... with one warning for that member" \
	sh -c "grep -c '^\[WARN\] misformatted file: nnnnnnnn.*(skipping)\$' <<'EOF_'
$out
EOF_
" 
t_is "... and no phantom snapshot in the listing" "$(s2e vm list Forged | sed 1d)" "  Size: 0.0MiB"
t_is "... nor in vm.config" "$(grep -c phantom "$S2EDIR/vm/Forged/vm.config")" 0
t_is "... nor in the commit" "$(git -C "$S2EDIR" log -1 --format=%b | grep -c phantom)" 0
t_ok "vm list still works for every VM" s2e vm list
mkdir "$h/x"
s2e-unpack -C "$h/x" --status-fd 3 "$h/forged.tgz" 3>"$h/records"
t_is "s2e-unpack writes one record per line" "$(wc -l <"$h/records")" 3
t_is "... the long name escaped in one field" "$(grep '^skipped ' "$h/records" | awk '{ print $1, NF }')" "skipped 2"
t_is "... its newline and spaces as %0A and %20" \
	"$(grep '^skipped ' "$h/records" | grep -o 'phantom%0Aextracted%207' | head -1)" "phantom%0Aextracted%207"

# --- s2e-pack -f: the old file stays until the new one replaces it
vm=$T_TMP/vm
mkdir -p "$vm"
head -c 64K /dev/urandom >"$vm/disk.s2e"
echo old >"$T_TMP/old.tgz"
t_ok "s2e-pack -f -o replaces a file" s2e-pack -f -o "$T_TMP/new.tgz" "$vm"
if command -v strace >/dev/null && strace -f -o /dev/null -e inject=linkat:error=EIO true 2>/dev/null; then
	cp "$T_TMP/old.tgz" "$T_TMP/keep.tgz"
	t_exit 1 "s2e-pack -f fails when linking fails" \
		strace -f -o /dev/null -e trace=linkat -e inject=linkat:error=EIO s2e-pack -f -o "$T_TMP/keep.tgz" "$vm"
	t_is "... and the old file is still there, unchanged" "$(cat "$T_TMP/keep.tgz" 2>&1)" old
	t_exit 1 "s2e-pack -f fails when the rename fails" \
		strace -f -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:error=EIO \
		s2e-pack -f -o "$T_TMP/keep.tgz" "$vm"
	t_is "... the old file is still there" "$(cat "$T_TMP/keep.tgz" 2>&1)" old
	t_is "... and no temporary is left" "$(ls -A "$T_TMP" | grep -c '^\.keep')" 0
	# A FILE that appears while s2e-pack works is not replaced (no -f).
	strace -f -o /dev/null -e trace=linkat -e inject=linkat:delay_enter=1500000 \
		s2e-pack -o "$T_TMP/late.tgz" "$vm" 2>"$T_TMP/late.err" &
	pid=$!
	sleep 0.7
	echo late >"$T_TMP/late.tgz"
	wait $pid
	t_is "a FILE created meanwhile makes s2e-pack fail" "$?" 1
	t_is "... and is left alone" "$(cat "$T_TMP/late.tgz")" late
else
	for d in "fails when linking fails" "keeps the old file" "fails when the rename fails" \
		"keeps the old file" "leaves no temporary" "refuses a FILE created meanwhile" "leaves it alone"; do
		t_skip "s2e-pack -f $d" "strace with fault injection is not available"
	done
fi

# --- closed standard descriptors
rm -f "$T_TMP/closed.tgz"
s2e-pack -o "$T_TMP/closed.tgz" "$vm" >&-
t_is "s2e-pack -o FILE with standard output closed exits 0" "$?" 0
t_ok "... and FILE is a complete package" s2e-unpack --check "$T_TMP/closed.tgz"
s2e-pack -o "$T_TMP/closed2.tgz" "$vm" <&- >&- 2>&-
t_ok "... with all three closed too" s2e-unpack --check "$T_TMP/closed2.tgz"
s2e vm create A 1M >/dev/null
(cd "$T_TMP" && s2e vm export A a.tgz >&- 2>&-)
t_is "s2e vm export A a.tgz >&- 2>&- exits 0" "$?" 0
t_ok "... and a.tgz exists and is complete" s2e-unpack --check "$T_TMP/a.tgz"
mkdir "$h/y"
s2e-unpack -C "$h/y" "$T_TMP/a.tgz" <&- >&-
t_is "s2e-unpack with standard input and output closed" "$(ls "$h/y")" "disk.s2e
s2e-package.conf
vm.config"
t_is "s2e-digest with standard input closed" "$(s2e-digest "$vm/disk.s2e" <&- | cut -c1-10)" "sha256-1m:"

# --- export records under the lock, and only a VM that still exists
s2e vm create Gone 1M >/dev/null
head -c 2M /dev/urandom >"$S2EDIR/vm/Gone/disk.s2e.snap"
mkfifo "$T_TMP/pipe"
s2e vm export Gone - >"$T_TMP/pipe" 2>"$T_TMP/gone.err" &
pid=$!
exec 8<"$T_TMP/pipe"
sleep 0.5 # s2e-pack now waits for the reader: the pipe is full
s2e vm delete -y Gone >/dev/null
cat <&8 >/dev/null
exec 8<&-
wait $pid
t_is "export of a VM deleted while it packs fails" "$?" 1
t_ok "... saying so" grep -q "no VM named 'Gone'" "$T_TMP/gone.err"
t_is "... and records nothing" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm delete Gone"
t_ok "... nor recreates the VM" test ! -e "$S2EDIR/vm/Gone"

# --- import -f over a symlinked VM directory (issue 11 item 13)
s2e vm export A "$T_TMP/a2.tgz" >/dev/null
mkdir -p "$T_TMP/elsewhere"
cp -r "$S2EDIR/vm/A" "$T_TMP/elsewhere/Box"
echo mine >"$T_TMP/elsewhere/Box/notes"
ln -s "$T_TMP/elsewhere/Box" "$S2EDIR/vm/Box"
t_exit 1 "import over a symlinked VM directory without -f is refused" s2e vm import "$T_TMP/a2.tgz" Box
out=$(s2e vm import -f "$T_TMP/a2.tgz" Box 2>&1)
t_is "import -f over it succeeds, with no [FAIL]" "$?:$(grep -c FAIL <<<"$out")" "0:0"
t_ok "... Box is now a real VM directory" test -d "$S2EDIR/vm/Box" -a ! -L "$S2EDIR/vm/Box"
t_is "... the link's target is untouched" "$(cat "$T_TMP/elsewhere/Box/notes")" mine
t_is "... and the replacement is recorded" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm import -f $T_TMP/a2.tgz Box"
t_is "... with nothing left uncommitted" "$(git -C "$S2EDIR" status --porcelain)" ""

# --- the porcelain's reader refuses any record it does not expect: a fake
# s2e-unpack (first in the exec path) writes crafted records on fd 3.
fake=$T_TMP/fake
mkdir -p "$fake"
for b in "$S2E_BIN"/s2e-*; do ln -s "$b" "$fake/"; done
rm "$fake/s2e-unpack"
refused_record() # OUTPUT
{
	grep -q 'malformed status record\|no package record' <<<"$1" && test ! -e "$S2EDIR/vm/Fake"
}
D=sha256-1m:$(printf '%064d' 0)
P="package gzip sha256:$(printf '%064d' 0) 10"
while IFS='|' read -r desc records; do
	printf '#!/bin/sh\nwhile [ "$1" != -C ]; do shift; done\ntruncate -s 512 "$2/disk.s2e"\nprintf "%s" >&3\n' \
		"$records" >"$fake/s2e-unpack"
	chmod +x "$fake/s2e-unpack"
	out=$(S2E_EXEC_PATH=$fake s2e vm import "$T_TMP/a2.tgz" Fake 2>&1)
	t_is "a $desc is refused" "$?" 1
	t_ok "... as a malformed status record, with no VM" refused_record "$out"
done <<EOF_
repeated member|extracted 512 - disk.s2e\\nextracted 512 - disk.s2e\\n$P\\n
member that is not a VM file|extracted 512 - disk.s2e\\nextracted 1 - ../x\\n$P\\n
bad digest|extracted 512 sha256-1m:xyz disk.s2e\\n$P\\n
snapshot named with a slash|extracted 512 - disk.s2e\\nsnapshot a/b - -\\n$P\\n
repeated snapshot|extracted 512 - disk.s2e\\nsnapshot a - -\\nsnapshot a - -\\n$P\\n
unknown record|extracted 512 - disk.s2e\\nfrobnicate x\\n$P\\n
record after the last one|extracted 512 - disk.s2e\\n$P\\nskipped x\\n
missing package record|extracted 512 - disk.s2e\\n
record with a raw control byte|extracted 512 - disk.s2e\\nskipped a\\tb\\n$P\\n
size that is not a number|extracted 5x - disk.s2e\\n$P\\n
EOF_
cat >"$fake/s2e-unpack" <<EOF_
#!/bin/sh
while [ "\$1" != -C ]; do shift; done
truncate -s 512 "\$2/disk.s2e"
printf 'extracted 512 $D disk.s2e\\nsnapshot gone - -\\n$P\\n' >&3
EOF_
t_ok "well-formed records from the fake import" env S2E_EXEC_PATH="$fake" s2e vm import "$T_TMP/a2.tgz" Fake
t_is "... a snapshot without its file is not recorded" "$(grep -c gone "$S2EDIR/vm/Fake/vm.config")" 0

t_done
