#!/bin/bash
# s2e vm push and s2e vm pull (SPEC §8.2): a round trip through a directory
# store between two S2EDIRs, over HTTP (nginx) and S3 (s3rver); a clone
# costs no chunks; -f is needed to replace; a hostile manifest is refused
# with nothing created.  s2e store list|verify|gc on the result.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing"

a=$S2EDIR
s=$T_TMP/store
s2e vm create A 20M >/dev/null || t_skip_all "s2e vm create failed"
dd if=/dev/urandom of="$a/vm/A/disk.s2e" bs=1M count=3 seek=4 conv=notrunc status=none
# Two snapshots, taken in an order that is not alphabetical.
echo zeta >"$a/vm/A/disk.s2e.zeta"
touch -d '2026-01-01' "$a/vm/A/disk.s2e.zeta"
head -c 1500000 /dev/urandom >"$a/vm/A/disk.s2e.alpha"
touch -d '2026-01-02' "$a/vm/A/disk.s2e.alpha"
s2e vm status --record A >/dev/null
snaps() { git config -f "$1/vm/$2/vm.config" --name-only --get-regexp '^snapshot\..*\.taken$'; }
t_is "the snapshots are recorded zeta first" "$(snaps "$a" A | tr '\n' ' ')" \
	"snapshot.zeta.taken snapshot.alpha.taken "

subjects() { git -C "$1" log --format=%s "${@:2}"; }
before=$(subjects "$a" | wc -l)
out=$(s2e vm push -j 2 A "$s")
t_is "push succeeds" "$?" 0
n=$(sed -n 's/^pushed \([0-9]*\) of 23 chunks, .* MiB; \([0-9]*\) already in the store$/\1+\2/p' <<<"$out")
t_is "push prints the summary (what is not uploaded is already there)" "$((n))" 23
t_is "push is one commit" "$(subjects "$a" | wc -l)" "$((before + 1))"
t_is "its subject" "$(subjects "$a" -1)" "vm push A $s"
t_ok "the manifest is read by git config" git config -f "$s/vm/A/vm.config" push.name

b=$T_TMP/b
out=$(s2e --s2edir "$b" vm pull "$s/A")
t_is "pull into another S2EDIR succeeds" "$?" 0
t_ok "pull prints the summary" grep -qx 'pulled [1-9][0-9]* of 23 chunks, .* MiB; 0 from local VMs' <<<"$out"
for f in disk.s2e disk.s2e.zeta disk.s2e.alpha; do
	t_ok "$f is equal" cmp "$a/vm/A/$f" "$b/vm/A/$f"
	t_is "$f has the same digest" "$(s2e-digest "$b/vm/A/$f" | cut -d' ' -f1)" \
		"$(s2e-digest "$a/vm/A/$f" | cut -d' ' -f1)"
done
t_ok "the pulled disk is sparse" test "$(t_allocated "$b/vm/A/disk.s2e")" -le $((4 * 1048576))
alloc() { local t=0 f; for f in "$1"/vm/A/disk.s2e*; do t=$((t + $(t_allocated "$f"))); done; echo $t; }
t_ok "the pulled VM takes at most 1.05x the source's space ($(alloc "$b") vs $(alloc "$a") bytes)" \
	test $(($(alloc "$b") * 100)) -le $(($(alloc "$a") * 105))
t_is "the snapshot order is kept" "$(snaps "$b" A)" "$(snaps "$a" A)"
t_is "pull is the one commit of the new S2EDIR" "$(subjects "$b")" "vm pull $s/A A"
t_ok "its origin names the store" grep -q "origin = pull of $s/A (sha256-1m:" "$b/vm/A/vm.config"

