#!/bin/bash
# Stores over HTTP (SPEC §8): nginx, started here on 127.0.0.1, serves a
# store directory; s2e-unchunk reads from it; a 404, a connection refused and
# a truncated transfer give clear errors; HTTP stores are read-only.
source "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || t_skip_all "nginx is missing (package nginx)"
command -v python3 >/dev/null || t_skip_all "python3 is missing"

s=$T_TMP/store
d=$T_TMP/files
mkdir -p "$d"
head -c 3000000 /dev/urandom >"$d/odd"
truncate -s 20M "$d/sparse"
dd if=/dev/urandom of="$d/sparse" bs=1M count=3 seek=5 conv=notrunc status=none
s2e-chunk --store "$s" "$d/odd" "$d/sparse" || t_skip_all "s2e-chunk failed"

trap 'kill $t_nginx_pid 2>/dev/null; wait $t_nginx_pid 2>/dev/null; t_cleanup' EXIT
t_nginx "$s" || t_skip_all "nginx did not start"
port=$t_nginx_port n=$t_nginx_dir

url=http://127.0.0.1:$port
for f in odd sparse; do
	t_ok "unchunk $f over HTTP" s2e-unchunk -j 4 --store "$url" "$d/$f.caibx" "$d/$f.back"
	t_ok "$f is equal" cmp "$d/$f" "$d/$f.back"
done
t_ok "a trailing slash in the URL is fine" s2e-unchunk --store "$url/" "$d/odd.caibx" "$d/odd.b2"
t_ok "the rebuilt sparse file has holes" test "$(t_allocated "$d/sparse.back")" -le $((4 * 1048576))
t_ok "nginx saw no request for the zero chunk" \
	sh -c "! grep -q \"$(python3 -c 'import hashlib; print(hashlib.sha256(bytes(1 << 20)).hexdigest())')\" '$n/access.log'"

expect_fail() # DESC PATTERN ARGS...
{
	local desc=$1 pattern=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 1 ] && grep -q -- "$pattern" <<<"$out"; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "exit $rc" "$out"
	fi
}
expect_fail "a store URL that is not there: a missing chunk, HTTP 404" "is missing" \
	s2e-unchunk --store "$url/nope" "$d/odd.caibx" "$d/x"
t_ok "and nothing was created" test ! -e "$d/x"
dead=$(t_free_port)
expect_fail "connection refused is said so" "cannot connect.*Connection refused" \
	s2e-unchunk --store "http://127.0.0.1:$dead" "$d/odd.caibx" "$d/x"
expect_fail "an HTTP store is read-only" "read-only" s2e-chunk --store "$url" "$d/odd"

# A server that announces more bytes than it sends: a truncated transfer.
tport=$(t_free_port)
python3 - "$tport" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
s.settimeout(20)
try:
    while True:
        c, _ = s.accept()
        if not c.recv(65536):
            continue
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n" + b"x" * 10)
        c.close()
except socket.timeout:
    pass
PY
liar=$!
t_wait_port "$tport"
expect_fail "a truncated transfer is said so" "truncated transfer" \
	s2e-unchunk -j 1 --store "http://127.0.0.1:$tport" "$d/odd.caibx" "$d/x"
kill $liar 2>/dev/null
wait $liar 2>/dev/null
t_done
