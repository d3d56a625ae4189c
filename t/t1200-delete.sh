#!/usr/bin/env bash
# s2e vm delete: snapshots, whole VMs, the prompt.
. "$(dirname "$0")/lib.sh"

s2e vm create MyBox 1G >/dev/null
vm=$S2EDIR/vm/MyBox
for s in ready base asdfölkj; do echo "$s" >"$vm/disk.s2e.$s"; done

t_is "deleting a snapshot prints the seed's line" "$(s2e vm delete MyBox:asdfölkj 2>&1)" \
	"[ OK ] delete snapshot MyBox:asdfölkj"
t_ok "... and removes its file" test ! -e "$vm/disk.s2e.asdfölkj"
t_ok "... and nothing else" test -f "$vm/disk.s2e.ready" -a -f "$vm/disk.s2e.base" -a -f "$vm/disk.s2e"
t_exit 1 "deleting a missing snapshot fails" s2e vm delete MyBox:asdfölkj
t_is "... naming it" "$(s2e vm delete MyBox:nope 2>&1)" \
	"[FAIL] s2e vm delete: VM 'MyBox' has no snapshot 'nope'"
t_exit 1 "deleting a snapshot of a missing VM fails" s2e vm delete Nope:ready

# Without a terminal and without -y, a VM is not deleted.
t_exit 1 "deleting a VM without a terminal or -y is refused" s2e vm delete MyBox </dev/null
t_ok "... and the VM is still there" test -f "$vm/disk.s2e"
t_is "... with a message saying how" "$(s2e vm delete MyBox 2>&1 </dev/null | grep -c -- '-y')" 1

pty=$T_DIR/helpers/pty-answer
if python3 -c 'import pty' 2>/dev/null; then
	"$pty" '[y/N] ' n s2e vm delete MyBox >/dev/null
	t_ok "answering n keeps the VM" test -f "$vm/disk.s2e"
	out=$("$pty" '[y/N] ' y s2e vm delete MyBox)
	t_is "answering y deletes, as in the seed" "$out" "Delete VM MyBox? [y/N] y
[ OK ] delete MyBox"
	t_ok "... and the VM is gone" test ! -e "$vm"
	s2e vm create MyBox 1G >/dev/null
else
	t_skip "answering n keeps the VM" "python3's pty module is not available"
	t_skip "answering y deletes, as in the seed" "python3's pty module is not available"
	t_skip "... and the VM is gone" "python3's pty module is not available"
fi

t_is "-y deletes without asking" "$(s2e vm delete -y MyBox 2>&1)" "[ OK ] delete MyBox"
t_ok "... all of it" test ! -e "$vm"
t_exit 1 "deleting a missing VM fails" s2e vm delete -y MyBox
t_is "... naming it" "$(s2e vm delete -y MyBox 2>&1)" "[FAIL] s2e vm delete: no such VM 'MyBox'"

mkdir "$S2EDIR/vm/Defunct"
t_ok "a defunct VM can be deleted" s2e vm delete --yes Defunct
t_ok "... and is gone" test ! -e "$S2EDIR/vm/Defunct"
t_is "nothing is left in vm/" "$(ls -A "$S2EDIR/vm")" ""

t_done
