#!/bin/bash
# s2e-chunk and s2e-unchunk on directory stores (SPEC §8.1), checked against
# casync itself: our indexes are byte-identical to `casync make`'s, `casync
# extract` rebuilds our files, and we rebuild files from casync's stores.
# Then hostile indexes and chunks, each refused with nothing left behind.
source "$(dirname "$0")/lib.sh"

command -v casync >/dev/null || t_skip_all "casync is missing (package casync)"
command -v python3 >/dev/null || t_skip_all "python3 is missing"

CASYNC_MAKE="casync make --digest=sha256 --compression=zstd --chunk-size=1048576:1048576:1048576"
d=$T_TMP/files
s=$T_TMP/store
mkdir -p "$d"
: >"$d/empty"
printf 'hello\n' >"$d/small"
head -c 1048576 /dev/urandom >"$d/exact"
head -c 3000000 /dev/urandom >"$d/odd"
truncate -s 64M "$d/sparse"
dd if=/dev/urandom of="$d/sparse" bs=1M count=2 seek=10 conv=notrunc status=none
printf 'tail' | dd of="$d/sparse" bs=1 seek=$((64 * 1048576 - 4)) conv=notrunc status=none
cp --sparse=never "$d/sparse" "$d/dense"
files="empty small exact odd sparse dense"

for f in $files; do
	t_ok "s2e-chunk $f" s2e-chunk --store "$s" -o "$d/$f.ours" "$d/$f"
	(cd "$d" && $CASYNC_MAKE --store="$T_TMP/throwaway" "$f.casync.caibx" "$f") >/dev/null 2>&1
	t_ok "index of $f is byte-identical to casync make's" cmp "$d/$f.ours" "$d/$f.casync.caibx"
	rm -f "$d/$f.out"
	cp "$d/$f.ours" "$d/$f.ours.caibx"
	casync extract --store="$s/chunks" "$d/$f.ours.caibx" "$d/$f.out" >/dev/null 2>&1
	t_ok "casync extract rebuilds $f from our store" cmp "$d/$f" "$d/$f.out"
	t_ok "s2e-unchunk rebuilds $f" s2e-unchunk --store "$s" "$d/$f.ours" "$d/$f.back"
	t_ok "s2e-unchunk's $f is equal" cmp "$d/$f" "$d/$f.back"
done
t_ok "the default index name is FILE.caibx" s2e-chunk --store "$s" "$d/odd"
t_ok "FILE.caibx is the same index" cmp "$d/odd.caibx" "$d/odd.ours"
mkdir -p "$d/idx"
t_ok "--index-dir" s2e-chunk --index-dir "$d/idx" "$d/odd" "$d/small"
t_ok "--index-dir writes DIR/NAME.caibx" cmp "$d/idx/small.caibx" "$d/small.ours"

# Sparse: written zeros and holes give one index; the rebuilt file has holes.
t_ok "holes and written zeros give the same index" cmp "$d/sparse.ours" "$d/dense.ours"
t_ok "the rebuilt dense file is sparse" \
	test "$(t_allocated "$d/dense.back")" -le $((4 * 1048576))
ids()
{
	for f in "$@"; do python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
for i in range(64, len(d) - 40, 40): print(d[i+8:i+40].hex())' "$f"; done
}
t_is "every chunk is stored once, the zero chunk too" \
	"$(find "$s/chunks" -name '*.cacnk' | wc -l)" \
	"$(ids "$d"/*.ours | sort -u | wc -l)"

# -v: the summary, and the digest is the file's sha256-1m.
out=$(s2e-chunk -v --store "$s" -o "$d/sparse.again" "$d/sparse" 2>&1)
t_ok "a second run writes no chunk" grep -q "wrote 0 chunks" <<<"$out"
t_ok "the summary gives the sha256-1m digest" \
	grep -q "$(s2e-digest "$d/sparse" | cut -d' ' -f1)" <<<"$out"
