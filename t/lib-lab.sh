# Helpers for the lab tests (t55xx): N simulated hosts, each an S2EDIR
# $T_TMP/hI, sharing the bare repository $BARE.  Source after lib.sh and
# after setting N and BARE.

h() # I CMD...: run s2e on host I
{
	local i=$1
	shift
	S2EDIR=$T_TMP/h$i s2e "$@"
}

refs() # GIT_DIR PREFIX: "OID REF" lines
{
	git -C "$1" for-each-ref --format='%(objectname) %(refname)' "$2"
}

# lab_push_all DESC: every host runs `s2e history push` at the same time;
# checks that all succeed (a failure's output goes to the diagnostics) and
# that $BARE then holds each host's HEAD under refs/s2e/hosts/HOSTID (the
# expected "OID REF" lines are left in $want).
lab_push_all()
{
	local i ok=0 pids=
	for i in $(seq $N); do
		(h $i history push >"$T_TMP/push$i.out" 2>&1; echo $? >"$T_TMP/push$i.rc") &
		pids="$pids $!"
	done
	wait $pids
	for i in $(seq $N); do
		[ "$(cat "$T_TMP/push$i.rc")" = 0 ] && ok=$((ok + 1)) || t_diag "$(cat "$T_TMP/push$i.out")"
	done
	t_is "$1" "$ok" $N
	want=$(for i in $(seq $N); do
		printf '%s refs/s2e/hosts/%s\n' "$(git -C "$T_TMP/h$i" rev-parse HEAD)" \
			"$(git -C "$T_TMP/h$i" config s2e.hostId)"
	done | sort)
	t_is "the remote holds each host's HEAD under its host id" "$(refs "$BARE" refs/ | sort)" "$want"
}
