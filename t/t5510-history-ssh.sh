#!/usr/bin/env bash
# s2e history push/pull over ssh:// against a throw-away sshd on 127.0.0.1,
# with its own host key, user key, authorized_keys and config (as libgit2's
# own CI does): eight hosts at once, a wrong key, an unknown host key.
. "$(dirname "$0")/lib.sh"

. "$T_DIR/lib-sshd.sh"
# Under ASan: libgit2 1.5's own ssh leak is suppressed (see the file).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T_DIR/lsan-ssh.supp
t_sshd lab
PORT=$T_SSHD_PORT

N=8
BARE=$T_TMP/lab.git
URL=ssh://$(id -un)@127.0.0.1:$PORT$BARE
git init -q --bare "$BARE"

. "$T_DIR/lib-lab.sh"

for i in $(seq $N); do
	h $i vm create "Box$i" 1M >/dev/null
	h $i vm create "Other$i" 1M >/dev/null
	h $i remote add lab "$URL"
done

lab_push_all "eight concurrent pushes over ssh:// succeed"

for i in $(seq $N); do
	h $i history pull >"$T_TMP/pull$i.out" 2>&1 || t_diag "$(cat "$T_TMP/pull$i.out")"
done
want_local=$(printf '%s\n' "$want" | sed 's|refs/s2e/hosts/|refs/s2e/remotes/lab/hosts/|')
same=0
for i in $(seq $N); do
	[ "$(refs "$T_TMP/h$i" refs/s2e/ | sort)" = "$want_local" ] && same=$((same + 1))
done
t_is "after pulling over ssh://, every host has every history exactly once" "$same" $N

before_remote=$(refs "$BARE" refs/)
before_h1=$(refs "$T_TMP/h1" refs/)
t_ok "push again" h 1 history push
t_ok "pull again" h 1 history pull
t_is "the remote is unchanged" "$(refs "$BARE" refs/)" "$before_remote"
t_is "the host is unchanged" "$(refs "$T_TMP/h1" refs/)" "$before_h1"

fsck=0
for d in "$BARE" "$T_TMP"/h[0-9]*; do
	git -C "$d" fsck --strict >/dev/null 2>&1 && fsck=$((fsck + 1))
done
t_is "git fsck is clean everywhere" "$fsck" $((N + 1))

# The same host id twice: refused, nothing changes.
S2EDIR=$T_TMP/twin s2e vm create Twin 1M >/dev/null
S2EDIR=$T_TMP/twin s2e remote add lab "$URL"
git -C "$T_TMP/twin" config s2e.hostId "$(git -C "$T_TMP/h1" config s2e.hostId)"
t_exit 1 "a push under another host's id is refused" env S2EDIR="$T_TMP/twin" s2e history push
t_ok "... saying the host id is in use" bash -c "S2EDIR='$T_TMP/twin' s2e history push 2>&1 | grep -q 'is in use by another S2EDIR'"
t_is "... and the remote is unchanged" "$(refs "$BARE" refs/)" "$before_remote"

# A key the server does not know.
mkdir -p "$T_TMP/other/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/other/.ssh/id_ed25519"
cp "$HOME/.ssh/known_hosts" "$T_TMP/other/.ssh/"
local_before=$(refs "$T_TMP/h2" refs/)
t_exit 1 "a wrong ssh key fails" env HOME="$T_TMP/other" S2EDIR="$T_TMP/h2" s2e history pull
t_ok "... saying which keys were tried" bash -c "HOME='$T_TMP/other' S2EDIR='$T_TMP/h2' s2e history push 2>&1 | grep -q 'ssh authentication as .* failed (tried $T_TMP/other/.ssh/id_ed25519)'"
t_is "... and changes nothing" "$(refs "$BARE" refs/)" "$before_remote"
t_is "... here either" "$(refs "$T_TMP/h2" refs/)" "$local_before"

# A server whose host key is not in known_hosts.
mkdir -p "$T_TMP/stranger/.ssh"
cp "$HOME/.ssh/id_ed25519" "$T_TMP/stranger/.ssh/"
t_exit 1 "an unknown host key fails" env HOME="$T_TMP/stranger" S2EDIR="$T_TMP/h2" s2e history push
t_ok "... with a clear error" bash -c "HOME='$T_TMP/stranger' S2EDIR='$T_TMP/h2' s2e history push 2>&1 | grep -qi 'cannot push to lab (ssh://.*): .*host.*key'"

t_done