some=$(find "$s/chunks" -name '*.cacnk' | head -1)
touch -d '2000-01-01' "$some"
s2e-chunk --store "$s" --index-dir "$d/idx" "$d/odd" "$d/sparse" "$d/small" "$d/exact"
t_ok "a chunk found present gets its time refreshed (gc keeps it)" \
	test "$(stat -c %Y "$some")" -gt "$(date -d '2001-01-01' +%s)"
out=$(s2e-unchunk -v --store "$s" "$d/sparse.ours" "$d/sparse.v" 2>&1)
t_ok "unchunk -v gives the digest too" grep -q "$(s2e-digest "$d/sparse" | cut -d' ' -f1)" <<<"$out"
t_ok "unchunk fetches no all-zero chunk" grep -q "fetched 3 chunks" <<<"$out"
t_ok "the index can come from standard input" \
	sh -c "s2e-unchunk --store '$s' - '$d/odd.stdin' <'$d/odd.ours' && cmp '$d/odd' '$d/odd.stdin'"
t_ok "--size that agrees" s2e-unchunk --size 3000000 --store "$s" "$d/odd.ours" "$d/odd.sz"

# Stores made by casync: fixed 1 MiB chunks, and casync's default chunking.
c=$T_TMP/castore
(cd "$d" && $CASYNC_MAKE --store="$c" odd.ca.caibx odd &&
	casync make --digest=sha256 --store="$c" sparse.ca.caibx sparse &&
	casync make --store="$T_TMP/throwaway" sparse.sha512.caibx sparse) \
	>/dev/null 2>&1
t_ok "s2e-unchunk --chunks rebuilds from a casync store" \
	s2e-unchunk --chunks "$c" "$d/odd.ca.caibx" "$d/odd.fromca"
t_ok "and the file is equal" cmp "$d/odd" "$d/odd.fromca"
t_ok "casync's default (variable) chunking is read too" \
	s2e-unchunk --chunks "file://$c" "$d/sparse.ca.caibx" "$d/sparse.fromca"
t_ok "and that file is equal" cmp "$d/sparse" "$d/sparse.fromca"

# Hostile indexes: refused with a message naming the index, OUT never created.
refused() # DESC PATTERN ARGS...
{
	local desc=$1 pattern=$2 out rc
	shift 2
	rm -f "$d/hostile.out"
	out=$(s2e-unchunk "$@" "$d/hostile.out" 2>&1)
	rc=$?
	if [ $rc = 1 ] && grep -q -- "$pattern" <<<"$out" && [ ! -e "$d/hostile.out" ] &&
		[ -z "$(ls -A "$d" | grep '^\.hostile')" ]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "exit $rc" "$out"
	fi
}
for kind in magic flags unsorted overlap big-chunk header-max trailing truncated tail; do
	python3 "$T_DIR/hostile-index.py" $kind "$d/odd.ours" "$d/$kind.caibx"
done
refused "casync's default SHA-512/256 IDs are refused" "only SHA-256" --chunks "$c" \
	"$d/sparse.sha512.caibx"
refused "bad magic" "index .*bad magic" --store "$s" "$d/magic.caibx"
refused "SHA-512/256 feature flag" "SHA-512/256" --store "$s" "$d/flags.caibx"
refused "unsorted offsets" "not increasing" --store "$s" "$d/unsorted.caibx"
refused "overlapping offsets" "not increasing" --store "$s" "$d/overlap.caibx"
refused "a chunk larger than 1 MiB" "larger than" --store "$s" "$d/big-chunk.caibx"
refused "a header allowing chunks over 1 MiB" "larger than 1 MiB" --store "$s" "$d/header-max.caibx"
refused "trailing garbage" "trailing garbage" --store "$s" "$d/trailing.caibx"
refused "a truncated index" "truncated" --store "$s" "$d/truncated.caibx"
refused "a bad table tail" "bad table tail" --store "$s" "$d/tail.caibx"
refused "a size other than --size" "expected 3000001" --size 3000001 --store "$s" "$d/odd.ours"
refused "an empty index file" "truncated" --store "$s" "$d/empty"

