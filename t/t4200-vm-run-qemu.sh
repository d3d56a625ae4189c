#!/usr/bin/env bash
# s2e vm run with the real, stock qemu-system-i386 under software emulation:
# a VM whose disk holds a tiny boot sector (made here) that writes a marker to
# the serial port and powers off through isa-debug-exit.
. "$(dirname "$0")/lib.sh"

QEMU=$(command -v qemu-system-i386) || t_skip_all "qemu-system-i386 is not installed (Debian: qemu-system-x86)"

# Real-mode code at 0:7c00 (hand-assembled):
#   xor ax,ax; mov ds,ax; cld; mov si,msg; mov dx,0x3f8
#   next: lodsb; test al,al; jz done; out dx,al; jmp next
#   done: mov al,0x2a; out 0xf4,al      -> QEMU exits with (0x2a<<1)|1 = 85
#   halt: hlt; jmp halt
#   msg:  "S2E-BOOT-MARKER\n\0"
# The looping variant has the out to 0xf4 replaced by two nops.
bootsector() # FILE EXIT(yes/no)
{
	local code='\x31\xc0\x8e\xd8\xfc\xbe\x1a\x7c\xba\xf8\x03\xac\x84\xc0\x74\x03\xee\xeb\xf8\xb0\x2a'
	if [ "$2" = yes ]; then code="$code"'\xe6\xf4'; else code="$code"'\x90\x90'; fi
	code="$code"'\xf4\xeb\xfd'
	printf "$code"'S2E-BOOT-MARKER\n\0' | dd of="$1" conv=notrunc 2>/dev/null
	printf '\x55\xaa' | dd of="$1" bs=1 seek=510 conv=notrunc 2>/dev/null
}

s2e vm create Boot 1M >/dev/null
bootsector "$S2EDIR/vm/Boot/disk.s2e" yes
s2e vm create Loop 1M >/dev/null
bootsector "$S2EDIR/vm/Loop/disk.s2e" no
t_is "the boot sector is 512 bytes with its signature" \
	"$(od -An -tx1 -j510 -N2 "$S2EDIR/vm/Boot/disk.s2e" | tr -d ' ')" 55aa

DEV="-device isa-debug-exit,iobase=0xf4,iosize=0x04"
# kvm mode with --accel=tcg and a stock QEMU: virtio disk, raw format.
s2e vm run --stock --accel=tcg -n none -m 16 --expname boot Boot kvm -- \
	-display none -serial "file:$T_TMP/serial.kvm" $DEV >"$T_TMP/out.kvm" 2>&1
t_is "kvm --accel=tcg: QEMU's exit status comes back (isa-debug-exit 0x2a -> 85)" "$?" 85
t_is "... the guest wrote its marker on the serial port" "$(cat "$T_TMP/serial.kvm")" S2E-BOOT-MARKER
t_ok "... the command line was printed" grep -q "^qemu-system-i386 -drive file=$S2EDIR/vm/Boot/disk.s2e,cache=writeback,if=virtio,format=raw -accel tcg -smp " "$T_TMP/out.kvm"
rec() { git config -f "$S2EDIR/experiments/$1/record.conf" "$2"; }
t_is "... recorded: finished, exit status 85" "$(rec boot experiment.state) $(rec boot experiment.exitStatus)" "finished 85"
t_is "... the disk did not change" "$(rec boot disk.changed)" false
t_ok "... two commits" bash -c "git -C '$S2EDIR' log -2 --format=%s | grep -c '^run Boot kvm boot' | grep -qx 2"

# prep mode with a stock QEMU: the raw image as format=raw on IDE.
s2e vm run --stock -n none -m 16 --expname prep Boot prep -- \
	-display none -serial "file:$T_TMP/serial.prep" $DEV >"$T_TMP/out.prep" 2>&1
t_is "prep --stock boots too" "$?" 85
t_is "... marker" "$(cat "$T_TMP/serial.prep")" S2E-BOOT-MARKER
t_ok "... with format=raw" grep -q "format=raw -cpu pentium" "$T_TMP/out.prep"

# A guest that never powers off is stopped by --timeout.
s2e vm run --stock --accel=tcg -n none -m 16 -t 4 --kill-after 5 --expname loop Loop kvm -- \
	-display none -serial "file:$T_TMP/serial.loop" >"$T_TMP/out.loop" 2>&1
t_is "--timeout stops a guest that runs on (exit 124)" "$?" 124
t_is "... it had booted" "$(cat "$T_TMP/serial.loop")" S2E-BOOT-MARKER
t_is "... recorded as timed out" "$(rec loop experiment.state) $(rec loop experiment.timedOut)" "timed-out true"

# Commas in the image path are doubled for QEMU's -drive parser.
for name in 'a,b' 'x,file.filename='; do
	s2e vm create "$name" 1M >/dev/null
	bootsector "$S2EDIR/vm/$name/disk.s2e" yes
	s2e vm run --stock --accel=tcg -n none -m 16 --expname "comma-${name%%,*}" "$name" kvm -- \
		-display none -serial "file:$T_TMP/serial.comma" $DEV >"$T_TMP/out.comma" 2>&1
	t_is "a VM named $name boots from its own disk" "$? $(cat "$T_TMP/serial.comma")" "85 S2E-BOOT-MARKER"
done

t_ok "s2e log lists the runs, each once" bash -c "s2e log --experiments | grep -c 'run Boot' | grep -qx 2"
t_ok "git fsck --strict" git -C "$S2EDIR" fsck --strict --no-progress
t_done
