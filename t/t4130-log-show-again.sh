#!/usr/bin/env bash
# Reproducible experiments (SPEC §9): s2e log show EXP prints one record,
# s2e vm run --again EXP runs it again as a new experiment naming it.
. "$(dirname "$0")/lib.sh"

FAKE=$T_DIR/helpers/fake-qemu
rec() { git config -f "$S2EDIR/experiments/$1/record.conf" "$2"; }
commits() { git -C "$S2EDIR" rev-list --count HEAD; }

s2e vm create Box 1M >/dev/null
mkdir -p "$S2EDIR/src/config"
echo '-- first config' >"$S2EDIR/src/config/default-config.lua"
s2e vm config Box run.memory 512M
s2e vm run --qemu "$FAKE" -q -serial -q stdio Box sym --expname one -- -display none >/dev/null 2>&1

# --- log show
out=$(s2e log show one)
t_is "s2e log show exits 0" "$?" 0
for want in "Experiment: one" "VM: Box" "Mode: sym" "Binary: $FAKE" "Memory: 512 MiB" "NIC: pcnet" \
	"State: finished" "Exit status: 0" "Disk: $(rec one disk.before)" \
	"Command line: $(rec one qemu.commandLine)" \
	"Options: --qemu $FAKE --memory 512M --qemu-opt -serial --qemu-opt stdio -- -display none" \
	"    -- first config"; do
	t_ok "... shows '$want'" bash -c "printf '%s\n' \"\$1\" | grep -qxF -- \"\$2\"" _ "$out" "$want"
done
t_exit 1 "an unknown experiment fails" s2e log show nope
t_is "... saying so" "$(s2e log show nope 2>&1)" "[FAIL] s2e log show: no experiment 'nope' (see 's2e log --experiments')"
t_exit 2 "no name is a usage error" s2e log show
t_ok "s2e log show --help" bash -c "s2e log show --help | grep -q '^usage: s2e log show \[HOSTID/\]EXP'"
t_ok "s2e log still works" bash -c "s2e log | grep -q 'run Box sym one'"

# --- run --again
echo '-- changed config' >"$S2EDIR/src/config/default-config.lua"
s2e vm config Box run.memory 1G
s2e vm config Box run.qemuArg -- -nographic
t_exit 0 "vm run --again EXP runs it again" s2e vm run --again one --expname two
t_is "... the record names the experiment it repeats" "$(rec two experiment.againOf)" one
t_is "... the same command line, but for its output directory and the config copy" \
	"$(rec two qemu.commandLine | sed "s|$S2EDIR/experiments/one/s2e-config.lua|CFG|; s|expdata/two|expdata/X|")" \
	"$(rec one qemu.commandLine | sed "s|$S2EDIR/src/config/default-config.lua|CFG|; s|expdata/one|expdata/X|")"
t_is "... with the settings of then, not the VM's of now" "$(rec two settings.memory)" 512
t_is "... and the config of then" "$(cat "$S2EDIR/experiments/two/s2e-config.lua")" "-- first config"
t_ok "... the first commit says so" bash -c "git -C '$S2EDIR' log -1 --format=%B HEAD~1 | grep -qx 'Again: one'"
t_ok "log show says so" bash -c "s2e log show two | grep -qx 'Again: one'"
line=$(s2e vm run --again one --dry-run -m 2G | tail -1)
t_ok "an option given with --again wins" bash -c "printf '%s' \"\$1\" | grep -q -- ' -m 2048 '" _ "$line"
t_exit 0 "a run again of a run again works" s2e vm run --again two --expname three
t_is "... and names the one it repeats" "$(rec three experiment.againOf)" two

printf 'x' | dd of="$S2EDIR/vm/Box/disk.s2e" bs=1 seek=77 conv=notrunc 2>/dev/null
n0=$(commits)
out=$(s2e vm run --again one --expname four 2>&1)
t_is "--again on a disk that changed since is refused" "$?" 1
t_ok "... saying why" bash -c "printf '%s' \"\$1\" | grep -q \"experiment 'one' ran on disk .*but the disk is now\"" _ "$out"
t_is "... nothing recorded" "$(commits)" "$n0"
t_exit 0 "... unless forced" s2e vm run -f --again one --expname four
t_exit 1 "--again of an unknown experiment fails" s2e vm run --again nope
t_exit 2 "--again with NAME MODE is a usage error" s2e vm run --again one Box sym
t_done
