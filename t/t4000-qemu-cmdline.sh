#!/usr/bin/env bash
# s2e-qemu-cmdline: the SPEC §6 command line, -z, quoting, and bad values.
. "$(dirname "$0")/lib.sh"

EXP=auto_2015-08-19T15:06:25.383+0200
SPEC_LINE="$S2EDIR/build/i386-release-normal/qemu/i386-s2e-softmmu/qemu-system-i386 -drive file=$S2EDIR/vm/Debian/disk.s2e,cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user -s2e-config-file $S2EDIR/src/config/default-config.lua -s2e-verbose -s2e-output-dir $S2EDIR/expdata/$EXP"

t_is "sym with the defaults prints the SPEC line" \
	"$(s2e-qemu-cmdline --expname "$EXP" Debian sym)" "$SPEC_LINE"
t_ok "... and touches nothing (no S2EDIR made)" test ! -e "$S2EDIR"
t_is "-z gives the same words NUL-separated" \
	"$(s2e-qemu-cmdline -z --expname "$EXP" Debian sym | tr '\0' ' ')" "$SPEC_LINE "
t_is "-z: one NUL per word" \
	"$(s2e-qemu-cmdline -z --expname "$EXP" Debian sym | tr -cd '\0' | wc -c)" 14
t_is "--s2edir wins over \$S2EDIR" \
	"$(s2e-qemu-cmdline --s2edir /elsewhere Debian prep | cut -d' ' -f1)" \
	"/elsewhere/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386"
t_is "options go first (extra words are refused)" \
	"$(s2e-qemu-cmdline Debian prep Debian 2>&1 | head -1)" \
	"s2e-qemu-cmdline: unexpected argument 'Debian' (QEMU arguments go after --)"
t_is "options may follow the operands" \
	"$(s2e-qemu-cmdline Debian sym -z --expname "$EXP" | tr '\0' ' ')" "$SPEC_LINE "
t_is "... and -- ends them: what follows goes to QEMU as is" \
	"$(s2e-qemu-cmdline --s2edir /S Debian prep -n none -- -m 5 --expname x | cut -d' ' -f8-)" \
	"-m 5 --expname x"
t_is "-c names the S2E config file" \
	"$(s2e-qemu-cmdline --s2edir /S -c /etc/my.lua --expname e Debian sym | grep -o -- '-s2e-config-file [^ ]*')" \
	"-s2e-config-file /etc/my.lua"

# QEMU reads -drive as a key=value list: commas in the image path are doubled.
t_is "a VM named a,b: the comma is doubled in file=" \
	"$(s2e-qemu-cmdline --s2edir /S -n none 'a,b' prep | cut -d' ' -f3)" \
	"file=/S/vm/a,,b/disk.s2e,cache=writeback,format=s2e"
t_is "a VM named x,file.filename= cannot add a key of its own" \
	"$(s2e-qemu-cmdline --s2edir /S -n none 'x,file.filename=' kvm --smp 1 | cut -d' ' -f3)" \
	"file=/S/vm/x,,file.filename=/disk.s2e,cache=writeback,if=virtio,format=raw"
t_is "an S2EDIR with a comma" \
	"$(s2e-qemu-cmdline --s2edir /my,s2e -n none --expname e Debian sym | cut -d' ' -f1,3)" \
	"/my,s2e/build/i386-release-normal/qemu/i386-s2e-softmmu/qemu-system-i386 file=/my,,s2e/vm/Debian/disk.s2e,cache=writeback,format=s2e"
t_is "prep: the non-S2E build with format=s2e" \
	"$(s2e-qemu-cmdline --s2edir /S Debian:ready prep)" \
	"/S/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386 -drive file=/S/vm/Debian/disk.s2e,cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user -loadvm ready"
t_is "kvm --accel=tcg --stock: a stock QEMU under TCG" \
	"$(s2e-qemu-cmdline --s2edir /S --accel=tcg --stock --smp 1 -m 64 -n none Debian kvm)" \
	"qemu-system-i386 -drive file=/S/vm/Debian/disk.s2e,cache=writeback,if=virtio,format=raw -accel tcg -smp 1 -m 64 -net none"
t_is "prep --format=raw is --stock" \
	"$(s2e-qemu-cmdline --s2edir /S --format=raw -n none Debian prep)" \
	"qemu-system-i386 -drive file=/S/vm/Debian/disk.s2e,cache=writeback,format=raw -cpu pentium -net none"
t_is "\$S2E_QEMU picks the binary, --qemu wins over it" \
	"$(S2E_QEMU=/a/qemu s2e-qemu-cmdline --s2edir /S -n none Debian prep | cut -d' ' -f1) $(S2E_QEMU=/a/qemu s2e-qemu-cmdline --s2edir /S --qemu /b/qemu -n none Debian prep | cut -d' ' -f1)" \
	"/a/qemu /b/qemu"
t_is "-q words and words after -- come last, quoted when needed" \
	"$(s2e-qemu-cmdline --s2edir /S -n none -q -serial -q 'file:/tmp/a b' Debian prep -- -display none)" \
	"/S/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386 -drive file=/S/vm/Debian/disk.s2e,cache=writeback,format=s2e -cpu pentium -net none -serial 'file:/tmp/a b' -display none"
