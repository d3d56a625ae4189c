#!/usr/bin/env bash
# Options may follow operands: every porcelain command and plumbing binary is
# run twice from the same starting point, once with its options before its
# operands and once after them, and must give the same result.
. "$(dirname "$0")/lib.sh"

# same DESC SETUP RESULT CMD-BEFORE CMD-AFTER
# SETUP (shell) puts things back to the starting point before each run;
# RESULT (shell) prints what the run left behind.  Exit status, standard
# output and RESULT must be equal, and the first run must succeed.
same()
{
	local desc=$1 setup=$2 result=$3 a b
	a=$(eval "$setup" >/dev/null 2>&1; eval "$4" 2>/dev/null; echo "rc=$?"; eval "$result")
	b=$(eval "$setup" >/dev/null 2>&1; eval "$5" 2>/dev/null; echo "rc=$?"; eval "$result")
	case "$a" in
	*rc=0*) t_is "$desc" "$b" "$a" ;;
	*) t_fail "$desc"; t_diag "the options-first run failed:" "$a" ;;
	esac
}

W=$T_TMP/w
mkdir -p "$W"
s2e vm create A 3M >/dev/null
printf 'some data' | dd of="$S2EDIR/vm/A/disk.s2e" bs=1 seek=1048576 conv=notrunc 2>/dev/null
echo snap >"$S2EDIR/vm/A/disk.s2e.ready"
s2e vm export A "$W/A.tar.gz" >/dev/null 2>&1
list() { s2e vm list "$@"; }
cfg() { git config -f "$S2EDIR/vm/$1/vm.config" --list | grep -v -e created -e updated -e origin; }

same "vm create" "s2e vm delete -y C" "list C" \
	"s2e vm create -f C 2M" "s2e vm create C 2M -f"
same "vm list" "" "" \
	"s2e vm list --json A" "s2e vm list A --json"
same "vm clone" "s2e vm delete -y B" "list B" \
	"s2e vm clone -f A B" "s2e vm clone A B -f"
same "vm export" "rm -f '$W/e.tar'" "s2e-unpack --list '$W/e.tar'" \
	"s2e vm export -f --format none A '$W/e.tar'" "s2e vm export A '$W/e.tar' --format none -f"
same "vm import" "s2e vm delete -y I" "list I; cfg I" \
	"s2e vm import -f '$W/A.tar.gz' I" "s2e vm import '$W/A.tar.gz' I -f"
same "vm delete" "s2e vm create -f D 1M" "list D" \
	"s2e vm delete -y D" "s2e vm delete D -y"
same "vm run --dry-run" "" "" \
	"s2e vm run --dry-run -m 256 -n none A sym --expname x" \
	"s2e vm run A sym --expname x --dry-run -m 256 -n none"
same "vm push" "rm -rf '$W/vs'" "s2e store list '$W/vs' | grep -v 'Pushed at'" \
	"s2e vm push -f -j 2 A '$W/vs'" "s2e vm push A '$W/vs' -f -j 2"
same "vm pull" "s2e vm delete -y P" "list P; cfg P" \
	"s2e vm pull -f -j 2 '$W/vs/A' P" "s2e vm pull '$W/vs/A' P -f -j 2"
same "store list" "" "" \
	"s2e store list --json '$W/vs'" "s2e store list '$W/vs' --json"
same "store verify" "" "" \
	"s2e store verify -j 2 '$W/vs' A" "s2e store verify '$W/vs' A -j 2"
same "store gc" "" "" \
	"s2e store gc --grace 0 --dry-run '$W/vs'" "s2e store gc '$W/vs' --dry-run --grace 0"
same "log" "" "" \
	"s2e log --vm A -n 2" "s2e log -n 2 --vm A"

same "s2e-mkimage" "rm -f '$W/m.img'" "stat -c %s '$W/m.img'" \
	"s2e-mkimage -f '$W/m.img' 1M" "s2e-mkimage '$W/m.img' 1M -f"
same "s2e-snapcp" "rm -f '$W/copy'" "cmp '$W/copy' '$S2EDIR/vm/A/disk.s2e' && echo equal" \
	"s2e-snapcp --reflink=never -j 2 '$S2EDIR/vm/A/disk.s2e' '$W/copy'" \
	"s2e-snapcp '$S2EDIR/vm/A/disk.s2e' '$W/copy' --reflink=never -j 2"
same "s2e-pack" "rm -f '$W/p.tar'" "s2e-unpack --list '$W/p.tar'" \
	"s2e-pack -o '$W/p.tar' --format=none -j 2 '$S2EDIR/vm/A'" \
	"s2e-pack '$S2EDIR/vm/A' -o '$W/p.tar' --format=none -j 2"
same "s2e-unpack" "" "" \
	"s2e-unpack --list -j 1 '$W/A.tar.gz'" "s2e-unpack '$W/A.tar.gz' --list -j 1"
same "s2e-digest" "" "" \
	"s2e-digest -j 2 '$S2EDIR/vm/A/disk.s2e'" "s2e-digest '$S2EDIR/vm/A/disk.s2e' -j 2"
same "s2e-qemu-cmdline" "" "" \
	"s2e-qemu-cmdline -z --expname x A sym" "s2e-qemu-cmdline A sym --expname x -z"

same "s2e-chunk" "rm -rf '$W/store' '$W/A.caibx'; mkdir -p '$W/store'" "cat '$W/A.caibx' | od -c | md5sum" \
	"s2e-chunk --store '$W/store' -o '$W/A.caibx' -j 2 '$S2EDIR/vm/A/disk.s2e'" \
	"s2e-chunk '$S2EDIR/vm/A/disk.s2e' --store '$W/store' -o '$W/A.caibx' -j 2"
same "s2e-unchunk" "rm -f '$W/un.img'" "cmp '$W/un.img' '$S2EDIR/vm/A/disk.s2e' && echo equal" \
	"s2e-unchunk --store '$W/store' '$W/A.caibx' '$W/un.img'" \
	"s2e-unchunk '$W/A.caibx' '$W/un.img' --store '$W/store'"

t_done
