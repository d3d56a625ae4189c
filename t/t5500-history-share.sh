#!/usr/bin/env bash
# A lab's history over file://: host ids, s2e remote, s2e history push/pull.
# Eight S2EDIRs ("hosts") run experiments and push at the same time to one
# bare repository; each then pulls and sees every host's history once.
. "$(dirname "$0")/lib.sh"

N=8
BARE=$T_TMP/lab.git
URL=file://$BARE
git init -q --bare "$BARE"
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\nexit "${FAKE_EXIT:-0}"\n' >"$T_TMP/bin/fake-qemu"
chmod +x "$T_TMP/bin/fake-qemu"
export S2E_QEMU=$T_TMP/bin/fake-qemu

. "$T_DIR/lib-lab.sh"

for i in $(seq $N); do
	mkdir -p "$T_TMP/h$i/src/config"
	echo '-- config' >"$T_TMP/h$i/src/config/default-config.lua"
	h $i vm create "Box$i" 1M >/dev/null
	FAKE_EXIT=$((i % 2)) h $i vm run "Box$i" sym --expname e1 >/dev/null 2>&1
	h $i remote add lab "$URL"
done

# --- host ids
t_ok "remote add: a plain git remote" bash -c "git -C '$T_TMP/h1' remote -v | grep -qx 'lab	$URL (push)'"
t_is "s2e remote list" "$(h 1 remote list)" "lab	$URL"
t_is "s2e remote list on a fresh S2EDIR: nothing, and nothing made" \
	"$(S2EDIR=$T_TMP/fresh s2e remote list; ls -d "$T_TMP/fresh" 2>/dev/null)" ""
t_is "git fetch uses the s2e refspec" "$(git -C "$T_TMP/h1" config remote.lab.fetch)" \
	"refs/s2e/hosts/*:refs/s2e/remotes/lab/hosts/*"

# --- eight hosts push at once
lab_push_all "eight concurrent pushes succeed"
ids=$(for i in $(seq $N); do git -C "$T_TMP/h$i" config s2e.hostId; done | sort -u | wc -l)
t_is "eight different host ids" "$ids" $N
t_is "every commit names its host id, host name and user" \
	"$(git -C "$T_TMP/h1" log --format='%(trailers:key=Host,valueonly,separator=%x2C)' | sort -u)" \
	"$(git -C "$T_TMP/h1" config s2e.hostId) $(hostname) $(id -un)"
t_is "... one Host line per commit" \
	"$(git -C "$T_TMP/h1" log --format='%(trailers:key=Host)' | grep -c '^Host: ')" \
	"$(git -C "$T_TMP/h1" rev-list --count HEAD)"
t_ok "host ids are UUIDs" bash -c "git -C '$T_TMP/h1' config s2e.hostId | grep -Eqx '[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}'"

# --- every host pulls
for i in $(seq $N); do
	h $i history pull >"$T_TMP/pull$i.out" 2>&1 || t_diag "$(cat "$T_TMP/pull$i.out")"
done
want_local=$(printf '%s\n' "$want" | sed 's|refs/s2e/hosts/|refs/s2e/remotes/lab/hosts/|')
same=0
for i in $(seq $N); do
	[ "$(refs "$T_TMP/h$i" refs/s2e/ | sort)" = "$want_local" ] && same=$((same + 1))
done
t_is "after pulling, every host has every host's history exactly once" "$same" $N
t_ok "pull names the hosts" grep -q "pull from lab: $N hosts" "$T_TMP/pull$N.out"
heads=0
for i in $(seq $N); do
	[ "$(git -C "$T_TMP/h$i" log -1 --format=%s | sed 's/ after .*//')" = "run Box$i sym e1: exit $((i % 2))" ] &&
		heads=$((heads + 1))
done
t_is "local history untouched by pull" "$heads" $N

# --- s2e log --all: every host's history, the same everywhere
all1=$(h 1 log --all)
same=0
for i in $(seq $N); do
	[ "$(h $i log --all)" = "$all1" ] && same=$((same + 1))
done
t_is "s2e log --all is the same on all eight hosts" "$same" $N
t_is "... every host's commits, each once (a run's two as one)" "$(printf '%s\n' "$all1" | wc -l)" \
	"$(git -C "$T_TMP/h1" log --format=%s HEAD --glob='refs/s2e/remotes/*/hosts/*' | grep -vc '^run [^:]*$')"
t_is "... newest first, as git orders them by date" \
	"$(printf '%s\n' "$all1" | cut -d' ' -f2-3 | sort -rc && echo sorted)" "sorted"
id5=$(git -C "$T_TMP/h5" config s2e.hostId)
t_is "... naming host, user, VM and outcome" \
	"$(printf '%s\n' "$all1" | grep -F "/${id5:0:8} " | grep -F ' run Box5 ' | grep -c ': exit 1')" 1
t_ok "--all --json names the host of each commit" \
	bash -c "S2EDIR='$T_TMP/h2' s2e log --all --json | python3 -c 'import json,sys; c=json.load(sys.stdin); assert len({e[\"hostId\"] for e in c}) == $N'"
t_is "s2e log show HOSTID/EXP: a record from another host" \
	"$(h 1 log show "$id5/e1" | grep -E '^[[:space:]]*(vm|exitStatus) = ' | tr -d '[:space:]')" "vm=Box5exitStatus=1"
t_is "s2e log show EXP: this host's own" \
	"$(h 5 log show e1 | grep -E '^VM: ' | tr -d '[:space:]')" "VM:Box5"
