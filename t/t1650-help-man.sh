#!/usr/bin/env bash
# Every command's --help agrees with its man page, in the manner of git's
# t0450: each usage line of --help stands in the page's SYNOPSIS, and every
# option --help lists is described under OPTIONS.
. "$(dirname "$0")/lib.sh"

command -v man >/dev/null || t_skip_all "man(1) is not installed"

# The commands: s2e, each `s2e CMD` and `s2e vm CMD` listed by the
# dispatchers' help, and every plumbing binary.
commands()
{
	echo s2e
	s2e --help | sed -n 's/^   \([a-z]\+\)  .*/\1/p' | grep -vx help | while read -r c; do
		echo "s2e $c"
		s2e "$c" --help | sed -n "s/^   \\([a-z]\\+\\)  .*/s2e $c \\1/p"
	done
	(cd "$S2E_BIN" && ls s2e-*)
}

# A page rendered as plain ASCII text, one section at a time.
section() # PAGE HEADING
{
	LC_ALL=C MANWIDTH=1000 man -E ascii -l "$1" 2>/dev/null | col -b |
		awk -v h="$2" '/^[A-Z][A-Z ]*$/ { on = ($0 == h); next } on'
}

fold() { tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'; }

check() # COMMAND...
{
	local name="$*" page synopsis options help line opt missing=
	page=$T_ROOT/Documentation/$(echo "$name" | tr ' ' -).1
	if [ ! -f "$page" ]; then
		t_fail "$name has a man page"
		return
	fi
	help=$($@ --help)
	synopsis=$(section "$page" SYNOPSIS | fold)
	while IFS= read -r line; do
		line=$(printf %s "$line" | sed 's/^usage: //; s/^   or: //' | fold)
		case " $synopsis " in
		*" $line "*) ;;
		*) missing="$missing [synopsis: $line]" ;;
		esac
	done < <(printf '%s\n' "$help" | grep -E '^(usage|   or): ')
	options=$(section "$page" OPTIONS | fold)
	for opt in $(printf '%s\n' "$help" | grep -E '^    -' |
		grep -oE '(^| )--?[A-Za-z0-9][A-Za-z0-9-]*' | tr -d ' ' | sort -u); do
		case "$opt" in -h | --help) continue ;; esac
		case " $options " in
		*[\ \[]"$opt"[\ ,=\[]*) ;;
		*) missing="$missing [option: $opt]" ;;
		esac
	done
	if [ -z "$missing" ]; then
		t_pass "$name: --help agrees with $(basename "$page")"
	else
		t_fail "$name: --help agrees with $(basename "$page")"
		t_diag "missing from the page:$missing"
	fi
}

while read -r cmd; do
	check $cmd
done < <(commands)

t_done
