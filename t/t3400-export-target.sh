#!/usr/bin/env bash
# Where export writes, and commit subjects that stay replayable with any name.
. "$(dirname "$0")/lib.sh"

cd "$T_TMP"
s2e vm create "My Box" 4M >/dev/null
echo snap >"$S2EDIR/vm/My Box/disk.s2e.ready"

mkdir out
t_ok "export into a directory" s2e vm export "My Box" out
t_ok "... writes NAME.tar.gz inside it" test -f "out/My Box.tar.gz"
t_ok "--format zstd defaults to NAME.tar.zst" s2e vm export --format zstd "My Box"
t_ok "... which zstd reads" zstd -tq "My Box.tar.zst"
t_ok "--format none defaults to NAME.tar" s2e vm export --format none "My Box" out
t_ok "... which tar lists" tar tf "out/My Box.tar"
t_exit 1 "exporting again into the directory needs -f" s2e vm export "My Box" out

t_is "subjects quote names that need it" "$(git -C "$S2EDIR" log -1 --format=%s)" \
	"vm export 'My Box' 'out/My Box.tar'"
t_ok "import of a name with a space" s2e vm import "out/My Box.tar" "Other Box"
t_is "... is recorded with the words quoted" "$(git -C "$S2EDIR" log -1 --format=%s)" \
	"vm import 'out/My Box.tar' 'Other Box'"
s2e vm delete "Other Box:ready" >/dev/null
t_is "snapshot references are quoted as one word" "$(git -C "$S2EDIR" log -1 --format=%s)" \
	"vm delete 'Other Box:ready'"

t_done
