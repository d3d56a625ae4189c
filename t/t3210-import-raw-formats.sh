#!/usr/bin/env bash
# s2e vm import --raw refuses images in formats of their own (qcow2, VMDK,
# VDI, VHD, VHDX, ISO), known by their magic, and says how to convert them;
# raw images (with or without data) still import.
. "$(dirname "$0")/lib.sh"

commits() { git -C "$S2EDIR" rev-list --count HEAD 2>/dev/null || echo 0; }

refused() # DESC FORMAT-NAME FILE
{
	local out rc n0
	n0=$(commits)
	out=$(s2e vm import --raw "$3" Imported 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && printf '%s' "$out" | grep -qF "is a $2 image, not a raw disk image" &&
		printf '%s' "$out" | grep -qF "qemu-img convert -O raw" &&
		[ ! -e "$S2EDIR/vm/Imported" ] && [ "$(commits)" = "$n0" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "exit $rc" "$out"
	fi
}

if command -v qemu-img >/dev/null; then
	for fmt in qcow2 qcow vmdk vdi vpc vhdx; do
		qemu-img create -q -f "$fmt" "$T_TMP/disk.$fmt" 16M
	done
	refused "a qcow2 image (qemu-img create -f qcow2) is refused" "qcow2 (or qcow)" "$T_TMP/disk.qcow2"
	refused "a qcow image is refused" "qcow2 (or qcow)" "$T_TMP/disk.qcow"
	refused "a VMDK image is refused" VMDK "$T_TMP/disk.vmdk"
	refused "a VDI image is refused" VDI "$T_TMP/disk.vdi"
	refused "a VHD image (vpc) is refused" VHD "$T_TMP/disk.vpc"
	refused "a VHDX image is refused" VHDX "$T_TMP/disk.vhdx"
	qemu-img create -q -f vpc -o subformat=fixed "$T_TMP/fixed.vpc" 16M
	refused "a fixed-size VHD (footer only) is refused" VHD "$T_TMP/fixed.vpc"
else
	t_skip "qemu-img formats" "qemu-img is not installed (tools/install-deps installs qemu-utils)"
fi

iso=
if command -v genisoimage >/dev/null; then
	mkdir -p "$T_TMP/isodir" && echo hi >"$T_TMP/isodir/f"
	genisoimage -quiet -o "$T_TMP/cd.iso" "$T_TMP/isodir" && iso=$T_TMP/cd.iso
elif command -v xorriso >/dev/null; then
	mkdir -p "$T_TMP/isodir" && echo hi >"$T_TMP/isodir/f"
	xorriso -as mkisofs -quiet -o "$T_TMP/cd.iso" "$T_TMP/isodir" 2>/dev/null && iso=$T_TMP/cd.iso
fi
if [ -n "$iso" ]; then
	refused "an ISO image is refused" "ISO 9660" "$iso"
else
	t_skip "an ISO made by genisoimage/xorriso" "neither is installed"
fi
# The ISO 9660 volume descriptor, written by hand.
truncate -s 1M "$T_TMP/hand.iso"
printf '\001CD001\001' | dd of="$T_TMP/hand.iso" bs=1 seek=32768 conv=notrunc 2>/dev/null
refused "a file with the ISO 9660 descriptor at 0x8001 is refused" "ISO 9660" "$T_TMP/hand.iso"

truncate -s 4M "$T_TMP/plain.raw"
t_exit 0 "a raw image (all holes) imports" s2e vm import --raw "$T_TMP/plain.raw" Plain
head -c 1048576 /dev/urandom >"$T_TMP/data.raw"
t_exit 0 "a raw image with data imports" s2e vm import --raw "$T_TMP/data.raw" Data
printf 'QFI' >"$T_TMP/short.raw"
t_exit 0 "a 3-byte file that starts like qcow2 is no qcow2" s2e vm import --raw "$T_TMP/short.raw" Short
t_done
