# Sourced by every t/t*.sh integration script: a small TAP producer, run by
# prove(1), and a scratch S2EDIR per script.
#
#   t_ok DESC CMD...          passes when CMD exits 0
#   t_exit RC DESC CMD...     passes when CMD exits with status RC
#   t_is DESC GOT WANT        passes when the two strings are equal (diff shown)
#   t_skip DESC REASON        a skipped test, reason printed
#   t_skip_all REASON         the whole script is skipped, reason printed
#   t_done                    the plan line; exit status 1 if anything failed
#   t_free_port               a TCP port free on 127.0.0.1 (for a server a test starts)
#   t_wait_port PORT          wait until something listens on 127.0.0.1:PORT (5 s)
#   t_kill_leaves_no_orphans  kill -9 a command at random moments, check no
#                             plumbing of this test outlives it (see below)
#
# The binaries under test come from $S2E_BIN (set by `make check`).  Scripts
# run with colour off, S2E_TRACE unset, HOME and S2EDIR in a fresh directory
# that is removed at exit.

set -u

T_DIR=$(cd "$(dirname "$0")" && pwd)
T_ROOT=$(cd "$T_DIR/.." && pwd)
S2E_BIN=${S2E_BIN:-$T_ROOT/build/default/bin}
PATH=$S2E_BIN:$PATH
export PATH
export NO_COLOR=1 LC_ALL=C.UTF-8 TZ=UTC
unset S2E_TRACE S2E_EXEC_PATH S2E_QEMU GIT_DIR GIT_WORK_TREE

# Under /var/tmp rather than /tmp: it is a real disk file system on which
# holes are kept (tmpfs would do too, but /tmp is not always one).
T_TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/s2e-test.XXXXXX")
export HOME=$T_TMP/home S2EDIR=$T_TMP/s2e
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
trap 't_cleanup' EXIT

t_count=0
t_failed=0

t_cleanup()
{
	if [ -n "${T_KEEP:-}" ]; then
		echo "# kept $T_TMP" >&2
	else
		rm -rf "$T_TMP"
	fi
}

t_pass()
{
	t_count=$((t_count + 1))
	echo "ok $t_count - $1"
}

t_fail()
{
	t_count=$((t_count + 1))
	t_failed=$((t_failed + 1))
	echo "not ok $t_count - $1"
}

t_diag()
{
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

t_ok()
{
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "command: $*" "$out"
	fi
}

t_exit()
{
	local want=$1 desc=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "command: $*" "expected exit $want, got $rc" "$out"
	fi
}

t_is()
{
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		diff -u <(printf '%s\n' "$3") <(printf '%s\n' "$2") | sed 's/^/# /' >&2
	fi
}

t_skip()
{
	t_count=$((t_count + 1))
	echo "ok $t_count - $1 # SKIP $2"
}

t_skip_all()
{
	echo "1..0 # SKIP $1"
	exit 0
}

t_done()
{
	echo "1..$t_count"
	[ "$t_failed" = 0 ]
}

# Bytes allocated on disk for a file.
t_allocated()
{
	echo $(($(stat -c %b "$1") * $(stat -c %B "$1")))
}

# The processes of this test still alive that run a binary from $S2E_BIN
# (`s2e` or any `s2e-*` plumbing, or a script named so, see t_slow_exec_path),
# one "PID COMMAND" per line.  A process is this test's when its environment
# has this test's S2EDIR, so that scripts running side by side (prove -j) do
# not see each other's.
t_s2e_procs()
{
	local p exe bin args
	bin=$(cd "$S2E_BIN" && pwd -P)
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		# (a process may end between the two reads: the redirection's own
		# error is silenced by the braces)
		args=$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
		case "$exe $args" in
		"$bin"/s2e\ * | "$bin"/s2e-* | *\ "$T_TMP"/slow-exec-*/s2e-*) ;;
		*) continue ;;
		esac
		tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "S2EDIR=$S2EDIR" || continue
		echo "${p#/proc/} $args"
	done
}

