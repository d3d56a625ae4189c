#!/usr/bin/env bash
# The crash matrix: every mutating command is killed (SIGKILL) at ten moments
# drawn with a fixed seed; after each kill, no s2e process of this test is
# left, git fsck is clean, vm list works and shows no half VM, and whatever
# the kill left unrecorded is reported by vm status and recorded by
# status --record, after which status is clean and no experiment is running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-crash.sh"

RANDOM=4242
TRIALS=${S2E_CRASH_TRIALS:-10}
crash_setup

# crash DESC SETUP MAX-MS CMD...: run CMD in the background, kill it at a
# random moment below MAX-MS, then check (t/lib-crash.sh).
crash()
{
	local desc=$1 setup=$2 max=$3 pid ms
	shift 3
	for i in $(seq 1 "$TRIALS"); do
		eval "$setup" >/dev/null 2>&1
		ms=$((RANDOM % max))
		"$@" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '0.%03d' "$ms")"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		crash_check "$desc, killed after ${ms} ms"
	done
}

crash "create" "s2e vm delete -y C" 300 s2e vm create -f C 2G
crash "clone" "s2e vm delete -y K" 900 s2e vm clone -f Base K
crash "import" "s2e vm delete -y I" 900 s2e vm import -f "$W/base.tar.gz" I
crash "export" "rm -f '$W/e.tar.gz'" 900 s2e vm export -f Base "$W/e.tar.gz"
crash "delete" "s2e vm clone -f Base D" 200 s2e vm delete -y D
crash "snapshot delete" "cp '$S2EDIR/vm/Base/disk.s2e.ready' '$S2EDIR/vm/Base/disk.s2e.tmp'; s2e vm status --record" 200 \
	s2e vm delete Base:tmp
crash "rename" "s2e vm delete -y R1 R2; s2e vm clone Base R1" 200 s2e vm rename R1 R2
crash "run" "" 900 env S2E_QEMU="$W/bin/qemu" s2e vm run Base kvm --accel=tcg
s2e vm push Base "$W/store" >/dev/null 2>&1
crash "push" "" 900 s2e vm push -f Base "$W/store"
crash "pull" "s2e vm delete -y P" 900 s2e vm pull "$W/store/Base" P

t_done
