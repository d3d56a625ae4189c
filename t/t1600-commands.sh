#!/usr/bin/env bash
# The s2e dispatcher, --help everywhere, and the man pages.
. "$(dirname "$0")/lib.sh"

t_ok "s2e --version" bash -c 's2e --version | grep -q "^s2e version "'
t_is "s2e --exec-path is where the plumbing is" "$(s2e --exec-path)" "$S2E_BIN"
t_is "S2E_EXEC_PATH overrides it" "$(S2E_EXEC_PATH=/x s2e --exec-path)" "/x"
t_exit 2 "s2e with no command is a usage error" s2e
t_ok "s2e help" bash -c 's2e help | grep -q "^usage: s2e"'
t_ok "s2e help vm" bash -c 's2e help vm | grep -q "s2e vm create"'
t_is "an unknown command names itself and hints" "$(s2e frob 2>&1 | head -1)" \
	"s2e: 'frob' is not an s2e command; see 's2e help'"

t_is "a mistyped command gets a hint" "$(s2e vm lsit 2>&1 | sed -n 2p)" "Did you mean 's2e vm list'?"
t_exit 2 "... and exits 2" s2e vm lsit
t_is "a mistyped top-level command gets a hint" "$(s2e lgo 2>&1 | sed -n 2p)" "Did you mean 's2e log'?"
t_ok "s2e help vm create shows create's help" bash -c 's2e help vm create | grep -q "^usage: s2e vm create"'
t_ok "s2e help vm run shows run's help" bash -c 's2e help vm run | grep -q "^usage: s2e vm run"'
t_is "s2e help vm list is s2e vm list --help" "$(s2e help vm list)" "$(s2e vm list --help)"

# --s2edir at every level; the innermost wins.
s2e --s2edir "$T_TMP/top" vm create Top 1M >/dev/null
s2e vm --s2edir "$T_TMP/mid" create Mid 1M >/dev/null
s2e --s2edir "$T_TMP/x" vm create Low 1M --s2edir "$T_TMP/low" >/dev/null
t_ok "s2e --s2edir D vm create" test -f "$T_TMP/top/vm/Top/disk.s2e"
t_ok "s2e vm --s2edir D create" test -f "$T_TMP/mid/vm/Mid/disk.s2e"
t_ok "the command's own --s2edir wins" test -f "$T_TMP/low/vm/Low/disk.s2e"
t_is "s2e --s2edir D vm list" "$(s2e --s2edir "$T_TMP/top" vm list)" "$(printf 'Top\n  Size: 1.0MiB')"

# No colour on a dumb terminal.
if command -v script >/dev/null; then
	out=$(TERM=dumb script -qec "s2e vm create --s2edir '$T_TMP/dumb' Dumb 1M" /dev/null)
	t_ok "TERM=dumb: no escape sequences" bash -c "! printf %s \"\$1\" | grep -q $'\\033'" _ "$out"
else
	t_skip "TERM=dumb" "script(1) is not installed"
fi

for cmd in create list delete clone export import run status config; do
	t_ok "s2e vm $cmd --help" bash -c "s2e vm $cmd --help | grep -q '^usage: s2e vm $cmd'"
done
for bin in "$S2E_BIN"/s2e-*; do
	b=$(basename "$bin")
	t_ok "$b --help" bash -c "'$bin' --help | grep -q '^usage: $b'"
done

# Plumbing found through the exec path, and a clear error when it is not.
t_exit 1 "porcelain fails clearly without its plumbing" env S2E_EXEC_PATH=/nonexistent s2e vm create X 1M
t_is "... naming what is missing" \
	"$(S2E_EXEC_PATH=/nonexistent s2e vm create X 1M 2>&1 | grep -c 's2e-mkimage')" 1
t_ok "... and leaves no VM" test ! -e "$S2EDIR/vm/X"

# Every command has a man page that man(1) opens.
if command -v man >/dev/null; then
	for page in "$T_ROOT"/Documentation/*.1; do
		t_ok "man -l $(basename "$page")" bash -c "MANWIDTH=80 man -l '$page' 2>&1 >/dev/null | (! grep -q .) && MANWIDTH=80 man -l '$page' | grep -q NAME"
	done
	for b in s2e s2e-vm $(cd "$S2E_BIN" && ls s2e-*); do
		t_ok "$b has a man page" test -f "$T_ROOT/Documentation/$b.1"
	done
else
	t_skip "man pages open" "man(1) is not installed"
fi

t_done
