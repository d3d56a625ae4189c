# bash completion for s2e(1).  `make install` puts it where bash-completion
# loads it on demand ($(PREFIX)/share/bash-completion/completions/s2e); or
# source it from ~/.bashrc.
#
# Nothing here knows s2e's commands or options: each level's sub-commands,
# options, operands and operand words come from the program itself, through
# the hidden option every s2e command accepts (include/s2e/parse-options.h):
#
#   s2e [COMMAND...] --s2e-completion-helper
#     option -x|--long[=] [ARGH]   command NAME   operand K WORD   words WORD a|b|c
#
# VM and snapshot names come from `s2e vm list --short` (NAME, size and
# snapshots, tab-separated).  --s2edir DIR given on the line is honoured,
# $S2EDIR as for any s2e command.

# s2e with the --s2edir of the line being completed; no errors shown.
__s2e()
{
	if [[ -n $__s2e_dir ]]; then
		command s2e --s2edir "$__s2e_dir" "$@" 2>/dev/null
	else
		command s2e "$@" 2>/dev/null
	fi
}

# Whether option word $2 takes the next word as its value, in helper text $1.
__s2e_takes_value()
{
	[[ $'\n'$1 == *$'\n'"option $2 "* ]]
}

# The value of the first "KIND KEY VALUE" line (KEY= too) of helper text $1
# with KIND $2 and KEY $3.
__s2e_lookup()
{
	local kind key value
	while IFS=' ' read -r kind key value; do
		if [[ $kind == "$2" && ${key%=} == "$3" && -n $value ]]; then
			printf '%s\n' "$value"
			return 0
		fi
	done <<<"$1"
	return 1
}

# VM names (with $1 = "snap": NAME:SNAP for every snapshot too), one a line.
__s2e_vms()
{
	local name size snaps s
	local -a list
	while IFS=$'\t' read -r name size snaps; do
		[[ -n $size ]] || continue # not a listing line
		printf '%s\n' "$name"
		[[ $1 == snap && -n $snaps ]] || continue
		IFS=, read -ra list <<<"${snaps//, /,}"
		for s in "${list[@]}"; do printf '%s:%s\n' "$name" "$s"; done
	done < <(__s2e vm list --short)
}

