#!/bin/bash
# kill -9 of `s2e vm export` and `s2e vm import` at random moments: the
# plumbing dies with the porcelain (no s2e-* process alive one second later),
# no half package at FILE, no half VM, and the next command cleans up.
source "$(dirname "$0")/lib.sh"

vm=$S2EDIR/vm
s2e vm create Src 256M >/dev/null
head -c 24M /dev/urandom | dd of="$vm/Src/disk.s2e" bs=1M seek=8 conv=notrunc status=none
head -c 8M /dev/urandom >"$vm/Src/disk.s2e.snap"
pkg=$T_TMP/src.tgz

ms() { date +%s%3N; }
t0=$(ms)
s2e vm export Src "$pkg" >/dev/null
export_ms=$(($(ms) - t0))
t0=$(ms)
s2e vm import "$pkg" Timed >/dev/null
import_ms=$(($(ms) - t0))
t_diag "export takes ${export_ms} ms, import ${import_ms} ms"

# Export: a file at FILE is complete or absent; no hidden temporary.
check_exports()
{
	local f
	for f in "$T_TMP"/out*.tgz; do
		[ -e "$f" ] || continue
		s2e-unpack --check "$f" || return 1
	done
	[ "$(ls -A "$T_TMP" | grep -c '^\.out')" = 0 ]
}
RANDOM=3600
t_kill_leaves_no_orphans "kill -9 of vm export leaves no s2e-* process alive one second later" \
	10 "$export_ms" 's2e vm export Src "$T_TMP/out$t_trial.tgz"'
t_ok "... and every package left at FILE is complete, with no temporary" check_exports

RANDOM=3601
t_kill_leaves_no_orphans "kill -9 of vm import leaves no s2e-* process alive one second later" \
	10 "$import_ms" 's2e vm import "$pkg" "Imp$t_trial"'

# The same with every plumbing binary 3 s slower to start (t_slow_exec_path):
# plumbing that outlived its porcelain would still be there at the check.
export S2E_EXEC_PATH
S2E_EXEC_PATH=$(t_slow_exec_path 3)
RANDOM=3602
t_kill_leaves_no_orphans "... also when the plumbing starts slowly (export)" \
	10 1500 's2e vm export Src "$T_TMP/slow$t_trial.tgz"'
RANDOM=3603
t_kill_leaves_no_orphans "... also when the plumbing starts slowly (import)" \
	10 1500 's2e vm import "$pkg" "Slow$t_trial"'
unset S2E_EXEC_PATH

t_ok "the next command cleans up after them" s2e vm create After 1M
t_is "... leaving no staging directory" "$(ls -A "$vm" | grep -c -v '^\(Src\|Timed\|After\|Imp[0-9]*\|Slow[0-9]*\)$')" 0
complete()
{
	local d
	for d in "$vm"/Imp* "$vm"/Slow*; do
		[ -e "$d" ] || continue
		cmp "$vm/Src/disk.s2e.snap" "$d/disk.s2e.snap" || return 1
		git -C "$S2EDIR" log -1 --format=%s -- "vm/$(basename "$d")" | grep -q '^vm import' || return 1
	done
}
t_ok "... and every imported VM left is whole and recorded" complete
t_ok "git fsck is clean" git -C "$S2EDIR" fsck --no-progress

t_done
