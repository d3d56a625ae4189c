#!/usr/bin/env bash
# Every bad input gives a clear error and a non-zero exit, and changes nothing
# on disk or in the history.
. "$(dirname "$0")/lib.sh"

# A bad command on a fresh S2EDIR creates nothing at all.
t_exit 1 "a bad name on a fresh S2EDIR fails" s2e vm create ../x 1G
t_ok "... and creates no S2EDIR" test ! -e "$S2EDIR"

s2e vm create MyBox 1G >/dev/null
echo s >"$S2EDIR/vm/MyBox/disk.s2e.ready"

state()
{
	(cd "$S2EDIR" && find . \( -type d -printf '%p %m dir\n' \) -o -printf '%p %s %m %T@\n' | LC_ALL=C sort)
	git -C "$S2EDIR" rev-parse HEAD
}
before=$(state)

refused()
{
	local rc=$1 desc=$2 want=$3 out
	shift 3
	out=$("$@" 2>&1 </dev/null)
	local got=$?
	if [ "$got" = "$rc" ] && [[ $out == *"$want"* ]]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "command: $*" "exit $got (wanted $rc)" "$out" "(wanted: $want)"
	fi
}

for name in ../x a/b a:b .x "" "$(printf 'a\tb')" "$(printf 'a\nb')" "$(printf '\x01')" \
	"$(head -c 300 /dev/zero | tr '\0' a)" "$(printf '\xff')"; do
	refused 1 "create refuses the name $(printf %q "$name")" "invalid VM name" \
		s2e vm create "$name" 1G
done
for size in 0 -1 12X 99999999T "" 1.2.3G 5GB " 5G"; do
	refused 2 "create refuses the size '$size'" "invalid size" s2e vm create Fine "$size"
done
refused 1 "an existing VM without -f" "already exists" s2e vm create MyBox 1G
refused 1 "deleting a missing VM" "no such VM 'Nope'" s2e vm delete -y Nope
refused 1 "deleting a missing snapshot" "has no snapshot 'nope'" s2e vm delete MyBox:nope
refused 1 "deleting a VM with no terminal and no -y" "not a terminal" s2e vm delete MyBox
refused 1 "deleting with a bad snapshot name" "invalid snapshot name" s2e vm delete "MyBox:a/b"
refused 1 "deleting with an empty snapshot name" "invalid snapshot name" s2e vm delete "MyBox:"
refused 2 "create without a name is a usage error" "usage:" s2e vm create
refused 2 "create with too many arguments" "usage:" s2e vm create a 1G extra
refused 2 "an unknown option" "usage:" s2e vm create --bogus a
refused 2 "an unknown vm command" "not an 's2e vm' command" s2e vm frobnicate
refused 2 "an unknown command" "not an s2e command" s2e frobnicate
refused 2 "delete without a name" "usage:" s2e vm delete
refused 2 "s2e-mkimage refuses a bad size" "invalid size" s2e-mkimage "$T_TMP/x.img" 12X
refused 2 "s2e-mkimage without arguments" "usage:" s2e-mkimage
refused 1 "s2e-mkimage refuses an existing file" "already exists" \
	s2e-mkimage "$S2EDIR/vm/MyBox/disk.s2e" 1M
refused 1 "s2e-mkimage into a missing directory" "No such file" \
	s2e-mkimage "$T_TMP/none/x.img" 1M
t_ok "s2e-mkimage left nothing behind" test -z "$(ls "$T_TMP" | grep -v -e home -e s2e)"

t_is "nothing changed on disk or in the history" "$(state)" "$before"

# A size too large for the file system fails cleanly too.
refused 1 "an image larger than the file system allows" "larger than this file system" \
	s2e vm create Huge 8000000T
t_is "... and leaves nothing" "$(state)" "$before"

t_done
