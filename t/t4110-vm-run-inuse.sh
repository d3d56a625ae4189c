#!/usr/bin/env bash
# s2e vm run marks the VM and the experiment in use for the whole run (SPEC
# §9 "In use"), and every digest it computes goes through the digest cache
# ("Digest cache"): delete refuses during a run, two kvm runs refuse, sym
# runs share a VM, vm status tells a live run from an interrupted one, an
# unchanged disk is not hashed again, and a changed one always is.
. "$(dirname "$0")/lib.sh"

FAKE=$T_DIR/helpers/fake-qemu
rec() { git config -f "$S2EDIR/experiments/$1/record.conf" "$2"; }
commits() { git -C "$S2EDIR" rev-list --count HEAD; }

s2e vm create Box 1M >/dev/null
mkdir -p "$S2EDIR/src/config"
echo '-- config' >"$S2EDIR/src/config/default-config.lua"

# Start a hanging run in the background: pid in $pid, ready when it returns.
start_hung()
{
	rm -f "$T_TMP/ready" "$T_TMP/ready.got"
	FAKE_QEMU_HANG=1 FAKE_QEMU_READY=$T_TMP/ready s2e vm run --qemu "$FAKE" "$@" >"$T_TMP/hung.out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do [ -e "$T_TMP/ready" ] && return 0; sleep 0.05; done
	return 1
}
stop_hung()
{
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
trap 'kill -KILL "${pid:-}" 2>/dev/null; t_cleanup' EXIT

# --- a kvm run holds the VM exclusively
start_hung --accel=tcg Box kvm --expname k1
t_is "a kvm run starts" "$?" 0
n0=$(commits)
out=$(s2e vm delete -y Box 2>&1)
t_is "delete during a run is refused" "$?" 1
t_ok "... saying the VM is in use" bash -c "printf '%s' \"\$1\" | grep -q \"VM 'Box' is in use\"" _ "$out"
t_ok "... the VM is still there" test -f "$S2EDIR/vm/Box/disk.s2e"
out=$(s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname k2 2>&1)
t_is "a second kvm run of the VM is refused" "$?" 1
t_ok "... saying the VM is in use" bash -c "printf '%s' \"\$1\" | grep -q \"VM 'Box' is in use by a running s2e vm run\"" _ "$out"
t_exit 1 "a sym run beside a kvm run is refused too (kvm writes the disk)" \
	s2e vm run --qemu "$FAKE" Box sym --expname s0
t_exit 1 "so is a prep run" s2e vm run --qemu "$FAKE" Box prep --expname p0
t_is "... none of them recorded anything" "$(commits)" "$n0"
t_ok "... or left a record" test ! -e "$S2EDIR/experiments/k2" -a ! -e "$S2EDIR/experiments/s0"
st=$(s2e vm status 2>&1)
t_ok "vm status shows the VM in use" bash -c "printf '%s' \"\$1\" | grep -q 'in use.*Box'" _ "$st"
t_ok "... and does not call the live run interrupted" bash -c "! printf '%s' \"\$1\" | grep -q interrupted" _ "$st"
stop_hung
t_is "after the run, its record is complete" "$(rec k1 experiment.state)" finished
t_ok "... and the VM can be deleted again (a clone, to keep Box)" \
	bash -c "s2e vm clone Box Gone >/dev/null && s2e vm delete -y Gone >/dev/null"

# --- sym runs share the VM, and exclude kvm
start_hung Box sym --expname s1
t_is "a sym run starts" "$?" 0
t_exit 0 "a second sym run of the same VM proceeds" s2e vm run --qemu "$FAKE" Box sym --expname s2
t_exit 1 "a kvm run is refused while a sym run uses the VM" \
	s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname k3
t_exit 1 "delete is refused while a sym run uses the VM" s2e vm delete -y Box
t_ok "create -f over it is refused" bash -c "! s2e vm create -f Box 1M >/dev/null 2>&1"

# kill -9 of the run: the marks vanish with it, vm status says interrupted.
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
for _ in $(seq 40); do [ -e "$T_TMP/ready.got" ] && break; sleep 0.05; done
st=$(s2e vm status 2>&1)
t_ok "after kill -9 of s2e, vm status lists the run as interrupted" \
	bash -c "printf '%s' \"\$1\" | grep -q 'interrupted experiment  s1 (VM Box)'" _ "$st"
t_ok "... and the VM as no longer in use" bash -c "! printf '%s' \"\$1\" | grep -q 'in use'" _ "$st"
t_exit 0 "... so a kvm run may start again" s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname k4

# --- the digest cache: a second run reads no unchanged disk
# (the index cache keeps binary .caibx files next to the entries)
entry() { find "$S2EDIR/.s2e/digests" -type f ! -name "*.caibx" -exec cat {} + 2>/dev/null | grep " $(rec "$1" "${2:-disk.before}")\$"; }
sleep 0.3 # past the racy tick of the last write to the disk
s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname c1 >/dev/null 2>&1
e1=$(entry c1)
t_ok "a kvm run's disk digest is in the digest cache" test -n "$e1"
s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname c2 >/dev/null 2>&1
t_is "a second kvm run's digests are cache hits (the entry is not rewritten)" "$(entry c2)" "$e1"
t_is "... and give the same digest" "$(rec c2 disk.before)" "$(rec c1 disk.before)"
t_is "... the run recorded the disk unchanged" "$(rec c2 disk.changed)" false

# QEMU writes the disk up to its exit, and the digest after the run is
# taken at once: still the next run's pre-run digest is a hit.
t_exit 0 "a kvm run that writes the disk" \
	env FAKE_QEMU_WRITE=written s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname w1
e1=$(entry w1 disk.after)
t_is "... records the change" "$(rec w1 disk.changed)" true
s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname w2 >/dev/null 2>&1
t_is "... the next run's pre-run digest is a cache hit" "$(entry w2)" "$e1"

# New content of the same size with the old modification time: still seen.
img=$S2EDIR/vm/Box/disk.s2e
mtime=$(stat -c %.9Y "$img")
printf 'new' | dd of="$img" bs=1 seek=8192 conv=notrunc 2>/dev/null
touch -m -d "@$mtime" "$img"
t_is "(the image has its old size and mtime)" "$(stat -c '%s %.9Y' "$img")" "1048576 $mtime"
s2e vm run --qemu "$FAKE" --accel=tcg Box kvm --expname c3 >/dev/null 2>&1
t_ok "an image touched in place (same size, same mtime) is hashed again" \
	test "$(rec c3 disk.before)" != "$(rec c2 disk.before)"
t_is "... to the digest s2e-digest computes" "$(rec c3 disk.before)" "$(s2e-digest "$img" | cut -d' ' -f1)"
t_done
