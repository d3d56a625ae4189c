#!/usr/bin/env bash
# Snapshot order (s2e/snapshot.h): recorded snapshots in their recorded
# order, snapshots made by hand merged in by modification time, the same in
# vm list, export (package member order), import, clone; foreign packages by
# their members' times; a tar of a VM directory by the vm.config it holds.
. "$(dirname "$0")/lib.sh"

FAKE=$T_DIR/helpers/fake-qemu
mkdir -p "$S2EDIR/src/config" && echo '--' >"$S2EDIR/src/config/default-config.lua"
now=$(date +%s)
snaps() { s2e vm list --short "$1" | cut -f3; }
meta() { git config -f "$S2EDIR/vm/$1/vm.config" "${@:2}"; }
members() { tar tzf "$1" | grep '^disk\.s2e\.' | sed 's/^disk\.s2e\.//' | paste -sd, | sed 's/,/, /g'; }
# A snapshot made by hand, as `cp` or QEMU outside s2e makes it, at time $3.
hand() { head -c 4096 /dev/urandom >"$S2EDIR/vm/$1/disk.s2e.$2" && touch -d "@$3" "$S2EDIR/vm/$1/disk.s2e.$2"; }
# A snapshot a kvm run takes (recorded in vm.config, taken now).
run_takes() { FAKE_QEMU_SAVEVM=$2 s2e vm run --qemu "$FAKE" "$1" kvm >/dev/null 2>&1; }

# --- a snapshot made by hand before a recorded one comes first
s2e vm create Early 1M >/dev/null
hand Early zz-old $((now - 3600))
run_takes Early mid
t_is "a run's snapshot is recorded" "$(meta Early --get snapshot.mid.taken | cut -c1-4)" "$(date -u +%Y)"
t_is "a hand-made snapshot older than a recorded one is listed first" "$(snaps Early)" "zz-old, mid"
# --- a snapshot taken last is listed last even when another is recorded
hand Early aa-new $((now + 3600))
t_is "a snapshot made by hand after the recorded one is listed last" "$(snaps Early)" "zz-old, mid, aa-new"
t_is "... and in the long listing" "$(s2e vm list Early | sed -n '/Snapshots:/,$p' | tail -n +2 | tr -d ' ' | paste -sd' ')" "zz-old mid aa-new"

# --- export: package members in the order taken; import keeps order and times
s2e vm config Early run.memory 300M
meta Early --add custom.key kept
out=$(s2e vm export Early "$T_TMP/early.tar.gz" 2>&1)
t_is "export succeeds" "$?" 0
t_is "... its snapshots packed in the order taken" "$(members "$T_TMP/early.tar.gz")" "zz-old, mid, aa-new"
t_is "... its status lines in that order" "$(printf '%s\n' "$out" | sed -n 's/^\[ OK \] package snapshot: //p' | paste -sd,)" "zz-old,mid,aa-new"
out=$(s2e vm import "$T_TMP/early.tar.gz" Imported 2>&1)
t_is "import succeeds" "$?" 0
t_is "... with no warning" "$(printf '%s\n' "$out" | grep -c WARN)" 0
t_is "... the snapshots in the same order" "$(snaps Imported)" "zz-old, mid, aa-new"
t_is "... recorded in that order" "$(meta Imported --name-only --get-regexp '^snapshot\..*\.taken$' | sed 's/^snapshot\.//; s/\.taken$//' | paste -sd,)" "zz-old,mid,aa-new"
t_is "... no time unknown" "$(meta Imported --get-regexp '^snapshot\..*\.taken$' | grep -c unknown)" 0
t_is "... a hand-made snapshot's time is its file's" "$(meta Imported --get snapshot.zz-old.taken | cut -c1-19)" "$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H:%M:%S)"
t_is "... the recorded one's time is the recorded one" "$(meta Imported --get snapshot.mid.taken)" "$(meta Early --get snapshot.mid.taken)"
t_is "... and it still remembers its settings" "$(meta Imported --get snapshot.mid.memory)" "$(meta Early --get snapshot.mid.memory)"
t_is "... the VM's settings survive" "$(meta Imported --get run.memory)" 300M
t_is "... and the last line says so" "$(printf '%s\n' "$out" | tail -1)" "[INFO] the package sets run.memory (see s2e vm config --list Imported)"
t_is "... so do unknown keys" "$(meta Imported --get custom.key)" kept
t_is "... the import's own origin" "$(meta Imported --get vm.origin | cut -c1-10)" "import of "
out=$(s2e vm export Imported "$T_TMP/again.tar.gz" 2>&1) && s2e vm import "$T_TMP/again.tar.gz" Again >/dev/null 2>&1
t_is "a second round trip keeps the order" "$(snaps Again)" "zz-old, mid, aa-new"
t_is "... and the times" "$(meta Again --get-regexp '^snapshot\..*\.taken$')" "$(meta Imported --get-regexp '^snapshot\..*\.taken$')"

