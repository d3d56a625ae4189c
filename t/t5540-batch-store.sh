#!/usr/bin/env bash
# s2e vm run --batch with a store: host A pushes its VM to a directory store;
# host B, whose S2EDIR lacks the VM, runs the batch (locally with -j 3, and
# through GNU parallel): the VM is pulled once, checked by digest, before the
# first job, and the pull is in B's history.  A local VM unlike the store's
# is refused naming both digests (or run with store-mismatch: local); a
# vm-digest: the store does not have, and an unreachable store, fail every
# job and change nothing.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\nsleep 0.2\n' >"$T_TMP/bin/fake-qemu"
chmod +x "$T_TMP/bin/fake-qemu"
export S2E_QEMU=$T_TMP/bin/fake-qemu

config() # S2EDIR: the S2E config file sym runs need
{
	mkdir -p "$1/src/config"
	echo '-- config' >"$1/src/config/default-config.lua"
}
A=$S2EDIR
config "$A"
s2e vm create Box 4M >/dev/null || t_skip_all "s2e vm create failed"
head -c 300000 /dev/urandom | dd of="$A/vm/Box/disk.s2e" bs=1k seek=1000 conv=notrunc status=none
s2e vm status --record Box >/dev/null
t_ok "host A pushes Box to a directory store" s2e vm push Box "$T_TMP/store"
digest=$(s2e-digest "$A/vm/Box/disk.s2e" | cut -d' ' -f1)

# A relative store: is relative to the batch file.
cat >"$T_TMP/sweep.yaml" <<'EOF2'
vm: Box
store: store
variables:
  n: [1, 2, 3, 4, 5, 6]
commands:
  - line: /bin/true {n}
EOF2

subjects() { git -C "$1" log --format=%s; }
names_both() { grep -qF -- "$2" <<<"$1" && grep -qF -- "$3" <<<"$1"; } # TEXT DIGEST DIGEST
runs() { subjects "$1" | grep -c '^run .*: exit 0'; }

# --- local engine, three at a time: one pull
B=$T_TMP/b
config "$B"
t_ok "host B without the VM runs the batch (-j 3)" \
	s2e vm run --batch "$T_TMP/sweep.yaml" -j 3 --s2edir "$B"
t_is "... Box was pulled once" "$(subjects "$B" | grep -c '^vm pull ')" 1
t_is "... before the first job" "$(subjects "$B" | tail -n 1 | cut -d' ' -f1-2)" "vm pull"
t_is "... as the store's Box" "$(s2e-digest "$B/vm/Box/disk.s2e" | cut -d' ' -f1)" "$digest"
t_is "... and every job ran on it" "$(runs "$B")" 6
t_is "... recorded with the store's disk" \
	"$(git config -f "$B/experiments/sweep-0004-true/record.conf" disk.before)" "$digest"

# --- the VM already here and equal: no pull
t_ok "run again (new names) with the VM present" bash -c \
	"sed 's/^vm: Box/vm: Box\nexpname: again-{n}/' '$T_TMP/sweep.yaml' >'$T_TMP/again.yaml' &&
	 s2e vm run --batch '$T_TMP/again.yaml' -j 2 --s2edir '$B'"
t_is "... pulls nothing" "$(subjects "$B" | grep -c '^vm pull ')" 1

# --- GNU parallel
if command -v parallel >/dev/null; then
	P=$T_TMP/p
	config "$P"
	t_ok "--engine=parallel -j 3 on a host without the VM" \
		s2e vm run --batch "$T_TMP/sweep.yaml" --engine=parallel -j 3 --s2edir "$P"
	t_is "... Box was pulled once" "$(subjects "$P" | grep -c '^vm pull ')" 1
	t_is "... and every job ran" "$(runs "$P")" 6
else
	t_skip "--engine=parallel" "GNU parallel is not installed"
fi

# --- GNU parallel on an ssh "host" without the VM
if command -v parallel >/dev/null && [ -x /usr/sbin/sshd ]; then
	. "$T_DIR/lib-sshd.sh"
	G=$T_TMP/gamma
	config "$G"
	t_sshd gamma "PATH=$S2E_BIN:/usr/bin:/bin" "S2EDIR=$G" "S2E_QEMU=$S2E_QEMU"
	t_ok "--engine=parallel --sshlogin 3/gamma, gamma lacking the VM" env \
		PARALLEL_SSH="ssh -F $T_SSH_CONFIG" \
		s2e vm run --batch "$T_TMP/sweep.yaml" --engine=parallel --sshlogin 3/gamma
	t_is "... gamma pulled Box once" "$(subjects "$G" | grep -c '^vm pull ')" 1
	t_is "... and ran every job" "$(runs "$G")" 6