t_is "an S2EDIR with a space is quoted, and sh reads it back" \
	"$(eval "printf '%s\n' $(s2e-qemu-cmdline --s2edir '/my s2e' -n none Debian prep)" | sed -n 3p)" \
	"file=/my s2e/vm/Debian/disk.s2e,cache=writeback,format=s2e"
t_is "an image path (with a /) is used as is" \
	"$(cd /tmp && s2e-qemu-cmdline --s2edir /S -n none -s base ./img.raw prep)" \
	"/S/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386 -drive file=/tmp/./img.raw,cache=writeback,format=s2e -cpu pentium -net none -loadvm base"
t_is "--timeout wraps the line in timeout(1)" \
	"$(s2e-qemu-cmdline --s2edir /S -n none -t 30 --kill-after 2 Debian prep | cut -d' ' -f1-7)" \
	"timeout --foreground -s INT -k 2 30"

# Bad values: exit 2 with a message naming the value.
bad()
{
	local desc=$1 want=$2
	shift 2
	local out rc
	out=$(s2e-qemu-cmdline "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 2 ] && printf '%s' "$out" | grep -qF -- "$want"; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "exit $rc" "$out"
	fi
}
bad "an unknown mode" "unknown mode 'fast'" Debian fast
bad "a build with two parts" "invalid build 'i386:release'" -b i386:release Debian sym
bad "a build with a slash" "invalid build '../x:y:z'" -b ../x:y:z Debian sym
bad "a memory size of garbage" "invalid memory size 'lots'" -m lots Debian prep
bad "a memory size of zero" "invalid memory size '0'" -m 0 Debian prep
bad "a port of 0" "invalid port '0'" --monitor-port 0 Debian prep
bad "a port past 65535" "invalid port '70000'" --monitor-port 70000 Debian prep
bad "a VNC display out of range" "invalid VNC display '60000'" --vnc-display 60000 Debian prep
bad "an unknown network" "unknown network 'wifi'" -n wifi Debian prep
bad "an unknown accelerator" "unknown accelerator 'hvf'" --accel hvf Debian kvm
bad "a timeout of zero" "invalid timeout '0'" -t 0 Debian sym
bad "a bad VM name" "invalid VM name '.x'" .x sym
bad "a bad experiment name" "invalid experiment name 'a/b'" --expname a/b Debian sym
bad "--config-file outside sym mode" "sym mode only" -c x.lua Debian kvm
bad "-f is not the config file (-f always means force)" "unknown option -f" -f x.lua Debian sym
bad "--expname outside sym mode" "sym mode only" --expname x Debian kvm
t_exit 1 "sym on an image not ending in .s2e" s2e-qemu-cmdline /tmp/disk.raw sym
t_is "... says why" "$(s2e-qemu-cmdline /tmp/disk.raw sym 2>&1)" \
	"s2e-qemu-cmdline: disk image '/tmp/disk.raw' does not end in .s2e: S2E refuses any other name in sym mode, to protect the image (rename it to end in .s2e)"
t_exit 2 "--stock in sym mode" s2e-qemu-cmdline --stock Debian sym
t_exit 2 "no mode" s2e-qemu-cmdline Debian

# --check: what a real run needs.
mkdir -p "$T_TMP/img"
truncate -s 1M "$T_TMP/img/disk.s2e"
t_exit 1 "--check: a missing image" s2e-qemu-cmdline --check --qemu /bin/true "$T_TMP/img/none.s2e" prep
t_exit 1 "--check: a missing snapshot" s2e-qemu-cmdline --check --qemu /bin/true -s ready "$T_TMP/img/disk.s2e" prep
t_is "--check: a missing QEMU binary is named" \
	"$(s2e-qemu-cmdline --check "$T_TMP/img/disk.s2e" prep 2>&1)" \
	"s2e-qemu-cmdline: QEMU binary: cannot run '$S2EDIR/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386': No such file or directory"
t_ok "--check: all there" s2e-qemu-cmdline --check --qemu /bin/true "$T_TMP/img/disk.s2e" prep
if [ -e /dev/kvm ]; then
	t_ok "--check: kvm mode with /dev/kvm" s2e-qemu-cmdline --check --qemu /bin/true "$T_TMP/img/disk.s2e" kvm
else
	t_is "--check: kvm mode without /dev/kvm says to use --accel=tcg" \
		"$(s2e-qemu-cmdline --check --qemu /bin/true "$T_TMP/img/disk.s2e" kvm 2>&1)" \
		"s2e-qemu-cmdline: KVM is not available (use --accel=tcg for software emulation): /dev/kvm: No such file or directory"
fi
t_ok "--check: kvm mode with --accel=tcg needs no /dev/kvm" s2e-qemu-cmdline --check --accel=tcg --qemu /bin/true "$T_TMP/img/disk.s2e" kvm
t_exit 1 "--check: a QEMU that is not executable" s2e-qemu-cmdline --check --qemu /etc/passwd "$T_TMP/img/disk.s2e" prep

t_done