# Hostile chunks: content not matching the ID, a zstd bomb, a missing chunk.
id=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d[72:104].hex())' "$d/odd.ours")
chunk=$s/chunks/${id:0:4}/$id.cacnk
cp "$chunk" "$T_TMP/good.cacnk"
head -c 1048576 /dev/urandom | zstd -q -c >"$chunk"
refused "a chunk whose content does not match its ID" "does not match its ID" \
	--store "$s" "$d/odd.ours"
head -c 3M /dev/zero | zstd -q -c >"$chunk"
refused "a zstd bomb" "more than 1 MiB" --store "$s" "$d/odd.ours"
printf 'not zstd' >"$chunk"
refused "a chunk that is not zstd" "not a zstd frame" --store "$s" "$d/odd.ours"
head -c 100 "$T_TMP/good.cacnk" >"$chunk"
refused "a truncated chunk" "corrupt or truncated" --store "$s" "$d/odd.ours"
rm -f "$chunk"
refused "a missing chunk" "chunk $id is missing" --store "$s" "$d/odd.ours"
cp "$T_TMP/good.cacnk" "$chunk"
t_ok "with the chunk back it works" s2e-unchunk --store "$s" "$d/odd.ours" "$d/odd.again"

# Two runs at once into one store, of files sharing chunks: both succeed.
head -c 8M /dev/urandom >"$d/base"
cp "$d/base" "$d/variant"
dd if=/dev/urandom of="$d/variant" bs=1M count=2 seek=3 conv=notrunc status=none
c2=$T_TMP/shared
s2e-chunk -j 2 --store "$c2" -o "$d/base.idx" "$d/base" &
p1=$!
s2e-chunk -j 2 --store "$c2" -o "$d/variant.idx" "$d/variant" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
t_is "two concurrent runs sharing chunks both succeed" "$r1 $r2" "0 0"
t_ok "and both files come back" sh -c "s2e-unchunk --store '$c2' '$d/base.idx' '$d/base.back' &&
	s2e-unchunk --store '$c2' '$d/variant.idx' '$d/variant.back' &&
	cmp '$d/base' '$d/base.back' && cmp '$d/variant' '$d/variant.back'"
t_is "the shared chunks are stored once" "$(find "$c2/chunks" -name '*.cacnk' | wc -l)" 10

# kill -9 in the middle: no index appears; a rerun writes only what is missing.
head -c 120M /dev/urandom >"$d/big"
k=$T_TMP/killed
s2e-chunk -j 1 --store "$k" "$d/big" &
pk=$!
for i in $(seq 100); do
	[ "$(find "$k" -name '*.cacnk' 2>/dev/null | wc -l)" -ge 5 ] && break
	sleep 0.05
done
kill -9 $pk 2>/dev/null
wait $pk 2>/dev/null
before=$(find "$k" -name '*.cacnk' | wc -l)
if [ "$before" -lt 120 ]; then
	t_ok "killed: no index was left" test ! -e "$d/big.caibx"
	out=$(s2e-chunk -v --store "$k" "$d/big" 2>&1)
	t_ok "the rerun writes only the missing chunks" \
		grep -q "wrote $((120 - before)) chunks.*; $before already in the store" <<<"$out"
	t_ok "and the file comes back" sh -c "s2e-unchunk --store '$k' '$d/big.caibx' '$d/big.back' &&
		cmp '$d/big' '$d/big.back'"
else
	t_skip "kill -9 in the middle" "s2e-chunk finished before it could be killed"
fi

t_exit 2 "no operand is a usage error" s2e-chunk
t_exit 2 "unchunk needs --store or --chunks" s2e-unchunk "$d/odd.ours" "$d/x"
t_exit 1 "an unknown URL scheme" s2e-unchunk --store "ftp://x" "$d/odd.ours" "$d/x"
t_ok "s2e-chunk --help" s2e-chunk --help
t_ok "s2e-unchunk --help" s2e-unchunk --help
t_done
