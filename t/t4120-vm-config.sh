#!/usr/bin/env bash
# s2e vm config (SPEC §9 "Settings"): git config semantics on vm.config, one
# commit per change, refused while the VM is in use; vm run and
# s2e-qemu-cmdline take the settings as defaults, options override;
# snapshots remember the memory and NIC they were taken with.
. "$(dirname "$0")/lib.sh"

FAKE=$T_DIR/helpers/fake-qemu
META=$S2EDIR/vm/Box/vm.config
commits() { git -C "$S2EDIR" rev-list --count HEAD; }
rec() { git config -f "$S2EDIR/experiments/$1/record.conf" "$2"; }
gc() { git config -f "$META" "$@"; }

s2e vm create Box 1M >/dev/null
mkdir -p "$S2EDIR/src/config"
echo '-- config' >"$S2EDIR/src/config/default-config.lua"

# --- git config semantics
n0=$(commits)
t_ok "set a setting" s2e vm config Box run.memory 1G
t_is "... git config reads it" "$(gc run.memory)" 1G
t_is "... s2e vm config reads it back" "$(s2e vm config Box run.memory)" 1G
t_is "... one commit" "$(commits)" $((n0 + 1))
t_is "... named after the change" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm config Box run.memory 1G"
t_ok "... of vm.config" bash -c "git -C '$S2EDIR' show --stat HEAD | grep -q 'vm/Box/vm.config'"
t_ok "a value written by git config is read" gc image.os debian
t_is "... by s2e vm config" "$(s2e vm config Box image.os)" debian
t_ok "run.qemuArg takes several values (--add), in order" \
	bash -c "s2e vm config Box run.qemuArg -- -serial && s2e vm config --add Box run.qemuArg stdio"
t_is "... git config --get-all agrees" "$(gc --get-all run.qemuArg | tr '\n' ' ')" "-serial stdio "
t_is "... so does --get-all" "$(s2e vm config --get-all Box run.qemuArg | tr '\n' ' ')" "-serial stdio "
t_is "... the plain get prints the last value, as git does" "$(s2e vm config Box run.qemuArg)" stdio
t_is "--list is git config --list" "$(s2e vm config --list Box)" "$(gc --list)"
t_is "... so is NAME alone" "$(s2e vm config Box)" "$(gc --list)"
t_ok "keys are case-insensitive" bash -c "[ \"\$(s2e vm config Box RUN.MEMORY)\" = 1G ]"
t_ok "a hand-written key of another section is kept" gc user.note 'kept by hand'
t_ok "setting a key again replaces it" s2e vm config Box run.memory 512M
t_is "... in place, one value" "$(gc --get-all run.memory)" 512M
t_ok "--unset removes it" s2e vm config --unset Box image.os
t_exit 1 "... after which reading it fails (exit 1)" s2e vm config Box image.os
t_exit 1 "--unset of a key that is not set fails" s2e vm config --unset Box image.os
t_exit 2 "an unknown run.* setting is refused (a typo)" s2e vm config Box run.memroy 1G
t_exit 2 "a bad memory size is refused" s2e vm config Box run.memory 12X
t_exit 2 "so is a bad network" s2e vm config Box run.network wifi
t_exit 2 "and a bad build" s2e vm config Box run.build i386
t_exit 2 "--add of a one-valued setting is refused" s2e vm config --add Box run.memory 1G
t_exit 2 "vm.* is s2e's own" s2e vm config Box vm.size 5
t_exit 2 "so is snapshot.*" s2e vm config Box snapshot.x.disk y
t_exit 2 "a key without a section is a usage error" s2e vm config Box memory 1G
t_exit 1 "an unknown VM fails" s2e vm config Nope run.memory 1G
t_is "the hand-written key survived every change" "$(gc user.note)" "kept by hand"
t_ok "... and survives a clone" bash -c "s2e vm clone Box Copy >/dev/null && [ \"\$(git config -f '$S2EDIR/vm/Copy/vm.config' user.note)\" = 'kept by hand' ]"
t_is "... which keeps the settings" "$(s2e vm config Copy run.memory)" 512M
t_ok "s2e vm config --help" s2e vm config --help

# --- vm run and s2e-qemu-cmdline use the settings
s2e vm config Box run.nic e1000
line=$(s2e vm run --dry-run Box sym --expname d | tail -1)
t_ok "a run with no options uses the stored memory (--dry-run shows it)" \
	bash -c "printf '%s' \"\$1\" | grep -q -- ' -m 512 '" _ "$line"