else
	t_skip "--sshlogin" "GNU parallel or sshd is not installed"
fi

# --- a local VM unlike the store's
M=$T_TMP/m
config "$M"
s2e --s2edir "$M" vm create Box 4M >/dev/null
mine=$(s2e-digest "$M/vm/Box/disk.s2e" | cut -d' ' -f1)
before=$(git -C "$M" rev-parse HEAD)
out=$(s2e vm run --batch "$T_TMP/sweep.yaml" --job 1 --s2edir "$M" 2>&1)
t_is "a local VM unlike the store's is refused" "$?" 1
t_ok "... naming both digests" names_both "$out" "$mine" "$digest"
t_is "... and nothing changes" "$(git -C "$M" rev-parse HEAD)" "$before"
sed 's/^store: store/store: store\nstore-mismatch: local/' "$T_TMP/sweep.yaml" >"$T_TMP/local.yaml"
out=$(s2e vm run --batch "$T_TMP/local.yaml" --job 1 --s2edir "$M" 2>&1)
t_is "store-mismatch: local runs on the local VM" "$?" 0
t_ok "... with a warning" grep -q "not the store's" <<<"$out"
t_is "... on the local disk" \
	"$(git config -f "$M/experiments/local-0001-true/record.conf" disk.before)" "$mine"

# --- vm-digest:
sed "s/^store: store/store: store\nvm-digest: $digest/" "$T_TMP/sweep.yaml" >"$T_TMP/pin.yaml"
config "$T_TMP/pin"
t_ok "vm-digest: the store's: runs" \
	s2e vm run --batch "$T_TMP/pin.yaml" --job 2 --s2edir "$T_TMP/pin"
t_is "... after pulling" "$(subjects "$T_TMP/pin" | grep -c '^vm pull ')" 1
other=sha256-1m:$(printf '%064d' 0)
sed "s/^store: store/store: store\nvm-digest: $other/" "$T_TMP/sweep.yaml" >"$T_TMP/pin2.yaml"
out=$(s2e vm run --batch "$T_TMP/pin2.yaml" --job 2 --s2edir "$T_TMP/pin2" 2>&1)
t_is "vm-digest: another one: refused" "$?" 1
t_ok "... naming both" names_both "$out" "$other" "$digest"
t_ok "... nothing pulled" test ! -e "$T_TMP/pin2/vm/Box"
printf 'vm: Box\nstore: s\nvm-digest: sha256-1m:xyz\ncommands: [{line: x}]\n' >"$T_TMP/bad.yaml"
t_exit 1 "a malformed vm-digest: is an error" s2e vm run --batch "$T_TMP/bad.yaml" --dry-run
printf 'vm: Box\nvm-digest: %s\ncommands: [{line: x}]\n' "$digest" >"$T_TMP/bad.yaml"
t_exit 1 "vm-digest: without store:" s2e vm run --batch "$T_TMP/bad.yaml" --dry-run

# --- an unreachable store changes nothing
U=$T_TMP/u
config "$U"
sed 's|^store: store|store: http://127.0.0.1:1/none|' "$T_TMP/sweep.yaml" >"$T_TMP/gone.yaml"
t_exit 1 "an unreachable store fails the batch" \
	s2e vm run --batch "$T_TMP/gone.yaml" -j 2 --s2edir "$U"
out=$(s2e vm run --batch "$T_TMP/gone.yaml" --job 1 --s2edir "$U" 2>&1)
t_ok "... saying which store" grep -q "store http://127.0.0.1:1/none" <<<"$out"
t_is "... no VM, no experiment, no commit" \
	"$(ls "$U/vm" "$U/experiments" 2>/dev/null | grep -vc ':$'; git -C "$U" rev-list --count HEAD 2>/dev/null || echo 0)" \
	"0
0"
sed 's|^store: store|store: empty|' "$T_TMP/sweep.yaml" >"$T_TMP/empty.yaml"
mkdir -p "$T_TMP/empty"
out=$(s2e vm run --batch "$T_TMP/empty.yaml" --job 1 --s2edir "$U" 2>&1)
t_is "a store without the VM" "$?" 1
t_ok "... says so" grep -q "has no VM named 'Box'\|has no VM named Box" <<<"$out"

t_done
