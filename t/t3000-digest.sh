#!/bin/bash
# s2e-digest (SPEC §4.2): agrees with the documented shell one-liner, costs
# nothing for holes, checks lists like sha256sum -c.
source "$(dirname "$0")/lib.sh"

command -v xxd >/dev/null || t_skip_all "xxd is missing (package xxd)"

oneliner()
{
	split -b 1M --filter='sha256sum | head -c 64 | xxd -r -p' "$1" | sha256sum | head -c 64
}

d=$T_TMP/files
mkdir -p "$d"
: >"$d/empty"
printf 'hello\n' >"$d/small"
head -c 1048576 /dev/urandom >"$d/exact"
head -c 3000000 /dev/urandom >"$d/odd"
truncate -s 64M "$d/sparse"
dd if=/dev/urandom of="$d/sparse" bs=1M count=2 seek=10 conv=notrunc status=none
printf 'tail' | dd of="$d/sparse" bs=1 seek=$((64 * 1048576 - 4)) conv=notrunc status=none
truncate -s 5M "$d/holes-only"
# the same content as "sparse", but with the holes written as zeros
cp --sparse=never "$d/sparse" "$d/dense"

for f in empty small exact odd sparse holes-only dense; do
	t_is "digest of $f agrees with the shell one-liner" \
		"$(s2e-digest "$d/$f")" "sha256-1m:$(oneliner "$d/$f")  $d/$f"
done
t_is "holes and written zeros give the same digest" \
	"$(s2e-digest "$d/sparse" | cut -d' ' -f1)" "$(s2e-digest "$d/dense" | cut -d' ' -f1)"
t_is "standard input is digested too" "$(s2e-digest - <"$d/odd" | cut -d' ' -f1)" \
	"$(s2e-digest "$d/odd" | cut -d' ' -f1)"
t_is "-j 1 gives the same digest" "$(s2e-digest -j 1 "$d/sparse")" "$(s2e-digest -j 4 "$d/sparse")"

# A 2 TiB sparse file is digested without reading its holes (a read would
# take many minutes; this takes well under a second per TiB of holes).
truncate -s 2T "$d/huge"
printf 'data' | dd of="$d/huge" bs=1 seek=$((1 << 40)) conv=notrunc status=none
t_ok "a 2 TiB sparse file is digested quickly" timeout 60 s2e-digest "$d/huge"

(cd "$d" && s2e-digest empty small sparse >list)
t_ok "-c accepts a correct list" sh -c "cd '$d' && s2e-digest -c list"
t_is "-c says OK per file" "$(cd "$d" && s2e-digest -c list)" "empty: OK
small: OK
sparse: OK"
printf 'changed\n' >"$d/small"
t_exit 1 "-c fails when a file changed" sh -c "cd '$d' && s2e-digest -c list"
t_is "-c -q names only the failing file" "$(cd "$d" && s2e-digest -c -q list 2>/dev/null)" \
	"small: FAILED"
printf 'not a digest line\n' >"$d/badlist"
t_exit 1 "-c refuses a malformed list" s2e-digest -c "$d/badlist"
t_exit 1 "a missing file is an error" s2e-digest "$d/nope"
t_exit 2 "no argument is a usage error" s2e-digest
t_ok "--help" s2e-digest --help
t_done
