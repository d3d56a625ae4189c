#!/usr/bin/env bash
# Text from a package never reaches a commit or a terminal verbatim (issue
# 11 item 11): a manifest's exportedFrom with newlines once forged lines in
# `git log`, and one with ESC sequences drove the terminal.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing (it writes the packages)"

# package.py OUT EXPORTED_FROM_AS_WRITTEN: disk.s2e and a manifest.
cat >"$T_TMP/package.py" <<'PY'
import io, sys, tarfile, gzip
out, exported = sys.argv[1], sys.argv[2].encode("utf-8", "surrogateescape")
disk = b"\x01" * 512
manifest = (b"[package]\n\tversion = 1\n\tname = Box\n\texportedFrom = " + exported +
            b"\n[member \"disk.s2e\"]\n\tsize = 512\n")
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("disk.s2e", disk), ("s2e-package.conf", manifest)):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
open(out, "wb").write(gzip.compress(buf.getvalue()))
PY

# Newlines written as git-config escapes, a bidi override and a C1 CSI.
python3 "$T_TMP/package.py" "$T_TMP/forge.tgz" \
	"\"VM x\\n\\nSigned-off-by: forged\\nA$(printf '\u202e')B$(printf '\u009b')2J\""
t_ok "a package whose exportedFrom holds newlines imports" s2e vm import "$T_TMP/forge.tgz" Forge
body=$(git -C "$S2EDIR" log -1 --format=%B)
t_is "... the commit body has no forged line" "$(grep -c '^Signed-off-by: forged' <<<"$body")" 0
t_ok "... the provenance is there, escaped" grep -qF 'VM x\n\nSigned-off-by: forged\nA\u202EB\u009B2J' <<<"$body"
t_is "... no bidi override or C1 control in the history" \
	"$(git -C "$S2EDIR" log --format=%B | grep -c "$(printf '\u202e\\|\u009b')")" 0
t_ok "... vm.config reads" git config -f "$S2EDIR/vm/Forge/vm.config" --list

# A raw ESC is not git-config text at all: the manifest is refused.
python3 "$T_TMP/package.py" "$T_TMP/esc.tgz" "x$(printf '\033')[2J"
out=$(s2e vm import "$T_TMP/esc.tgz" Esc 2>&1)
t_is "a manifest with a raw ESC is refused" "$?" 1
t_ok "... naming the line" grep -q "s2e-package.conf' line 4: control character" <<<"$out" || t_diag "$out"
t_ok "... and no ESC reaches the terminal" test "$(tr -d -c '\033' <<<"$out" | wc -c)" -eq 0
t_done
