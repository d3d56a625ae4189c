#!/usr/bin/env bash
# Shell completion (contrib/completion/): bash's function driven as bash
# would drive it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT in,
# COMPREPLY out), zsh's through a pty running an interactive zsh, the
# hidden helper they read, and where `make install` puts them.
. "$(dirname "$0")/lib.sh"

COMPL=$T_ROOT/contrib/completion

s2e vm create MyBox 1M >/dev/null
s2e vm create MyOther 1M >/dev/null
s2e vm create Zed 1M >/dev/null
echo state >"$S2EDIR/vm/MyBox/disk.s2e.ready"
s2e vm status --record >/dev/null
mkdir -p "$T_TMP/files/adir" && : >"$T_TMP/files/afile.tar"

# --- the helper: hidden, and derived from the command tables
t_ok "--help does not show the completion helper" \
	bash -c "! s2e vm run --help | grep -q completion-helper"
t_is "s2e vm's sub-commands come from its table" \
	"$(s2e vm --s2e-completion-helper | sed -n 's/^command //p' | sort | tr '\n' ' ')" \
	"$(s2e vm --help | sed -n 's/^   \([a-z]\+\)  .*/\1/p' | sort | tr '\n' ' ')"
t_ok "vm run's helper names its MODE words" \
	bash -c "s2e vm run --s2e-completion-helper | grep -qx 'words MODE kvm|prep|sym'"
for m in kvm prep sym; do
	t_exit 0 "... and '$m' is a mode vm run takes" \
		s2e vm run --dry-run --qemu /bin/true MyBox "$m"
done
t_ok "the helper works after other words too (vm run --batch F chooses the batch table)" \
	bash -c "s2e vm run --s2e-completion-helper --batch F | grep -qx 'option --engine ENGINE'"

