#!/usr/bin/env bash
# s2e-snapcp: exact copies whatever the hole layout, holes kept, all or nothing.
. "$(dirname "$0")/lib.sh"

d=$T_TMP/files
mkdir -p "$d"
MiB=1048576

# Random data of LEN bytes at OFFSET in FILE (created if missing).
put()
{
	head -c "$3" /dev/urandom | dd of="$1" bs=64K seek="$2" oflag=seek_bytes conv=notrunc status=none
}

# --- usage
t_ok "--help" s2e-snapcp --help
t_is "--help prints the usage on stdout" "$(s2e-snapcp --help | head -1)" \
	"usage: s2e-snapcp [--reflink=auto|always|never] [--progress[=FD]] [--no-sync] [-j N] [-f] [-v] SRC DST"
t_exit 2 "no arguments is a usage error" s2e-snapcp
t_exit 2 "one argument is a usage error" s2e-snapcp "$d/x"
t_exit 2 "three arguments is a usage error" s2e-snapcp a b c
t_exit 2 "an unknown --reflink mode is a usage error" s2e-snapcp --reflink=maybe a b
t_exit 2 "an unknown option is a usage error" s2e-snapcp --frobnicate a b

# --- the hole layouts of acceptance 5, under each reflink mode
truncate -s $((8 * MiB)) "$d/hole-start"
put "$d/hole-start" $((6 * MiB)) $((2 * MiB))
truncate -s $((8 * MiB)) "$d/hole-middle"
put "$d/hole-middle" 0 $MiB
put "$d/hole-middle" $((7 * MiB)) $MiB
put "$d/hole-end" 0 $MiB
truncate -s $((8 * MiB)) "$d/hole-end"
truncate -s $((64 * MiB)) "$d/all-hole"
put "$d/no-holes" 0 $((3 * MiB + 5))
put "$d/odd-size" 4096 10000
truncate -s 1234567 "$d/odd-size"
: >"$d/empty"
# Written zeros between data: read/write leaves them as holes.
put "$d/zeros" 0 4096
head -c $((4 * MiB)) /dev/zero >>"$d/zeros"
put "$d/zeros" $((4 * MiB + 4096)) 4096
chmod 0640 "$d/hole-middle"
touch -d '2001-02-03 04:05:06.789' "$d/hole-end"

for mode in auto never; do
	for f in hole-start hole-middle hole-end all-hole no-holes odd-size empty zeros; do
		out=$T_TMP/out.$mode.$f
		t_ok "$f ($mode): copied" s2e-snapcp --reflink=$mode "$d/$f" "$out"
		t_ok "$f ($mode): same bytes" cmp "$d/$f" "$out"
		t_is "$f ($mode): same size" "$(stat -c %s "$out")" "$(stat -c %s "$d/$f")"
		src_alloc=$(t_allocated "$d/$f")
		dst_alloc=$(t_allocated "$out")
		if [ "$dst_alloc" -le "$src_alloc" ]; then
			t_pass "$f ($mode): holes kept ($dst_alloc <= $src_alloc bytes allocated)"
		else
			t_fail "$f ($mode): holes kept ($dst_alloc > $src_alloc bytes allocated)"
		fi
		t_is "$f ($mode): same mode and mtime" "$(stat -c '%a %y' "$out")" "$(stat -c '%a %y' "$d/$f")"
	done
	t_is "all-hole ($mode): nothing allocated" "$(stat -c %b "$T_TMP/out.$mode.all-hole")" 0
	t_ok "zeros ($mode): written zeros became a hole" \
		test "$(t_allocated "$T_TMP/out.$mode.zeros")" -lt $MiB
done

# --- verbose says how; silent otherwise
out=$(s2e-snapcp "$d/hole-start" "$T_TMP/quiet" 2>&1)
t_is "silent on success" "$out" ""
out=$(s2e-snapcp -v "$d/hole-start" "$T_TMP/verbose" 2>&1)
case $out in
"s2e-snapcp: $d/hole-start -> $T_TMP/verbose: "*"8.0 MiB"*) t_pass "-v says what was copied and how" ;;
*) t_fail "-v says what was copied and how"; t_diag "$out" ;;
esac
out=$(s2e-snapcp --progress "$d/hole-start" "$T_TMP/progress" 2>&1)
t_is "--progress off a terminal prints nothing" "$out" ""
if script -qec true /dev/null >/dev/null 2>&1; then
	out=$(script -qec "s2e-snapcp --progress -j1 '$d/all-hole' '$T_TMP/progress-tty'" /dev/null)
	t_ok "--progress on a terminal works" cmp "$d/all-hole" "$T_TMP/progress-tty"
