#!/usr/bin/env bash
# A lab's history over https://: nginx on 127.0.0.1 with TLS (a private CA
# made here by openssl) serving git's smart HTTP through git-http-backend
# under fcgiwrap.  Without the CA, push and pull fail saying the certificate
# is not trusted and change nothing; with `s2e remote add --ca-file`,
# GIT_SSL_CAINFO or http.sslCAInfo they work.
. "$(dirname "$0")/lib.sh"

BACKEND=/usr/lib/git-core/git-http-backend
for c in nginx /usr/sbin/fcgiwrap openssl "$BACKEND"; do
	command -v "$c" >/dev/null ||
		t_skip_all "$c is missing (Debian nginx, fcgiwrap, openssl, git)"
done

D=$T_TMP/https
mkdir -p "$D/tmp" "$D/git"
pids= fcgi=
# fcgiwrap's workers outlive it: it runs in its own process group, killed whole.
trap '[ -n "$fcgi" ] && kill -- -$fcgi 2>/dev/null
	for p in $pids $fcgi; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; t_cleanup' EXIT

# --- a CA, and a certificate for 127.0.0.1 signed by it
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=s2e test CA' \
	-keyout "$D/ca.key" -out "$D/ca.pem" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' \
		-keyout "$D/server.key" -out "$D/server.csr" 2>/dev/null &&
	# IP for git (curl), DNS for libgit2's mbedTLS, which matches names only.
	printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\n' >"$D/san" &&
	openssl x509 -req -in "$D/server.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" \
		-CAcreateserial -days 2 -extfile "$D/san" -out "$D/server.pem" 2>/dev/null ||
	t_skip_all "openssl could not make the certificates"
# Another CA, which did not sign the server's certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=other CA' \
	-keyout "$D/other.key" -out "$D/other.pem" 2>/dev/null

git init -q --bare "$D/git/lab.git"
git -C "$D/git/lab.git" config http.receivepack true

# --- fcgiwrap and nginx, on 127.0.0.1 only
setsid /usr/sbin/fcgiwrap -c 2 -s "unix:$D/fcgi.sock" >"$D/fcgiwrap.log" 2>&1 &
fcgi=$!
for _ in $(seq 50); do [ -S "$D/fcgi.sock" ] && break; sleep 0.1; done
[ -S "$D/fcgi.sock" ] || t_skip_all "fcgiwrap did not start"
t_nginx_server ssl "
		ssl_certificate $D/server.pem;
		ssl_certificate_key $D/server.key;
		client_max_body_size 0;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass unix:$D/fcgi.sock;
			fastcgi_param SCRIPT_FILENAME $BACKEND;
			fastcgi_param GIT_PROJECT_ROOT $D/git;
			fastcgi_param GIT_HTTP_EXPORT_ALL \"\";
			fastcgi_param PATH_INFO \$uri;
		}" 2>"$D/nginx.out"
st=$?
pids="$pids $t_nginx_pid"
[ $st = 0 ] || t_skip_all "nginx did not start: $(tail -n 3 "$D/nginx.out" | tr '\n' ' ')"
PORT=$t_nginx_port
URL=https://127.0.0.1:$PORT/lab.git
t_ok "git itself pushes nothing but can list the repository (the server works)" \
	env GIT_SSL_CAINFO="$D/ca.pem" git ls-remote "$URL"

h() # HOST CMD...
{
	local host=$1
	shift
	S2EDIR=$T_TMP/$host s2e "$@"
}
remote_refs() { git -C "$D/git/lab.git" for-each-ref --format='%(objectname) %(refname)' refs/s2e; }
unset GIT_SSL_CAINFO
h a vm create Box 1M >/dev/null

# --- without the CA: a clear error, nothing changes
h a remote add lab "$URL"
out=$(h a history push lab 2>&1)
t_is "push to a server whose CA is not given fails" "$?" 1
t_ok "... saying the certificate is not trusted and how to give the CA" \
	grep -q "certificate is not trusted.*--ca-file" <<<"$out"
t_is "... and the remote has nothing" "$(remote_refs)" ""
out=$(h a history pull lab 2>&1)
t_is "pull fails alike" "$?" 1
t_ok "... saying so" grep -q "certificate is not trusted" <<<"$out"
h a remote remove lab

t_exit 1 "--ca-file that is not there" h a remote add --ca-file "$D/nope.pem" lab "$URL"
t_is "... adds no remote" "$(h a remote list)" ""
h a remote add --ca-file "$D/other.pem" lab "$URL"
t_exit 1 "a CA that did not sign the server's certificate is refused" h a history push lab
h a remote remove lab

# --- with the CA
t_ok "remote add --ca-file" h a remote add --ca-file "$D/ca.pem" lab "$URL"
t_is "... stored as remote.lab.s2eCaFile" \
	"$(git -C "$T_TMP/a" config remote.lab.s2eCaFile)" "$D/ca.pem"
t_ok "history push over https://" h a history push lab
ID=$(git -C "$T_TMP/a" config s2e.hostId)
t_is "... the remote has host a's history" "$(remote_refs)" \
	"$(git -C "$T_TMP/a" rev-parse HEAD) refs/s2e/hosts/$ID"
t_ok "pushing again changes nothing" h a history push lab

h b vm create Other 1M >/dev/null
h b remote add --ca-file "$D/ca.pem" lab "$URL"
t_ok "host b pulls over https://" h b history pull lab
t_is "... and has host a's history" \
	"$(git -C "$T_TMP/b" rev-parse "refs/s2e/remotes/lab/hosts/$ID")" \
	"$(git -C "$T_TMP/a" rev-parse HEAD)"
t_ok "... s2e log --all shows host a's VM" bash -c "S2EDIR='$T_TMP/b' s2e log --all | grep -q Box"

# --- GIT_SSL_CAINFO and http.sslCAInfo
h c vm create C 1M >/dev/null
h c remote add lab "$URL"
t_exit 1 "host c without a CA cannot pull" h c history pull lab
t_ok "GIT_SSL_CAINFO gives it" env GIT_SSL_CAINFO="$D/ca.pem" S2EDIR="$T_TMP/c" s2e history pull lab
git -C "$T_TMP/c" config http.sslCAInfo "$D/ca.pem"
t_ok "so does http.sslCAInfo" h c history push lab
t_is "the remote now has both hosts" "$(remote_refs | wc -l)" 2

t_done
