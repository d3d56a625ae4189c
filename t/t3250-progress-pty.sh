#!/usr/bin/env bash
# Progress bars on a terminal (s2e/progress.h, s2e/status.h): every bar is
# erased before the next status line, whichever process drew it (the
# porcelain, or s2e-pack/s2e-unpack/s2e-snapcp under it), and none is left
# at the end.  Run on a pseudo-terminal; t/helpers/pty-render prints what
# the terminal shows, marking a status line with something left before it.
. "$(dirname "$0")/lib.sh"

python3 -c 'import pty' 2>/dev/null || t_skip_all "python3's pty module is not available"
render=$T_DIR/helpers/pty-render
export TERM=xterm

s2e vm create Box 8M >/dev/null
head -c 3M /dev/urandom | dd of="$S2EDIR/vm/Box/disk.s2e" conv=notrunc 2>/dev/null
head -c 1M /dev/urandom >"$S2EDIR/vm/Box/disk.s2e.ready"
head -c 1M /dev/urandom >"$S2EDIR/vm/Box/disk.s2e.later"

# check DESC COMMAND...: on a terminal, it succeeds, shows its status lines
# and no bar is left before any of them, nor at the end.
check()
{
	local desc=$1 out rc
	shift
	out=$("$render" "$@")
	rc=$?
	if [ "$rc" = 0 ] && ! grep -q 'LEFT OVER' <<<"$out" && [ -z "$(printf '%s\n' "$out" | grep -v '^\[\| of [0-9]* chunks' | tr -d '\n')" ]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "exit $rc" "$out"
	fi
}
# pty_raw COMMAND...: the bytes COMMAND writes to a terminal, as they are.
pty_raw()
{
	python3 -c 'import os,pty,sys
pid,fd=pty.fork()
if pid==0: os.execvp(sys.argv[1],sys.argv[1:])
b=b""
while True:
    try: c=os.read(fd,65536)
    except OSError: break
    if not c: break
    b+=c
os.waitpid(pid,0); sys.stdout.write(b.decode("utf-8","replace"))' "$@"
}
# The bar is really drawn on a terminal (else the checks prove nothing).
raw=$(pty_raw s2e vm export Box "$T_TMP/probe.tar.gz")
t_ok "export draws a bar on a terminal" grep -q 'pack.*\[[-#]*\]' <<<"$raw"

check "export: each status line starts clean" s2e vm export Box "$T_TMP/box.tar.gz"
check "export with zstd" s2e vm export --format zstd Box "$T_TMP/box.tar.zst"
check "export to a directory" s2e vm export Box "$T_TMP"
check "import" s2e vm import "$T_TMP/box.tar.gz" Imported
check "import of a raw image" s2e vm import --raw "$S2EDIR/vm/Box/disk.s2e" Raw
check "clone" s2e vm clone Box Cloned
check "push" s2e vm push Box "$T_TMP/store"
check "pull" s2e --s2edir "$T_TMP/other" vm pull "$T_TMP/store/Box"
check "s2e-snapcp --progress leaves no bar" s2e-snapcp --progress "$S2EDIR/vm/Box/disk.s2e" "$T_TMP/copy"
out=$(NO_COLOR= "$render" s2e vm clone Box Coloured)
t_ok "... with colour too" test -n "$out" -a -z "$(grep 'LEFT OVER' <<<"$out")"
# TERM=dumb has no line erase: no bar, no escape sequence; the status lines.
plain() { ! grep -q '\[[-#]*\]' <<<"$1" && ! grep -q $'\033' <<<"$1"; }
raw=$(TERM=dumb pty_raw s2e vm push Box "$T_TMP/dumbstore")
t_ok "TERM=dumb: push still says what it did" grep -q '^pushed .* chunks' <<<"$raw"
t_ok "... but draws no bar and writes no escape sequence" plain "$raw"
raw=$(TERM=dumb pty_raw s2e vm export Box "$T_TMP/dumb.tar.gz")
t_ok "TERM=dumb: export shows its status lines" grep -q 'OK' <<<"$raw"
t_ok "... and no bar, not even its child's" plain "$raw"
t_is "off a terminal no erasing is written" "$(s2e vm clone Box Plain | od -c | grep -c '033')" 0
t_done