else
	t_skip "--progress on a terminal works" "script(1) cannot make a pseudo-terminal here"
fi
s2e-snapcp --progress=3 "$d/hole-middle" "$T_TMP/fd" 3>"$T_TMP/fd.log"
t_is "--progress=FD ends with all the data done" "$(tail -1 "$T_TMP/fd.log" | awk '$1 == $2 { print "done" }')" done
t_ok "options may follow the operands" s2e-snapcp "$d/hole-middle" "$T_TMP/after" --jobs 2 -v --progress=3 3>/dev/null
t_ok "... and copy the same" cmp "$d/hole-middle" "$T_TMP/after"
t_exit 2 "the old --threads spelling is gone (-j/--jobs)" s2e-snapcp --threads=2 "$d/hole-middle" "$T_TMP/x1"
t_exit 2 "the old --progress-fd spelling is gone (--progress=FD)" s2e-snapcp --progress-fd=3 "$d/hole-middle" "$T_TMP/x2"
t_exit 2 "a bad -j value is a usage error" s2e-snapcp -j 0 "$d/hole-middle" "$T_TMP/x3"

# --- all or nothing
cp "$d/no-holes" "$T_TMP/existing"
t_exit 1 "an existing DST is refused without -f" s2e-snapcp "$d/hole-start" "$T_TMP/existing"
t_ok "... and left as it was" cmp "$d/no-holes" "$T_TMP/existing"
err=$(s2e-snapcp "$d/hole-start" "$T_TMP/existing" 2>&1)
case $err in
"s2e-snapcp: "*"existing"*"already exists"*) t_pass "... with a message naming it" ;;
*) t_fail "... with a message naming it"; t_diag "$err" ;;
esac
t_ok "-f replaces it" s2e-snapcp -f "$d/hole-start" "$T_TMP/existing"
t_ok "... with the new contents" cmp "$d/hole-start" "$T_TMP/existing"

err=$(s2e-snapcp "$d/missing" "$T_TMP/new" 2>&1)
t_exit 1 "a missing SRC fails" s2e-snapcp "$d/missing" "$T_TMP/new"
case $err in *"missing"*"No such file"*) t_pass "... naming it" ;; *) t_fail "... naming it"; t_diag "$err" ;; esac
t_ok "... and creates nothing" test ! -e "$T_TMP/new"
t_exit 1 "a directory as SRC fails" s2e-snapcp "$d" "$T_TMP/new"
t_exit 1 "a directory as DST fails" s2e-snapcp "$d/empty" "$d"
t_exit 1 "SRC onto itself fails" s2e-snapcp -f "$d/no-holes" "$d/no-holes"
t_ok "... and leaves it whole" test "$(stat -c %s "$d/no-holes")" = $((3 * MiB + 5))
t_exit 1 "a DST in a missing directory fails" s2e-snapcp "$d/empty" "$T_TMP/nowhere/x"

# --reflink=always: succeeds where the file system shares blocks, else fails
# clearly and leaves nothing.
if err=$(s2e-snapcp --reflink=always "$d/hole-start" "$T_TMP/always" 2>&1); then
	t_ok "--reflink=always on a reflink file system copies" cmp "$d/hole-start" "$T_TMP/always"
else
	case $err in
	*"does not support reflinks"*) t_pass "--reflink=always fails clearly without reflinks" ;;
	*) t_fail "--reflink=always fails clearly without reflinks"; t_diag "$err" ;;
	esac
	t_ok "... and leaves nothing" test ! -e "$T_TMP/always"
fi
t_is "no temporary file is ever left behind" "$(ls -A "$T_TMP" | grep -c snapcp)" 0

t_done