# Durability: pull only starts each file's writeback as it writes it, and
# makes all of them durable at the end; every file must be fdatasync'ed
# before the VM is renamed into place.
if command -v strace >/dev/null; then
	strace -f -y -qq -o "$T_TMP/pull.trace" -e trace=fdatasync,rename,renameat2 \
		s2e --s2edir "$T_TMP/sync" vm pull "$s/A" >/dev/null 2>&1
	synced_first() # FILE: 1 if FILE was fdatasync'ed before the VM was put in place
	{
		awk -v f="/$1>)" 'index($0, "fdatasync(") && index($0, f) { s = 1 }
			/renameat2\(.*\/vm\/A", RENAME_NOREPLACE/ { print s + 0; exit }' "$T_TMP/pull.trace"
	}
	for f in disk.s2e disk.s2e.zeta disk.s2e.alpha; do
		t_is "pull makes $f durable before the VM is put in place" "$(synced_first $f)" 1
	done
else
	t_skip "pull makes its files durable before the VM is put in place" "strace is missing"
fi

cp "$s/vm/A/vm.config" "$T_TMP/manifest.before"
n=$(subjects "$a" | wc -l)
out=$(s2e vm push A "$s")
t_is "an unchanged re-push needs no -f" "$?" 0
t_ok "and sends nothing" grep -qx "pushed 0 of 23 chunks, 0 B; 23 already in the store" <<<"$out"
t_ok "it leaves the store's VM as it was" cmp "$T_TMP/manifest.before" "$s/vm/A/vm.config"
t_is "it is recorded" "$(subjects "$a" | wc -l)" "$((n + 1))"
echo changed >"$a/vm/A/disk.s2e.zeta"
t_exit 1 "push refuses to replace a VM in the store" s2e vm push A "$s"
t_ok "and says -f" sh -c "s2e vm push A '$s' 2>&1 | grep -q 'already has a VM named .A. (-f'"
echo zeta >"$a/vm/A/disk.s2e.zeta"
t_exit 1 "pull refuses to replace a local VM" s2e --s2edir "$b" vm pull "$s/A"
t_exit 0 "pull -f replaces it" s2e --s2edir "$b" vm pull -f "$s/A"
t_is "pull -f is recorded" "$(subjects "$b" -1)" "vm pull -f $s/A A"

# Pulling an updated VM: the chunks the local copy has come from it.
dd if=/dev/urandom of="$a/vm/A/disk.s2e" bs=1M count=1 seek=10 conv=notrunc status=none
s2e vm push -f A "$s" >/dev/null
out=$(s2e --s2edir "$b" vm pull -f "$s/A")
t_ok "an updated VM fetches only the changed chunk" \
	grep -qx 'pulled 1 of 23 chunks, .*; [1-9][0-9]* from local VMs' <<<"$out"
t_ok "and is equal" cmp "$a/vm/A/disk.s2e" "$b/vm/A/disk.s2e"

# Any local VM seeds a pull, whatever its name, through the index cache that
# push and pull keep: D (a clone of A with one chunk changed) pulled next to a
# VM A that was pulled before, and next to the A that was pushed.
s2e vm clone A D >/dev/null
dd if=/dev/urandom of="$a/vm/D/disk.s2e" bs=1M count=1 seek=12 conv=notrunc status=none
s2e vm push D "$T_TMP/store3" >/dev/null
e=$T_TMP/e
s2e --s2edir "$e" vm pull "$s/A" >/dev/null
out=$(s2e --s2edir "$e" vm pull "$T_TMP/store3/D" E)
t_ok "a VM of another name seeds the pull" \
	grep -qx 'pulled 1 of 23 chunks, .*; 7 from local VMs' <<<"$out"
t_ok "and the VM pulled is equal" cmp "$a/vm/D/disk.s2e" "$e/vm/E/disk.s2e"
out=$(s2e vm pull "$T_TMP/store3/D" E)
t_exit 0 "push to file://STORE/REMOTENAME" s2e vm push D "file://$T_TMP/store3/D2"
t_ok "names the VM in that store" test -f "$T_TMP/store3/vm/D2/vm.config"
t_exit 0 "push to DIR/NAME where DIR is no store makes a store at DIR/NAME" \
	s2e vm push D "$T_TMP/fresh/x"
t_ok "named after the VM" test -f "$T_TMP/fresh/x/vm/D/vm.config"
t_ok "a pushed VM (D itself) seeds a pull too" \
	grep -qx 'pulled 0 of 23 chunks, 0 B; 8 from local VMs' <<<"$out"
t_ok "and that VM is equal" cmp "$a/vm/D/disk.s2e" "$a/vm/E/disk.s2e"
s2e vm delete -y E >/dev/null

s2e vm clone A C >/dev/null
out=$(s2e vm push C "$s/C2")
t_ok "a clone of a pushed VM uploads 0 chunks" grep -qx 'pushed 0 of 23 chunks, 0 B; [1-9][0-9]* already in the store' <<<"$out"
out=$(s2e vm push -f A "$s")
t_ok "push -f replaces, uploading nothing new" grep -q '^pushed 0 of 23 chunks' <<<"$out"
t_ok "push keeps each file's index in the index cache" \
	test "$(ls "$a/.s2e/digests/"*.caibx | wc -l)" -ge 3
out=$(s2e vm push A "$T_TMP/store2")
t_ok "a push to a new store from cached indexes sends every chunk" \
	grep -qx "pushed $((23 - 16 + 1)) of 23 chunks, .*; 15 already in the store" <<<"$out"
t_exit 0 "and that store verifies" s2e store verify "$T_TMP/store2"
t_ok "its indexes are the first store's" sh -c "cd '$s/vm/A' && for i in *.caibx; do cmp \$i '$T_TMP/store2/vm/A/'\$i || exit 1; done"
t_is "store list names both" "$(s2e store list "$s" | grep -v '^ ')" "A
C2"
t_ok "store list --json is JSON" sh -c "s2e store list --json '$s' | python3 -m json.tool >/dev/null"
t_exit 0 "store verify passes" s2e store verify "$s"
t_ok "store gc keeps referenced chunks" sh -c "s2e store gc --grace 0 '$s' | grep -q '^removed 0 of'"
t_exit 2 "store gc refuses a bad --grace" s2e store gc --grace x "$s"

# A hostile manifest: a file name that is not disk.s2e[.SNAP].
mkdir -p "$s/vm/evil"
cp "$s/vm/A/"*.caibx "$s/vm/evil/"
sed -e 's/name = A/name = evil/' -e 's/\[file "disk.s2e.zeta"\]/[file "..\/..\/zeta"]/' \
	"$s/vm/A/vm.config" >"$s/vm/evil/vm.config"
out=$(s2e --s2edir "$b" vm pull "$s/evil" 2>&1)
t_is "a hostile manifest is refused" "$?" 1
t_ok "the message names the manifest" grep -q 'vm/evil/vm.config' <<<"$out"
t_is "nothing was created" "$(ls -A "$b/vm")" "A"
t_exit 1 "a manifest naming another VM is refused" sh -c \
	"cp '$s/vm/A/vm.config' '$s/vm/evil/vm.config' && s2e --s2edir '$b' vm pull '$s/evil'"
t_is "still nothing created" "$(ls -A "$b/vm")" "A"
t_exit 1 "store verify finds the hostile VM" s2e store verify "$s" evil
printf 'garbage\n' >"$s/vm/evil/vm.config"
t_exit 1 "push refuses to replace a store VM whose manifest does not parse" s2e vm push A "$s/evil"
t_exit 0 "push -f replaces it" s2e vm push -f A "$s/evil"
t_ok "with a manifest that parses" sh -c "s2e store list '$s' | grep -qx evil"
t_exit 1 "pulling a VM the store lacks fails" s2e --s2edir "$b" vm pull "$s/nosuch"
t_exit 2 "pull needs STORE/NAME" s2e vm pull nosuchstore

# Acceptance 3 on a bench/make-vm VM: after writing 10 random 1 MiB-aligned
# MiB into the disk, a re-push uploads at most 10 chunks and a pull onto a
# machine holding the previous version fetches at most 10 (the summary lines
# say so).  On a terminal, one progress bar covers the whole VM.
m=$T_TMP/m mp=$T_TMP/mp ms=$T_TMP/mstore
if "$T_ROOT/bench/make-vm" -q --disk-size 128M --data 24M --snapshots 2 --snapshot-size 6M \
	"$m/vm/Real" 2>"$T_TMP/make-vm.err"; then
	s2e --s2edir "$m" vm push Real "$ms" >/dev/null
	s2e --s2edir "$mp" vm pull "$ms/Real" >/dev/null
	for i in $(shuf -i 0-127 -n 10); do
		dd if=/dev/urandom of="$m/vm/Real/disk.s2e" bs=1M count=1 seek="$i" conv=notrunc \
			status=none
	done
	out=$(s2e --s2edir "$m" vm push -f Real "$ms")
	n=$(sed -n 's/^pushed \([0-9]*\) of 140 chunks, .*/\1/p' <<<"$out")
	t_ok "a re-push after 10 changed MiB uploads at most 10 chunks ($n)" test "${n:-99}" -le 10
	t_ok "and at least one" test "${n:-0}" -ge 1
	if script -qec true /dev/null >/dev/null 2>&1; then
		out=$(script -qec "s2e --s2edir '$mp' vm pull -f '$ms/Real'" /dev/null | tr '\r' '\n')
	else
		out=$(s2e --s2edir "$mp" vm pull -f "$ms/Real")
	fi
	n=$(sed -n 's/^.*pulled \([0-9]*\) of 140 chunks, .*/\1/p' <<<"$out")
	t_ok "a pull onto the previous version fetches at most 10 chunks ($n)" test "${n:-99}" -le 10
	t_ok "and at least one" test "${n:-0}" -ge 1
	t_ok "the updated disk is equal" cmp "$m/vm/Real/disk.s2e" "$mp/vm/Real/disk.s2e"
	if script -qec true /dev/null >/dev/null 2>&1; then
		t_ok "on a terminal one bar counts the chunks of all the files" \
			grep -q '^pull \[.*\] .*/140 chunks, .* fetched, .* skipped' <<<"$out"
	else
		t_skip "the progress bar" "script(1) cannot make a pseudo-terminal here"
	fi
else
	t_skip "acceptance 3 on a make-vm VM" "bench/make-vm failed: $(cat "$T_TMP/make-vm.err")"
fi

pids=
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; t_cleanup' EXIT

# Over HTTP: nginx serves the store directory.
rm -rf "$s/vm/evil"
if ! command -v nginx >/dev/null; then
	t_skip "pull over HTTP" "nginx is missing (package nginx)"
elif t_nginx "$s"; then
	pids="$pids $t_nginx_pid"
	h=$T_TMP/h
	out=$(s2e --s2edir "$h" vm pull -j 4 "http://127.0.0.1:$t_nginx_port/C2" C)
	t_is "pull over HTTP succeeds" "$?" 0
	t_ok "the VM is equal" cmp "$a/vm/A/disk.s2e" "$h/vm/C/disk.s2e"
	t_ok "and its snapshot" cmp "$a/vm/A/disk.s2e.alpha" "$h/vm/C/disk.s2e.alpha"
	t_exit 1 "push to HTTP is refused (read-only)" \
		s2e vm push A "http://127.0.0.1:$t_nginx_port"
else
	t_skip "pull over HTTP" "nginx did not start"
fi

# Over S3: s3rver.
if ! command -v s3rver >/dev/null; then
	t_skip "push and pull over S3" "s3rver is missing (npm install -g s3rver)"
	t_done
	exit
fi
port=$(t_free_port)
mkdir -p "$T_TMP/s3"
s3rver -d "$T_TMP/s3" -a 127.0.0.1 -p "$port" --configure-bucket bkt -s >"$T_TMP/s3rver.log" 2>&1 &
pids="$pids $!"
t_wait_port "$port" || { t_skip "push and pull over S3" "s3rver did not start"; t_done; exit; }
export S2E_S3_ENDPOINT=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
url=s3://bkt/vms
out=$(s2e vm push -j 4 A "$url")
t_ok "push to S3" grep -q '^pushed [1-9][0-9]* of 23 chunks' <<<"$out"
out=$(s2e vm push C "$url")
t_ok "a clone pushed to S3 uploads 0 chunks" grep -q '^pushed 0 of 23 chunks' <<<"$out"
echo changed >"$a/vm/A/disk.s2e.zeta"
t_exit 1 "-f is needed on S3 too" s2e vm push A "$url"
echo zeta >"$a/vm/A/disk.s2e.zeta"
t3=$T_TMP/s3vm
t_exit 0 "pull from S3" s2e --s2edir "$t3" vm pull "$url/A" A
for f in disk.s2e disk.s2e.zeta disk.s2e.alpha; do
	t_ok "$f from S3 is equal" cmp "$a/vm/A/$f" "$t3/vm/A/$f"
done
t_is "store list on S3" "$(s2e store list "$url" | grep -v '^ ')" "A
C"
t_exit 0 "store verify on S3" s2e store verify "$url"
# gc on S3: the chunks only a replaced version had are removed (each one's
# time read again by a HEAD just before its DELETE); those in use are kept.
dd if=/dev/urandom of="$a/vm/C/disk.s2e" bs=1M count=2 seek=14 conv=notrunc status=none
s2e vm push -f C "$url" >/dev/null
dd if=/dev/urandom of="$a/vm/C/disk.s2e" bs=1M count=2 seek=14 conv=notrunc status=none
s2e vm push -f C "$url" >/dev/null
out=$(s2e store gc --grace 3600 "$url")
t_ok "gc on S3 within the grace period removes nothing" grep -q '^removed 0 of' <<<"$out"
sleep 1 # S3 times are whole seconds
out=$(s2e store gc --grace 0 "$url")
t_ok "gc on S3 removes the 2 chunks only the replaced version of C had" \
	grep -q '^removed 2 of' <<<"$out"
t_exit 0 "the S3 store verifies after gc" s2e store verify "$url"
t_exit 0 "... and C pulls back" s2e --s2edir "$t3" vm pull -f "$url/C"
t_ok "... equal" cmp "$a/vm/C/disk.s2e" "$t3/vm/C/disk.s2e"
out=$(AWS_ACCESS_KEY_ID=NOSUCHKEY s2e --s2edir "$t3" vm pull "$url/C" K 2>&1)
t_ok "an unknown access key is a clear error" grep -q InvalidAccessKeyId <<<"$out"
t_is "and nothing was created" "$(ls -A "$t3/vm" | tr '\n' ' ')" "A C "
t_done
