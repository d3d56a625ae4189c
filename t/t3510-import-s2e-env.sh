#!/usr/bin/env bash
# s2e vm import --s2e-env DIR [NAME] (SPEC §9 "s2e-env"): an image directory
# as s2e-env lays it out (images/NAME/image.raw.s2e, image.raw.s2e.ready,
# image.json) becomes a VM with its snapshot and settings; s2e vm export
# --s2e-env NAME DIR writes it back.
. "$(dirname "$0")/lib.sh"

FAKE=$T_DIR/helpers/fake-qemu
commits() { git -C "$S2EDIR" rev-list --count HEAD 2>/dev/null || echo 0; }
IMG=$T_TMP/env/images/debian-9.2.1-i386
mkdir -p "$IMG"
truncate -s 16M "$IMG/image.raw.s2e"
head -c 65536 /dev/urandom | dd of="$IMG/image.raw.s2e" bs=64k seek=3 conv=notrunc 2>/dev/null
head -c 300000 /dev/urandom >"$IMG/image.raw.s2e.ready"
touch -d '@1600000000' "$IMG/image.raw.s2e.ready"
head -c 1000 /dev/urandom >"$IMG/image.raw.s2e.later"
cat >"$IMG/image.json" <<'JSON'
{
    "name": "debian-9.2.1-i386",
    "image_group": "linux",
    "description": "Debian i386 image \u00e9",
    "memory": "256M",
    "qemu_build": "i386",
    "qemu_extra_flags": "-net none -net nic,model=e1000 -serial file:serial.txt ",
    "snapshot": "ready",
    "version": 3,
    "os": {
        "name": "debian",
        "version": "9.2.1",
        "arch": "i386",
        "build": "",
        "binary_formats": ["elf"]
    }
}
JSON
META=$S2EDIR/vm/debian-9.2.1-i386/vm.config
gc() { git config -f "$META" "$@"; }

out=$(s2e vm import --s2e-env "$IMG")
t_is "an s2e-env image directory imports, named after image.json" "$?" 0
t_is "... with the usual steps" "$out" "$(printf '[ OK ] initialise VM\n[ OK ] copy disk image\n[ OK ] copy snapshot: ready\n[ OK ] copy snapshot: later')"
t_ok "... the disk equal to image.raw.s2e" cmp "$IMG/image.raw.s2e" "$S2EDIR/vm/debian-9.2.1-i386/disk.s2e"
t_ok "... still sparse" test "$(t_allocated "$S2EDIR/vm/debian-9.2.1-i386/disk.s2e")" -lt 1048576
t_ok "... the snapshot equal to image.raw.s2e.ready" cmp "$IMG/image.raw.s2e.ready" "$S2EDIR/vm/debian-9.2.1-i386/disk.s2e.ready"
t_is "... snapshots in the order their files were written" "$(s2e vm list --short debian-9.2.1-i386 | cut -f3)" "ready, later"
t_is "... memory mapped to run.memory" "$(gc run.memory)" 256M
t_is "... the NIC to run.nic" "$(gc run.nic)" e1000
t_is "... the other flags to run.qemuArg" "$(gc --get-all run.qemuArg | tr '\n' ' ')" "-serial file:serial.txt "
t_is "... the OS description to image.*" "$(gc image.os) $(gc image.version) $(gc image.arch) $(gc image.description)" \
	"debian 9.2.1 i386 Debian i386 image é"
t_is "... s2e-env's own fields kept" "$(gc s2e-env.snapshot) $(gc s2e-env.qemuBuild) $(gc s2e-env.version) $(gc s2e-env.imageGroup)" \
	"ready i386 3 linux"
t_is "... the snapshot remembers the memory and NIC" "$(gc snapshot.ready.memory) $(gc snapshot.ready.nic)" "256 e1000"
t_ok "... and its disk digest" test "$(gc snapshot.ready.disk)" = "$(gc vm.digest)"
t_is "... one commit" "$(git -C "$S2EDIR" log -1 --format=%s)" "vm import --s2e-env $IMG debian-9.2.1-i386"
mkdir -p "$S2EDIR/src/config" && echo '--' >"$S2EDIR/src/config/default-config.lua"
t_exit 0 "its snapshot resumes with the settings it came with" \
	s2e vm run --qemu "$FAKE" debian-9.2.1-i386:ready sym --expname env
