#!/usr/bin/env bash
# Crash points: the commands whose kill windows are narrowest are killed
# (SIGKILL, injected by strace) at each of their renames and links in turn,
# so that every step of their transaction is a kill moment; after each, the
# invariants of the crash matrix hold (t/lib-crash.sh).  In particular a
# snapshot delete or a vm config killed while it rewrites vm.config leaves
# the old file or the new, and a run killed while it writes its record
# leaves no temporary of it to be recorded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-crash.sh"

if ! command -v strace >/dev/null ||
   ! strace -f -o /dev/null -e inject=rename:signal=SIGKILL:when=1000 true 2>/dev/null; then
	t_skip_all "strace with signal injection is not available (Debian strace)"
fi

CALLS=rename,renameat,renameat2,link,linkat
crash_setup

# points DESC SETUP N CMD...: run CMD N times, killed at its k-th rename or
# link for k = 1..N, then check.
points()
{
	local desc=$1 setup=$2 n=$3 k
	shift 3
	for k in $(seq 1 "$n"); do
		eval "$setup" >/dev/null 2>&1
		strace -f -o /dev/null -e trace=$CALLS -e inject=$CALLS:signal=SIGKILL:when=$k \
			"$@" >/dev/null 2>&1 &
		wait $! 2>/dev/null
		crash_check "$desc, killed at rename/link $k"
	done
}

points "snapshot delete" "cp '$S2EDIR/vm/Base/disk.s2e.ready' '$S2EDIR/vm/Base/disk.s2e.tmp'; s2e vm status --record" 14 \
	s2e vm delete Base:tmp
points "vm config" "" 13 s2e vm config Base run.memory 512
points "run" "" 24 env S2E_QEMU="$W/bin/qemu" s2e vm run Base kvm --accel=tcg

t_done
