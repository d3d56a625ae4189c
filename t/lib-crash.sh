# Sourced by the crash tests (after lib.sh): a VM to work on and the checks
# made after each kill.
#
#   crash_setup               VM Base with some data and a snapshot "ready",
#                             recorded; $W/bin/qemu, a QEMU that exits after
#                             0.3 s; $W/base.tar.gz, Base exported
#   crash_check DESC          the invariants after a kill (one TAP result):
#                             no s2e process of this test is left (within a
#                             second), git fsck is clean, vm list works and
#                             shows no half VM, every VM has its metadata,
#                             whatever the kill left unrecorded is recorded by
#                             status --record, after which status is clean
#                             and no experiment is recorded as running

W=$T_TMP/w

crash_setup()
{
	mkdir -p "$W/bin"
	# Some data, so that copies and packages take a moment.
	s2e vm create Base 256M >/dev/null
	head -c 48M /dev/urandom | dd of="$S2EDIR/vm/Base/disk.s2e" bs=1M seek=16 conv=notrunc 2>/dev/null
	head -c 8M /dev/urandom >"$S2EDIR/vm/Base/disk.s2e.ready"
	s2e vm status --record >/dev/null
	s2e vm export Base "$W/base.tar.gz" >/dev/null 2>&1
	cat >"$W/bin/qemu" <<'EOS'
#!/bin/sh
sleep 0.3
exit 0
EOS
	chmod +x "$W/bin/qemu"
}

crash_orphans() { pgrep -f "s2e.*$T_TMP" | grep -vx "$$" || true; }

# The children of a killed command may take a moment to go: up to a second.
crash_settle()
{
	local i

	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.1
		[ -n "$(crash_orphans)" ] || return 0
	done
}

crash_check()
{
	local desc=$1 bad= out
	crash_settle
	[ -z "$(crash_orphans)" ] || bad="$bad [orphans: $(crash_orphans | tr '\n' ' ')]"
	git -C "$S2EDIR" fsck --strict >/dev/null 2>&1 || bad="$bad [git fsck]"
	out=$(s2e vm list 2>&1) || bad="$bad [vm list failed]"
	case "$out" in *defunct*) bad="$bad [half VM: $out]" ;; esac
	for d in "$S2EDIR"/vm/*/; do
		[ -f "$d/vm.config" ] || bad="$bad [no metadata in $d]"
	done
	s2e vm status --record >/dev/null 2>&1 || bad="$bad [status --record failed]"
	out=$(s2e vm status 2>&1)
	case "$out" in *"nothing to record"*) ;; *) bad="$bad [status not clean: $out]" ;; esac
	[ -z "$(git -C "$S2EDIR" status --porcelain)" ] || bad="$bad [git status not clean]"
	if grep -rqs 'state = running' "$S2EDIR/experiments"; then bad="$bad [record left running]"; fi
	if [ -z "$bad" ]; then t_pass "$desc"; else t_fail "$desc"; t_diag "$bad"; fi
}