# --- clone keeps the order
s2e vm clone Early Cloned >/dev/null
t_is "a clone lists the snapshots in the same order" "$(snaps Cloned)" "zz-old, mid, aa-new"

# --- recording hand-made snapshots keeps their place; so do push and pull
s2e vm status --record >/dev/null 2>&1
t_is "vm status --record keeps the order" "$(snaps Early)" "zz-old, mid, aa-new"
t_is "... and records it" "$(meta Early --name-only --get-regexp '^snapshot\..*\.taken$' | sed 's/^snapshot\.//; s/\.taken$//' | paste -sd,)" "zz-old,mid,aa-new"
hand Early bb-newest $((now + 7200))
s2e vm push Early "$T_TMP/store" >/dev/null 2>&1
t_is "push succeeds with a hand-made snapshot" "$?" 0
s2e --s2edir "$T_TMP/other" vm pull "$T_TMP/store/Early" >/dev/null 2>&1
t_is "pull keeps the order" "$(s2e --s2edir "$T_TMP/other" vm list --short Early | cut -f3)" "zz-old, mid, aa-new, bb-newest"

# --- a foreign package: plain tar of disk.s2e*, ordered by member times
s2e vm create Hand 1M >/dev/null
hand Hand c-first $((now - 300))
hand Hand a-second $((now - 200))
hand Hand b-third $((now - 100))
(cd "$S2EDIR/vm/Hand" && tar czf "$T_TMP/plain.tar.gz" disk.s2e*)
t_is "plain tar puts the members in name order" "$(members "$T_TMP/plain.tar.gz")" "a-second, b-third, c-first"
out=$(s2e vm import "$T_TMP/plain.tar.gz" FromPlain 2>&1)
t_is "a plain tar czf disk.s2e* package imports" "$?" 0
t_is "... its snapshots ordered by the members' times, not by name" "$(snaps FromPlain)" "c-first, a-second, b-third"
t_is "... its status lines in that order" "$(printf '%s\n' "$out" | sed -n 's/^\[ OK \] extract snapshot: //p' | paste -sd,)" "c-first,a-second,b-third"
t_is "... recorded so" "$(meta FromPlain --name-only --get-regexp '^snapshot\..*\.taken$' | sed 's/^snapshot\.//; s/\.taken$//' | paste -sd,)" "c-first,a-second,b-third"
t_is "... with those times" "$(meta FromPlain --get snapshot.c-first.taken)" "$(date -u -d "@$((now - 300))" +%Y-%m-%dT%H:%M:%S.000000000Z)"
t_is "... and the files keep them" "$(stat -c %Y "$S2EDIR/vm/FromPlain/disk.s2e.a-second")" "$((now - 200))"

# --- a tar of the VM directory with its vm.config: the recorded order wins
s2e vm status --record >/dev/null 2>&1
meta Hand run.memory 700M
meta Hand --add other.thing "a value"
touch -d "@$((now - 50))" "$S2EDIR/vm/Hand/disk.s2e.c-first" # rewritten: still recorded first
(cd "$S2EDIR/vm" && tar czf "$T_TMP/vmdir.tar.gz" Hand)
out=$(s2e vm import "$T_TMP/vmdir.tar.gz" FromDir 2>&1)
t_is "a tar of a VM directory imports" "$?" 0
t_is "... without a warning about its vm.config" "$(printf '%s\n' "$out" | grep -c 'WARN')" 0
t_is "... its snapshots in vm.config's order" "$(snaps FromDir)" "c-first, a-second, b-third"
t_is "... with vm.config's times" "$(meta FromDir --get snapshot.a-second.taken)" "$(meta Hand --get snapshot.a-second.taken)"
t_is "... its settings kept" "$(meta FromDir --get run.memory)" 700M
t_is "... and said so" "$(printf '%s\n' "$out" | grep INFO)" "[INFO] the package sets run.memory (see s2e vm config --list FromDir)"
t_is "... its unknown keys kept" "$(meta FromDir --get other.thing)" "a value"
t_is "... the size and origin are the import's" "$(meta FromDir --get vm.size) $(meta FromDir --get vm.origin | cut -c1-10)" "1048576 import of "
printf '[vm\n' >"$T_TMP/bad.config"
mkdir -p "$T_TMP/badvm" && cp "$S2EDIR/vm/Hand/disk.s2e" "$T_TMP/badvm/" && cp "$T_TMP/bad.config" "$T_TMP/badvm/vm.config"
(cd "$T_TMP/badvm" && tar czf "$T_TMP/badvm.tar.gz" disk.s2e vm.config)
out=$(s2e vm import "$T_TMP/badvm.tar.gz" BadDir 2>&1)
t_is "a package whose vm.config is malformed is refused" "$?" 1
case $out in
*vm.config*line*) t_pass "... naming vm.config and the line" ;;
*) t_fail "... naming vm.config and the line"; t_diag "$out" ;;
esac
t_ok "... leaving no VM" test ! -e "$S2EDIR/vm/BadDir"
t_ok "the history passes git fsck" git -C "$S2EDIR" fsck --strict --no-progress
t_done