t_is "... -m and the NIC from the settings" \
	"$(git config -f "$S2EDIR/experiments/env/record.conf" settings.memory) $(git config -f "$S2EDIR/experiments/env/record.conf" settings.nic)" "256 e1000"

t_exit 0 "with NAME" s2e vm import --s2e-env "$IMG" Named
t_exit 1 "an existing VM is refused" s2e vm import --s2e-env "$IMG" Named
t_exit 0 "... unless -f" s2e vm import --s2e-env -f "$IMG" Named

cp -r "$IMG" "$T_TMP/nojson" && rm "$T_TMP/nojson/image.json"
t_exit 0 "without image.json, named after the directory" s2e vm import --s2e-env "$T_TMP/nojson"
t_ok "... with its snapshots" test -f "$S2EDIR/vm/nojson/disk.s2e.ready"

bad()
{
	local desc=$1 want=$2 dir=$3 out rc n0
	n0=$(commits)
	out=$(s2e vm import --s2e-env "$dir" Bad 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && printf '%s' "$out" | grep -qF -- "$want" && [ ! -e "$S2EDIR/vm/Bad" ] &&
		[ "$(commits)" = "$n0" ]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "exit $rc" "$out"
	fi
}
cp -r "$IMG" "$T_TMP/badjson" && printf '{"name": "x",}' >"$T_TMP/badjson/image.json"
bad "a malformed image.json is refused" "image.json: offset 13: expected a key" "$T_TMP/badjson"
cp -r "$IMG" "$T_TMP/dup" && printf '{"memory": "1G", "memory": "2G"}' >"$T_TMP/dup/image.json"
bad "... so is one with a key twice" "a key given twice" "$T_TMP/dup"
mkdir -p "$T_TMP/empty"
bad "a directory without image.raw.s2e is refused" "no image.raw.s2e" "$T_TMP/empty"
if command -v qemu-img >/dev/null; then
	mkdir -p "$T_TMP/qcow" && qemu-img create -q -f qcow2 "$T_TMP/qcow/image.raw.s2e" 16M
	bad "a qcow2 image.raw.s2e is refused" "is a qcow2 (or qcow) image" "$T_TMP/qcow"
else
	t_skip "a qcow2 image.raw.s2e" "qemu-img is not installed"
fi
t_ok "s2e vm import --s2e-env --help" bash -c "s2e vm import --s2e-env --help | grep -q '^usage: s2e vm import --s2e-env'"
# --- a package (.tar.xz) holding an s2e-env image directory imports the same way
pkg()
{
	local desc=$1 file=$2 name=$3 out
	out=$(s2e vm import "$file" "$name" 2>&1)
	t_is "$desc" "$?" 0
	t_is "... with no warning" "$(printf '%s\n' "$out" | grep -c WARN)" 0
	t_ok "... the disk equal to image.raw.s2e" cmp "$IMG/image.raw.s2e" "$S2EDIR/vm/$name/disk.s2e"
	t_ok "... still sparse" test "$(t_allocated "$S2EDIR/vm/$name/disk.s2e")" -lt 1048576
	t_ok "... the snapshot equal to image.raw.s2e.ready" cmp "$IMG/image.raw.s2e.ready" "$S2EDIR/vm/$name/disk.s2e.ready"
	t_is "... snapshots in the order their files were written" "$(s2e vm list --short "$name" | cut -f3)" "ready, later"
	META=$S2EDIR/vm/$name/vm.config
	t_is "... memory, NIC and flags mapped" "$(gc run.memory) $(gc run.nic) $(gc --get-all run.qemuArg | tr '\n' ' ')" \
		"256M e1000 -serial file:serial.txt "
	t_is "... the OS description too" "$(gc image.os) $(gc image.version) $(gc s2e-env.snapshot)" "debian 9.2.1 ready"
	t_is "... the snapshot remembers the memory and NIC" "$(gc snapshot.ready.memory) $(gc snapshot.ready.nic)" "256 e1000"
	t_ok "... and its disk digest" test "$(gc snapshot.ready.disk)" = "$(gc vm.digest)"
	t_ok "... no image.json left in the VM" test ! -e "$S2EDIR/vm/$name/image.json"
}
if command -v xz >/dev/null; then
	(cd "$T_TMP/env" && tar cJf "$T_TMP/env.tar.xz" images)
	pkg "a .tar.xz of images/NAME/ imports" "$T_TMP/env.tar.xz" EnvXz
	t_is "... read as xz" "$(git -C "$S2EDIR" log -1 --format=%b | sed -n 's/^Package format: //p')" xz
	(cd "$T_TMP/env/images" && tar cJf "$T_TMP/env1.tar.xz" debian-9.2.1-i386)
	pkg "a .tar.xz of NAME/ imports" "$T_TMP/env1.tar.xz" EnvXz1
	(cd "$IMG" && tar cJf "$T_TMP/env0.tar.xz" image.raw.s2e image.raw.s2e.ready image.raw.s2e.later image.json)
	pkg "a .tar.xz of the files alone imports" "$T_TMP/env0.tar.xz" EnvXz0
	mkdir -p "$T_TMP/deep/a/b" && cp "$IMG/image.raw.s2e" "$T_TMP/deep/a/b/"
	(cd "$T_TMP/deep" && tar cJf "$T_TMP/deep.tar.xz" a)
	out=$(s2e vm import "$T_TMP/deep.tar.xz" Deep 2>&1)
	t_is "... but not from deeper than images/NAME/" "$?" 1
	t_ok "... saying why" grep -q "top level or in one directory" <<<"$out"
	(cd "$T_TMP/env" && tar czf "$T_TMP/env.tar.gz" images)
	t_exit 0 "a .tar.gz of it too" s2e vm import "$T_TMP/env.tar.gz" EnvGz
	t_is "... with its settings" "$(git config -f "$S2EDIR/vm/EnvGz/vm.config" run.memory)" 256M
else
	t_skip "a .tar.xz of an s2e-env image directory" "xz is not installed (tools/install-deps)"
fi
META=$S2EDIR/vm/debian-9.2.1-i386/vm.config

# --- export --s2e-env: the same files, an image.json with the same fields
OUT=$T_TMP/out/images/debian-9.2.1-i386
mkdir -p "$T_TMP/out/images"
out=$(s2e vm export --s2e-env debian-9.2.1-i386 "$OUT")
t_is "export --s2e-env writes the directory" "$?" 0
t_is "... with the usual steps" "$out" "$(printf '[ OK ] copy disk image\n[ OK ] copy snapshot: ready\n[ OK ] copy snapshot: later\n[ OK ] write image.json')"
t_ok "... image.raw.s2e equal to the original" cmp "$IMG/image.raw.s2e" "$OUT/image.raw.s2e"
t_ok "... image.raw.s2e.ready too" cmp "$IMG/image.raw.s2e.ready" "$OUT/image.raw.s2e.ready"
t_ok "... and image.raw.s2e.later" cmp "$IMG/image.raw.s2e.later" "$OUT/image.raw.s2e.later"
t_ok "... still sparse" test "$(t_allocated "$OUT/image.raw.s2e")" -lt 1048576
t_ok "... image.json holds the same fields and values (python's json agrees)" \
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a != b)' \
	"$IMG/image.json" "$OUT/image.json"