# t_slow_exec_path SECONDS: a directory for S2E_EXEC_PATH in which every
# s2e-* plumbing waits SECONDS before it runs, so that a command killed
# meanwhile has plumbing that would outlive it by that long (the wait keeps
# no descriptor above 2 open, so it holds no lock).  Prints the directory.
t_slow_exec_path()
{
	local dir=$T_TMP/slow-exec-$1 b
	mkdir -p "$dir"
	for b in "$S2E_BIN"/s2e-*; do
		printf '#!/bin/sh\nsleep %s 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-\nexec %s "$@"\n' \
			"$1" "$b" >"$dir/${b##*/}"
		chmod +x "$dir/${b##*/}"
	done
	echo "$dir"
}

# t_kill_leaves_no_orphans DESC TRIALS MAX_MS CMD
#   Runs the shell command CMD (a string, evaluated; $t_trial is 1..TRIALS,
#   for unique names) TRIALS times in the background, kills it with SIGKILL
#   after a random delay of 0..MAX_MS ms, and one second later checks that no
#   process of this test (t_s2e_procs) is alive.  One test line for all
#   trials.  Seed RANDOM first (RANDOM=42) for a fixed sequence of delays.
#   T_AFTER_KILL, if set, is evaluated after each check (e.g. to clean up).
t_kill_leaves_no_orphans()
{
	local desc=$1 trials=$2 max_ms=$3 cmd=$4 pid delay left bad=0
	for t_trial in $(seq 1 "$trials"); do
		delay=$((RANDOM % (max_ms + 1)))
		# exec: the background process is the command itself, not a
		# shell that would take the kill in its place
		(eval "exec $cmd") >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sleep 1
		left=$(t_s2e_procs)
		if [ -n "$left" ]; then
			bad=$((bad + 1))
			t_diag "trial $t_trial (killed at $delay ms) left:" "$left"
			# do not let them spoil the next trial
			echo "$left" | while read -r p _; do kill -9 "$p" 2>/dev/null; done
		fi
		[ -z "${T_AFTER_KILL:-}" ] || eval "$T_AFTER_KILL" >/dev/null 2>&1
	done
	if [ "$bad" = 0 ]; then
		t_pass "$desc"
	else
		t_fail "$desc ($bad of $trials trials left processes)"
	fi
}

t_free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

t_wait_port()
{
	local i
	for i in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1)).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# t_nginx_server LISTEN_FLAGS SERVER_BODY: start nginx on 127.0.0.1 in the
# background with one server block: `listen 127.0.0.1:PORT LISTEN_FLAGS;`
# then SERVER_BODY (nginx directives).  Sets t_nginx_port, t_nginx_pid and
# t_nginx_dir (its logs and temporary files).  Returns 1 (the error log on
# stderr) if it does not start.  The caller's EXIT trap must kill
# $t_nginx_pid.
t_nginx_server()
{
	local n=$T_TMP/nginx user=
	t_nginx_port=$(t_free_port)
	t_nginx_dir=$n
	mkdir -p "$n/tmp"
	# As root, nginx's workers would drop to an account that cannot enter $T_TMP.
	[ "$(id -u)" = 0 ] && user="user root root;"
	cat >"$n/nginx.conf" <<CONF
$user
daemon off;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log;
events { worker_connections 64; }
http {
	access_log $n/access.log;
	client_body_temp_path $n/tmp;
	proxy_temp_path $n/tmp;
	fastcgi_temp_path $n/tmp;
	uwsgi_temp_path $n/tmp;
	scgi_temp_path $n/tmp;
	server {
		listen 127.0.0.1:$t_nginx_port $1;
		$2
	}
}
CONF
	nginx -c "$n/nginx.conf" -p "$n" -e "$n/error.log" &
	t_nginx_pid=$!
	t_wait_port "$t_nginx_port" || { cat "$n/error.log" >&2; return 1; }
}

# t_nginx ROOT: serve directory ROOT (see t_nginx_server).
t_nginx()
{
	t_nginx_server "" "root $1;"
}