t_exit 1 "s2e log show of an unknown host" h 1 log show nobody/e1
t_exit 1 "s2e log show of an unknown experiment" h 1 log show "$id5/e9"
t_exit 1 "s2e log show of a bad key" h 1 log show "a/b/c"

# --- repeating changes nothing
before_remote=$(refs "$BARE" refs/)
before_h3=$(refs "$T_TMP/h3" refs/)
t_ok "push again" h 3 history push
t_ok "... says it is up to date" bash -c "S2EDIR='$T_TMP/h3' s2e history push | grep -q 'already has'"
t_ok "pull again" h 3 history pull lab
t_ok "... finds nothing new" bash -c "S2EDIR='$T_TMP/h3' s2e history pull | grep -q ', 0 new or updated'"
t_is "the remote is unchanged" "$(refs "$BARE" refs/)" "$before_remote"
t_is "the host is unchanged" "$(refs "$T_TMP/h3" refs/)" "$before_h3"

# --- a new run, pushed and pulled
h 2 vm run Box2 sym --expname e2 >/dev/null 2>&1
h 2 history push >/dev/null
t_ok "another host pulls one update" bash -c "S2EDIR='$T_TMP/h5' s2e history pull | grep -q ', 1 new or updated'"
t_is "... and has the new run" "$(git -C "$T_TMP/h5" log -1 --format=%s \
	"refs/s2e/remotes/lab/hosts/$(git -C "$T_TMP/h2" config s2e.hostId)" | sed 's/ after .*//')" \
	"run Box2 sym e2: exit 0"

fsck=0
for d in "$BARE" "$T_TMP"/h[0-9]*; do
	git -C "$d" fsck --strict >/dev/null 2>&1 && fsck=$((fsck + 1)) || t_diag "fsck $d: $(git -C "$d" fsck 2>&1)"
done
t_is "git fsck is clean everywhere" "$fsck" $((N + 1))

# --- two S2EDIRs with the same host id
mkdir -p "$T_TMP/twin"
S2EDIR=$T_TMP/twin s2e vm create Twin 1M >/dev/null
S2EDIR=$T_TMP/twin s2e remote add lab "$URL"
git -C "$T_TMP/twin" config s2e.hostId "$(git -C "$T_TMP/h1" config s2e.hostId)"
before=$(refs "$BARE" refs/)
t_exit 1 "a push under another host's id is refused" env S2EDIR="$T_TMP/twin" s2e history push
t_ok "... saying the host id is in use" bash -c "S2EDIR='$T_TMP/twin' s2e history push 2>&1 | grep -q 'host id .* is in use by another S2EDIR'"
t_is "... and the remote is unchanged" "$(refs "$BARE" refs/)" "$before"
t_ok "... its objects too (fsck)" git -C "$BARE" fsck --strict

# --- errors
local_before=$(refs "$T_TMP/h1" refs/)
t_exit 1 "an unreachable file:// remote" env S2EDIR="$T_TMP/h1" s2e history push nowhere
h 1 remote add nowhere "file://$T_TMP/no/such.git"
t_exit 1 "push to a missing repository" h 1 history push nowhere
t_ok "... names the remote and its URL" bash -c "S2EDIR='$T_TMP/h1' s2e history push nowhere 2>&1 | grep -q 'cannot push to nowhere (file://$T_TMP/no/such.git)'"
t_exit 1 "pull from a missing repository" h 1 history pull nowhere
t_exit 1 "with two remotes, one must be named" h 1 history push
t_ok "... saying so" bash -c "S2EDIR='$T_TMP/h1' s2e history push 2>&1 | grep -q 'name the one to use'"
h 1 remote add closed "ssh://127.0.0.1:1/lab.git"
t_exit 1 "a refused ssh connection" h 1 history pull closed
t_ok "... clear error" bash -c "S2EDIR='$T_TMP/h1' s2e history pull closed 2>&1 | grep -q 'cannot pull from closed (ssh://127.0.0.1:1/lab.git): .*'"
t_is "failed pushes and pulls change no ref here" "$(refs "$T_TMP/h1" refs/)" "$local_before"
t_exit 1 "remote add: an existing name" h 1 remote add lab "$URL"
t_exit 1 "remote add: a bad name" h 1 remote add 'a/b' "$URL"
t_exit 1 "remote add: an empty URL" h 1 remote add empty ''
t_exit 2 "remote add: missing URL" h 1 remote add x
t_exit 1 "remote remove: no such remote" h 1 remote remove nosuch
t_ok "remote remove" h 1 remote remove lab
t_is "... gone from git" "$(git -C "$T_TMP/h1" remote)" "closed
nowhere"
t_is "... with its pulled refs" "$(refs "$T_TMP/h1" refs/s2e/)" ""
mkdir -p "$T_TMP/lonely"
t_exit 1 "push without any remote" env S2EDIR="$T_TMP/lonely" s2e history push
t_ok "... says how to add one" bash -c "S2EDIR='$T_TMP/lonely' s2e history push 2>&1 | grep -q 's2e remote add'"
git -C "$T_TMP/h4" config s2e.hostId 'bad/id'
t_exit 1 "a malformed host id is refused" h 4 history push
t_ok "... naming it" bash -c "S2EDIR='$T_TMP/h4' s2e history push 2>&1 | grep -q \"host id 'bad/id'\""
t_ok "s2e history --help" bash -c "s2e history --help | grep -q '^usage: s2e history'"
t_ok "s2e remote add --help" bash -c "s2e remote add --help | grep -q '^usage: s2e remote add \[--ca-file FILE\] NAME URL'"

t_done
