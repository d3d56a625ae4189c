#!/usr/bin/env bash
# s2e vm create: the seed transcript, sparse images, -f, the history.
. "$(dirname "$0")/lib.sh"

out=$(s2e vm create MyBox 7680M 2>&1)
t_is "create prints the seed's transcript" "$out" "[ OK ] initialise VM
[ OK ] create 7680MiB image"

disk=$S2EDIR/vm/MyBox/disk.s2e
t_is "the image has the requested size" "$(stat -c %s "$disk")" 8053063680
t_is "the image allocates no blocks" "$(stat -c %b "$disk")" 0
if command -v qemu-img >/dev/null; then
	t_is "qemu-img reads it as raw" \
		"$(qemu-img info --output=json "$disk" | grep -o '"format": "[a-z]*"')" '"format": "raw"'
else
	t_skip "qemu-img reads it as raw" "qemu-img is not installed"
fi

t_is "the metadata reads with git config" \
	"$(git config -f "$S2EDIR/vm/MyBox/vm.config" vm.size)" 8053063680
t_is "the metadata records the origin" \
	"$(git config -f "$S2EDIR/vm/MyBox/vm.config" vm.origin)" created

out=$(s2e vm create Small 2>&1)
t_is "the default size is 5120M" "$out" "[ OK ] initialise VM
[ OK ] create 5120MiB image"
t_is "default-size image" "$(stat -c %s "$S2EDIR/vm/Small/disk.s2e")" 5368709120

out=$(s2e vm create Bytes 4096 2>&1)
t_is "plain bytes are labelled B" "$(echo "$out" | tail -1)" "[ OK ] create 4096B image"
out=$(s2e vm create Frac 1.5g 2>&1)
t_is "lower-case units are labelled in binary units" "$(echo "$out" | tail -1)" \
	"[ OK ] create 1.5GiB image"
t_is "1.5g is 1.5 GiB" "$(stat -c %s "$S2EDIR/vm/Frac/disk.s2e")" 1610612736
s2e vm create Odd 1000 >/dev/null
t_is "sizes round up to 512 bytes" "$(stat -c %s "$S2EDIR/vm/Odd/disk.s2e")" 1024

# -f replaces, and only once the new VM is complete.
echo data >"$S2EDIR/vm/MyBox/disk.s2e.ready"
t_exit 1 "an existing VM is refused without -f" s2e vm create MyBox 1G
t_is "the refused create left the VM alone" "$(stat -c %s "$disk")" 8053063680
t_ok "-f replaces an existing VM" s2e vm create -f MyBox 1G
t_is "the replacement has the new size" "$(stat -c %s "$disk")" 1073741824
t_is "the replacement has none of the old files" "$(ls "$S2EDIR/vm/MyBox" | sort | tr '\n' ' ')" \
	"disk.s2e vm.config "
t_is "nothing is left in vm/ but the VMs" "$(ls -A "$S2EDIR/vm" | sort | tr '\n' ' ')" \
	"Bytes Frac MyBox Odd Small "

# Status lines are plain off a terminal; NO_COLOR is honoured on one.
if script -qec true /dev/null >/dev/null 2>&1; then
	out=$(NO_COLOR= script -qec "s2e vm create Colour 1M" /dev/null)
	case $out in *$'\033['*) t_pass "colour on a terminal" ;; *) t_fail "colour on a terminal" ;; esac
	out=$(NO_COLOR=1 script -qec "s2e vm create NoColour 1M" /dev/null)
	case $out in *$'\033['*) t_fail "no colour with NO_COLOR" ;; *) t_pass "no colour with NO_COLOR" ;; esac
else
	t_skip "colour on a terminal" "script(1) cannot make a pseudo-terminal here"
	t_skip "no colour with NO_COLOR" "script(1) cannot make a pseudo-terminal here"
fi

# --s2edir wins over $S2EDIR, and S2EDIR defaults to $HOME/s2e.
t_ok "--s2edir is honoured" s2e vm create --s2edir "$T_TMP/other" Elsewhere 1M
t_ok "... and made the VM there" test -f "$T_TMP/other/vm/Elsewhere/disk.s2e"
t_ok "s2e --s2edir before the command" s2e --s2edir "$T_TMP/other" vm create Two 1M
t_ok "S2EDIR defaults to \$HOME/s2e" env -u S2EDIR s2e vm create Home 1M
t_ok "... and made the VM there" test -f "$HOME/s2e/vm/Home/disk.s2e"

# S2E_TRACE shows the plumbing, replayable by hand.
trace=$(S2E_TRACE=1 s2e vm create Traced 2M 2>&1 >/dev/null)
case $trace in
"+ "*"/s2e-mkimage "*"/disk.s2e 2M") t_pass "S2E_TRACE shows the s2e-mkimage command line" ;;
*) t_fail "S2E_TRACE shows the s2e-mkimage command line"; t_diag "$trace" ;;
esac
# Replay it into another path: "+ BINARY PATH SIZE".
set -- $trace
t_ok "the traced command replays" "$2" "$T_TMP/replayed.img" "$4"
t_is "... to the same image" "$(stat -c %s "$T_TMP/replayed.img")" 2097152

t_done
