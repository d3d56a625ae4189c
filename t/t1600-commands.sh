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

for cmd in create list delete clone export import run; do
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