# --- bash
# Complete LINE (the cursor at its end) as bash does: COMP_WORDS split at
# blanks and at COMP_WORDBREAKS' ':' and '='; COMPREPLY, sorted, on one line.
complete_bash()
{
	bash --norc --noprofile -c '
		. "$1/s2e.bash"
		COMP_LINE=$2 COMP_POINT=${#2}
		words=$(printf "%s" "$2" | sed "s/\([:=]\)/ \1 /g")
		read -ra COMP_WORDS <<<"$words"
		[[ $2 == *[[:space:]:=] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		[[ $2 == *[:=] ]] && COMP_CWORD=$((COMP_CWORD - 1)) && unset "COMP_WORDS[-1]"
		_s2e
		((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$COMPL" "$1"
}
t_is "bash: s2e vm del<TAB> completes to delete" "$(complete_bash 's2e vm del')" "delete "
t_is "bash: s2e vm run My<TAB> lists the VMs starting with My, and their snapshots" \
	"$(complete_bash 's2e vm run My')" "MyBox MyBox:ready MyOther "
t_is "bash: s2e vm run MyBox:<TAB> gives its snapshots" \
	"$(complete_bash 's2e vm run MyBox:')" ":ready "
t_is "bash: s2e vm run MyBox:r<TAB> (bash's word is 'r', after the ':')" \
	"$(complete_bash 's2e vm run MyBox:r')" "ready "
t_is "bash: s2e vm run MyBox <TAB> gives the modes" \
	"$(complete_bash 's2e vm run MyBox ')" "kvm prep sym "
t_is "bash: options before and between operands are skipped (-m 1G ... p<TAB>)" \
	"$(complete_bash 's2e vm run -m 1G --accel tcg MyBox p')" "prep "
opts=$(complete_bash 's2e vm run --')
for o in --memory --accel --dry-run --again --s2edir --help; do
	t_ok "bash: s2e vm run --<TAB> offers $o" bash -c "printf '%s' \"\$1\" | grep -q -- '$o '" _ "$opts"
done
t_ok "bash: ... and not the hidden helper" bash -c "! printf '%s' \"\$1\" | grep -q -- completion" _ "$opts"
t_is "bash: an option's values (--accel <TAB>)" "$(complete_bash 's2e vm run --accel ')" "kvm tcg "
t_is "bash: ... and --accel=<TAB>" "$(complete_bash 's2e vm run --accel=t')" "tcg "
t_is "bash: s2e <TAB> gives the commands" "$(complete_bash 's2e ')" "help history log remote store vm "
t_is "bash: s2e vm list MyBox Z<TAB> (NAME... repeats)" "$(complete_bash 's2e vm list MyBox Z')" "Zed "
t_is "bash: s2e log --vm M<TAB>" "$(complete_bash 's2e log --vm M')" "MyBox MyOther "
t_is "bash: words after -- are QEMU's" "$(complete_bash 's2e vm run MyBox kvm -- ')" ""
t_is "bash: a FILE operand completes file names" \
	"$(cd "$T_TMP/files" && complete_bash 's2e vm import a')" "adir afile.tar "
mv "$S2EDIR" "$T_TMP/other"
t_is "bash: VM names come from \$S2EDIR (moved away: none)" "$(complete_bash 's2e vm run M')" ""
t_is "bash: ... or from --s2edir DIR on the line" \
	"$(complete_bash "s2e --s2edir $T_TMP/other vm delete M")" "MyBox MyBox:ready MyOther "
t_is "bash: ... --s2edir=DIR after the command too" \
	"$(complete_bash "s2e vm delete --s2edir=$T_TMP/other Z")" "Zed "
mv "$T_TMP/other" "$S2EDIR"

# --- zsh, in an interactive zsh on a pty, with compinit
if ! command -v zsh >/dev/null 2>&1; then
	t_skip "zsh completion" "zsh is not installed (tools/install-deps installs it)"
else
	t_exit 0 "zsh: _s2e parses" zsh -n "$COMPL/_s2e"
	# Type each LINE and TAB; print the matches compadd added, and the buffer.
	cat >"$T_TMP/zt.zsh" <<'ZSH'
zmodload zsh/zpty || exit 3
dir=$1 hits=$2; shift 2
zpty z zsh -f -i
zpty -w z "PS1= RPROMPT=; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a h; builtin compadd -A h "$@"; local r=$?; (( ! $#h )) || print -rl -- $h >>$HITS; builtin compadd "$@"; return r }'
zpty -w z "bindkey '^T' show; show() { print -r -- \"\$BUFFER\" >>\$HITS.buffer; BUFFER=; }; zle -N show"
for line in "$@"; do
	zpty -w z "HITS=$hits.$#line"
	zpty -w -n z "$line"$'\t\C-t'
	for _ in {1..300}; do [[ -e $hits.$#line.buffer ]] && break; sleep 0.05; done
done
zpty -d z
ZSH
	zcomplete()
	{
		rm -f "$T_TMP"/zhits.*
		timeout 60 zsh -f "$T_TMP/zt.zsh" "$COMPL" "$T_TMP/zhits" "$1" >/dev/null 2>&1
		printf '%s|' "$(sort -u "$T_TMP/zhits.${#1}" 2>/dev/null | tr '\n' ' ')" \
			"$(cat "$T_TMP/zhits.${#1}.buffer" 2>/dev/null)"
	}
	t_is "zsh: s2e vm del<TAB> completes to delete" "$(zcomplete 's2e vm del')" "delete |s2e vm delete |"
	t_is "zsh: s2e vm run My<TAB> offers the VMs starting with My" \
		"$(zcomplete 's2e vm run My')" "MyBox MyBox:ready MyOther |s2e vm run My|"
	t_is "zsh: s2e vm run MyBox <TAB> offers the modes" \
		"$(zcomplete 's2e vm run MyBox ')" "kvm prep sym |s2e vm run MyBox |"
	t_is "zsh: s2e vm run --acc<TAB>" "$(zcomplete 's2e vm run --acc')" "--accel |s2e vm run --accel |"
fi

# --- make install puts both scripts where bash-completion and zsh look
unset MAKEFLAGS MFLAGS MAKELEVEL # not the jobserver of a make check around us
make -s -C "$T_ROOT" install-completion DESTDIR="$T_TMP/dest" PREFIX=/usr >/dev/null
t_ok "make install: bash completion in PREFIX/share/bash-completion/completions/s2e" \
	cmp "$COMPL/s2e.bash" "$T_TMP/dest/usr/share/bash-completion/completions/s2e"
t_ok "make install: zsh completion in PREFIX/share/zsh/site-functions/_s2e" \
	cmp "$COMPL/_s2e" "$T_TMP/dest/usr/share/zsh/site-functions/_s2e"
t_ok "make install runs install-completion" \
	bash -c "make -n -C '$T_ROOT' install DESTDIR=/x PREFIX=/usr | grep -q 'completions/s2e\$'"
t_done