t_ok "... the stored NIC" bash -c "printf '%s' \"\$1\" | grep -q -- '-net nic,model=e1000 '" _ "$line"
t_ok "... and the stored QEMU arguments, at the end" bash -c "printf '%s' \"\$1\" | grep -q -- ' -serial stdio\$'" _ "$line"
line=$(s2e vm run --dry-run -m 2G --nic rtl8139 -q -x Box sym --expname d | tail -1)
t_ok "an option overrides the setting" bash -c "printf '%s' \"\$1\" | grep -q -- ' -m 2048 -net nic,model=rtl8139 '" _ "$line"
t_ok "... -q words go after the stored ones" bash -c "printf '%s' \"\$1\" | grep -q -- ' -serial stdio -x\$'" _ "$line"
t_is "s2e-qemu-cmdline builds the same line" "$(s2e-qemu-cmdline Box sym --expname d)" \
	"$(s2e vm run --dry-run Box sym --expname d | tail -1)"
t_ok "S2E_TRACE's s2e-qemu-cmdline line still replays (settings not doubled)" \
	bash -c "eval \"\$(S2E_TRACE=1 s2e vm run --dry-run Box sym --expname d 2>&1 >/dev/null | sed -n 's/^+ //p' | sed 's/ -z / /')\" >'$T_TMP/replay' && [ \"\$(cat '$T_TMP/replay')\" = \"\$(s2e vm run --dry-run Box sym --expname d | tail -1)\" ]"
s2e vm config Box run.qemu "$FAKE"
s2e vm config --unset Box run.qemuArg
t_exit 0 "run.qemu names the binary" s2e vm run Box sym --expname viaconfig
t_is "... the record names it" "$(rec viaconfig qemu.binary)" "$FAKE"
t_exit 1 "... and states no build (the binary is not a build's)" rec viaconfig experiment.build
t_is "... the record states the memory and NIC used" \
	"$(rec viaconfig settings.memory) $(rec viaconfig settings.nic)" "512 e1000"
t_exit 0 "a build's binary is recorded with its build" \
	bash -c "mkdir -p '$S2EDIR/build/i386-release-normal/qemu/i386-softmmu' && cp '$FAKE' '$S2EDIR/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386' && s2e vm config --unset Box run.qemu && s2e vm run Box prep --expname built >/dev/null 2>&1"
t_is "... as such" "$(rec built experiment.build)" i386:release:normal
s2e vm config Box run.qemu "$FAKE"

# --- snapshots remember their settings
t_exit 0 "a prep run takes a snapshot with 512 MiB" \
	env FAKE_QEMU_SAVEVM=ready s2e vm run Box prep --expname take
t_is "... vm.config remembers the snapshot's memory and NIC" \
	"$(gc snapshot.ready.memory) $(gc snapshot.ready.nic)" "512 e1000"
t_exit 0 "it resumes with the same settings" s2e vm run Box:ready sym --expname same
t_exit 0 "... with the same memory spelled otherwise" s2e vm run -m 0.5G Box:ready sym --expname same2
n0=$(commits)
out=$(s2e vm run -m 1G Box:ready sym --expname other 2>&1)
t_is "resuming with different memory is refused" "$?" 1
t_ok "... naming memory" bash -c "printf '%s' \"\$1\" | grep -q \"snapshot 'ready' of VM 'Box' was taken with memory 512 MiB, but this run has memory 1024 MiB\"" _ "$out"
t_is "... with nothing recorded" "$(commits)" "$n0"
t_exit 1 "so is a different NIC" s2e vm run --nic virtio Box:ready sym --expname nic
t_exit 1 "... or a changed run.memory" bash -c "s2e vm config Box run.memory 256 && s2e vm run Box:ready sym --expname cfg"

# --- in use: changes refused, reading allowed
rm -f "$T_TMP/ready"
FAKE_QEMU_HANG=1 FAKE_QEMU_READY=$T_TMP/ready s2e vm run Box sym --expname long >/dev/null 2>&1 &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null; t_cleanup' EXIT
for _ in $(seq 200); do [ -e "$T_TMP/ready" ] && break; sleep 0.05; done
n0=$(commits)
out=$(s2e vm config Box run.memory 2G 2>&1)
t_is "a change while the VM is in use is refused" "$?" 1
t_ok "... saying so" bash -c "printf '%s' \"\$1\" | grep -q 'in use'" _ "$out"
t_is "... nothing changed" "$(gc run.memory) $(commits)" "256 $n0"
t_is "reading works meanwhile" "$(s2e vm config Box run.memory)" 256
kill -TERM "$pid"
wait "$pid" 2>/dev/null
t_ok "after the run the change is accepted" s2e vm config Box run.memory 2G
t_ok "the history passes git fsck" git -C "$S2EDIR" fsck --strict --no-progress
t_done