# Candidates for a value named $2 (an ARGH or an operand WORD) in helper
# text $1, for the word $3; $4 = operand: names may be VMs.
__s2e_values()
{
	local help=$1 cur=$3 alt words=
	local -a alts
	IFS='|' read -ra alts <<<"$2"
	for alt in "${alts[@]}"; do
		alt=${alt%...} # NAME... is a NAME
		case $alt in
		*[a-z]*) words+=" $alt" ;; # a literal: kvm|tcg
		*DIR*) echo "$__s2e_files" && compgen -d -- "$cur" ;;
		FILE | PATH | *FILE) echo "$__s2e_files" && compgen -f -- "$cur" ;;
		IMAGE) [[ $cur != */* ]] || { echo "$__s2e_files" && compgen -f -- "$cur"; } ;;
		NAME:SNAP) [[ $4 != operand ]] || __s2e_vms snap ;;
		NAME | SRC | OLD) [[ $4 != operand ]] || __s2e_vms ;;
		*)
			alt=$(__s2e_lookup "$help" words "$alt")
			words+=" ${alt//|/ }"
			;;
		esac
	done
	[[ -z $words ]] || compgen -W "$words" -- "$cur"
}

# Option word w[i] before the word being completed: when it takes the next
# word as its value, i moves to that word; --s2edir DIR is noted.
__s2e_option()
{
	local word=${w[i]}
	case $word in
	--s2edir=*) __s2e_dir=${word#*=} ;;
	*)
		__s2e_takes_value "$help" "$word" && ((i + 1 < last)) || return 0
		((i++))
		[[ $word != --s2edir ]] || __s2e_dir=${w[i]}
		;;
	esac
	__s2e_dir=${__s2e_dir/#\~/$HOME}
}

# The candidates for the word being completed, one a line, for the words
# in the array w (w[0] is s2e, the last is the word being completed).
__s2e_candidates()
{
	local last=$((${#w[@]} - 1)) help i start=1 nops=0 prev= vms=
	local cur=${w[last]}
	local -a cmds=()
	help=$(__s2e --s2e-completion-helper)
	# The command path: `s2e [OPTIONS] vm [OPTIONS] run`.
	for ((i = 1; i < last; i++)); do
		case ${w[i]} in
		-*) __s2e_option ;;
		*)
			[[ $'\n'$help$'\n' == *$'\n'"command ${w[i]}"$'\n'* ]] || break
			cmds+=("${w[i]}")
			help=$(__s2e "${cmds[@]}" --s2e-completion-helper)
			start=$((i + 1))
			;;
		esac
	done
	# The command's own words: they may choose its table (`vm run --batch`).
	if ((start < last)); then
		help=$(__s2e "${cmds[@]}" --s2e-completion-helper "${w[@]:start:last-start}")
	fi
	for ((i = start; i < last; i++)); do
		case ${w[i]} in
		--) return ;; # words for QEMU
		-*) __s2e_option ;;
		*) ((nops++)) ;;
		esac
	done
	# A NAME is a VM's in `s2e vm ...` and for --vm NAME.
	[[ ${cmds[0]} != vm ]] || vms=operand
	((last < 2)) || prev=${w[last - 1]}
	if [[ $cur == --*=* ]]; then
		local opt=${cur%%=*}
		__s2e_values "$help" "$(__s2e_lookup "$help" option "$opt")" "${cur#*=}" \
			"${opt/#--vm/operand}" | sed "/^$__s2e_files\$/!s|^|$opt=|"
	elif [[ -n $prev ]] && __s2e_takes_value "$help" "$prev"; then
		__s2e_values "$help" "$(__s2e_lookup "$help" option "$prev")" "$cur" \
			"${prev/#--vm/operand}"
	elif [[ $cur == -* ]]; then
		compgen -W "$(sed -n 's/^option \([^ =]*\).*/\1/p' <<<"$help")" -- "$cur"
	elif ((nops == 0)) && [[ $'\n'$help == *$'\n'"command "* ]]; then
		compgen -W "$(sed -n 's/^command //p' <<<"$help")" -- "$cur"
	else
		local kind n word seen=' ' # the usage lines often repeat an operand
		while read -r kind n word; do
			[[ $kind == operand && $seen != *" $word "* ]] || continue
			if ((n == nops)) || [[ $word == *... && n -lt nops ]]; then
				seen+="$word "
				__s2e_values "$help" "$word" "$cur" "$vms"
			fi
		done <<<"$help"
	fi
}

# The words come from COMP_LINE split at blanks only; bash replaces the
# part of the last one after its last COMP_WORDBREAKS character (':', '='),
# COMP_WORDS[COMP_CWORD], so that is what the candidates are cut to.
_s2e()
{
	local __s2e_dir= __s2e_files=$'\001files' line=${COMP_LINE:0:COMP_POINT} c cur prefix=
	local -a w
	read -ra w <<<"$line"
	[[ -n $line && $line != *[[:space:]] ]] || w+=("")
	cur=${w[${#w[@]} - 1]}
	[[ $cur != *"${COMP_WORDS[COMP_CWORD]}" ]] || prefix=${cur%"${COMP_WORDS[COMP_CWORD]}"}
	COMPREPLY=()
	while IFS= read -r c; do
		if [[ $c == "$__s2e_files" ]]; then
			compopt -o filenames 2>/dev/null
		elif [[ -n $c && $c == "$cur"* ]]; then
			COMPREPLY+=("${c#"$prefix"}")
		fi
	done < <(__s2e_candidates | sort -u)
	return 0
}

complete -F _s2e s2e