t_exit 1 "an existing DIR is refused" s2e vm export --s2e-env debian-9.2.1-i386 "$OUT"
s2e vm config debian-9.2.1-i386 run.memory 1G
s2e vm config --add debian-9.2.1-i386 run.qemuArg -- -nographic
t_exit 0 "settings changed since are exported" s2e vm export --s2e-env debian-9.2.1-i386 "$T_TMP/out2"
t_is "... memory and flags" \
	"$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["memory"] + "|" + j["qemu_extra_flags"])' "$T_TMP/out2/image.json")" \
	"1G|-net none -net nic,model=e1000 -serial file:serial.txt -nographic "
s2e vm create Plain 1M >/dev/null
t_exit 0 "a VM never imported from s2e-env exports too" s2e vm export --s2e-env Plain "$T_TMP/plain"
t_is "... with a minimal image.json" \
	"$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["name"], j["qemu_build"], repr(j["qemu_extra_flags"]))' "$T_TMP/plain/image.json")" \
	"Plain i386 ''"
t_exit 0 "... which imports again" s2e vm import --s2e-env "$T_TMP/plain" PlainAgain
t_exit 1 "an unknown VM fails" s2e vm export --s2e-env Nope "$T_TMP/nope"
t_ok "... leaving nothing" test ! -e "$T_TMP/nope"
t_ok "s2e vm export --s2e-env --help" bash -c "s2e vm export --s2e-env --help | grep -q '^usage: s2e vm export --s2e-env NAME DIR'"
t_ok "the history passes git fsck" git -C "$S2EDIR" fsck --strict --no-progress
t_done
