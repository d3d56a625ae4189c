#!/bin/bash
# Stores on S3 (SPEC §8): s3rver, started here on 127.0.0.1 with a scratch
# directory, stands for the object store.  Chunking to s3:// and unchunking
# from it use signed requests; an unknown access key gives a clear error.
# s3rver does not check the secret, so one captured request's Signature V4 is
# also recomputed independently (t/sigv4-check.py, AWS's documented algorithm).
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing"

d=$T_TMP/files
mkdir -p "$d"
head -c 3000000 /dev/urandom >"$d/odd"
truncate -s 20M "$d/sparse"
dd if=/dev/urandom of="$d/sparse" bs=1M count=3 seek=5 conv=notrunc status=none
printf 'hello\n' >"$d/small"
s2e-chunk -o "$d/odd.local" "$d/odd"

pids=
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; t_cleanup' EXIT

# Signature V4, recomputed from the algorithm AWS documents.
sport=$(t_free_port)
python3 "$T_DIR/sigv4-check.py" serve "$sport" "$T_TMP/requests.log" &
pids="$pids $!"
if t_wait_port "$sport"; then
	S2E_S3_ENDPOINT=http://127.0.0.1:$sport AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
		AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' AWS_REGION=eu-west-3 \
		s2e-chunk -j 1 --store "s3://bucket/a prefix" -o "$d/small.caibx" "$d/small"
	t_ok "requests were captured: a copy (the touch of a chunk) and an upload" \
		sh -c "grep -q 'x-amz-copy-source' '$T_TMP/requests.log' &&
			grep -q '\"body\": \"[^\"]' '$T_TMP/requests.log'"
	t_ok "every captured signature matches the recomputed one" \
		python3 "$T_DIR/sigv4-check.py" verify "$T_TMP/requests.log" \
		'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
	t_exit 1 "a different secret would not match (the check can fail)" \
		python3 "$T_DIR/sigv4-check.py" verify "$T_TMP/requests.log" 'another-secret'
	t_ok "path-style URL with the prefix escaped" \
		grep -q '"/bucket/a%20prefix/chunks/' "$T_TMP/requests.log"
else
	t_skip "SigV4 recomputation" "the capture server did not start"
fi

command -v s3rver >/dev/null || { t_skip "s3rver round trips" "s3rver is missing (npm install -g s3rver)"; t_done; exit; }
port=$(t_free_port)
mkdir -p "$T_TMP/s3"
s3rver -d "$T_TMP/s3" -a 127.0.0.1 -p "$port" --configure-bucket bkt -s >"$T_TMP/s3rver.log" 2>&1 &
pids="$pids $!"
t_wait_port "$port" || { t_skip "s3rver round trips" "s3rver did not start"; t_done; exit; }
# s3rver's fixed credentials.
export S2E_S3_ENDPOINT=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER

url=s3://bkt/stores/one
for f in odd sparse; do
	t_ok "chunk $f to S3" s2e-chunk --store "$url" "$d/$f"
	t_ok "unchunk $f from S3" s2e-unchunk --store "$url" "$d/$f.caibx" "$d/$f.back"
	t_ok "$f is equal" cmp "$d/$f" "$d/$f.back"
done
t_ok "the index is the same as without a store" cmp "$d/odd.caibx" "$d/odd.local"
t_ok "chunks are objects under PREFIX/chunks/XXXX/" \
	sh -c "ls '$T_TMP/s3/bkt/stores/one/chunks/' | grep -q '^[0-9a-f]\{4\}$'"
out=$(s2e-chunk -v --store "$url" "$d/odd" 2>&1)
t_ok "a second chunk run writes nothing" grep -q "wrote 0 chunks" <<<"$out"
t_ok "the sparse file came back sparse" test "$(t_allocated "$d/sparse.back")" -le $((4 * 1048576))

out=$(AWS_ACCESS_KEY_ID=NOSUCHKEY s2e-unchunk --store "$url" "$d/odd.caibx" "$d/x" 2>&1)
t_is "an unknown access key fails" "$?" 1
t_ok "and says InvalidAccessKeyId" grep -q "access denied.*InvalidAccessKeyId" <<<"$out"
t_ok "nothing was created" test ! -e "$d/x"
out=$(s2e-unchunk --store s3://nosuchbucket/x "$d/odd.caibx" "$d/x" 2>&1)
t_ok "a missing bucket is an error" grep -q "missing\|NoSuchBucket" <<<"$out"
out=$(s2e-unchunk --store "s3://BAD_bucket/x" "$d/odd.caibx" "$d/x" 2>&1)
t_ok "a bad bucket name is refused" grep -q "bad bucket name" <<<"$out"

# STORE/REMOTENAME on S3, by the rule of every store kind: the operand is
# split when what comes before the last '/' already holds a store.
s2e vm create V 4M >/dev/null
dd if=/dev/urandom of="$S2EDIR/vm/V/disk.s2e" bs=1M count=1 seek=1 conv=notrunc status=none
t_exit 0 "push into a store that holds chunks, as a remote name" s2e vm push V "$url/W"
t_is "the store lists it under that name" "$(s2e store list "$url" | grep -v '^ ')" "W"
t_exit 0 "push to a prefix whose parent is no store makes a store there" \
	s2e vm push V s3://bkt/stores/two
t_is "named after the VM" "$(s2e store list s3://bkt/stores/two | grep -v '^ ')" "V"
t_exit 0 "pull STORE/REMOTENAME" s2e --s2edir "$T_TMP/other" vm pull "$url/W" V
t_ok "the VM pulled is equal" cmp "$S2EDIR/vm/V/disk.s2e" "$T_TMP/other/vm/V/disk.s2e"
t_done
