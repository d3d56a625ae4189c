#!/bin/bash
# Stores used by several commands at once (SPEC §8.2, issue 9 acceptance 6):
# two pushes of VMs sharing chunks run at the same time and both succeed;
# `s2e store gc --grace 0` run in a loop during a push loses nothing the push
# needs; gc keeps the chunks newer than its grace period and then removes
# exactly the chunks no index references (the expected set is computed here
# from the VMs' files, not from the store).
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing"
MiB=1048576
chunks() { python3 "$T_DIR/store-chunks.py" "$@"; }
a=$S2EDIR
vm=$a/vm
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; t_cleanup' EXIT

# P: a sparse disk with 160 MiB of data and a snapshot; Q: a clone of P with
# 32 MiB changed, so that most of their chunks are shared.
s2e vm create P 512M >/dev/null || t_skip_all "s2e vm create failed"
head -c $((160 * MiB)) /dev/urandom | dd of="$vm/P/disk.s2e" bs=1M seek=32 conv=notrunc status=none
head -c $((8 * MiB)) /dev/urandom >"$vm/P/disk.s2e.snap"
s2e vm status --record >/dev/null
s2e vm clone P Q >/dev/null
head -c $((32 * MiB)) /dev/urandom | dd of="$vm/Q/disk.s2e" bs=1M seek=100 conv=notrunc status=none

# pulled_equal STORE VM...: each VM pulled into a new S2EDIR is its files.
pulled_equal()
{
	local st=$1 d=$T_TMP/pull.$RANDOM v f bad=
	shift
	for v in "$@"; do
		s2e --s2edir "$d" vm pull "$st/$v" >/dev/null 2>&1 || { bad="$bad [pull $v]"; continue; }
		for f in "$vm/$v"/disk.s2e*; do
			cmp -s "$f" "$d/vm/$v/${f##*/}" || bad="$bad [$v/${f##*/} differs]"
		done
	done
	rm -rf "$d"
	[ -z "$bad" ] || t_diag "$bad"
	[ -z "$bad" ]
}

# ---- two pushes at once ----
s=$T_TMP/s1
s2e vm push P "$s" >"$T_TMP/p.out" 2>&1 &
p1=$!
s2e vm push Q "$s" >"$T_TMP/q.out" 2>&1 &
p2=$!
wait $p1
t_is "push P, run at the same time as push Q, succeeds" "$?" 0
wait $p2
t_is "push Q, run at the same time as push P, succeeds" "$?" 0
cat "$T_TMP/p.out" "$T_TMP/q.out" | grep -v '^\[ OK' | sed 's/^/# /'
t_exit 0 "the store verifies" s2e store verify "$s"
t_ok "both pull back equal" pulled_equal "$s" P Q

# ---- gc in a loop during pushes ----
s=$T_TMP/s2
s2e vm push P "$s" >/dev/null
# Garbage for gc to find: a VM pushed, then replaced by another version.
s2e vm clone P G >/dev/null
head -c $((24 * MiB)) /dev/urandom | dd of="$vm/G/disk.s2e" bs=1M seek=200 conv=notrunc status=none
s2e vm push G "$s" >/dev/null
head -c $((24 * MiB)) /dev/urandom | dd of="$vm/G/disk.s2e" bs=1M seek=200 conv=notrunc status=none
s2e vm push -f G "$s" >/dev/null
lost=0
for i in 1 2 3; do
	# R$i: P's data (present in the store) plus 64 MiB of new data.
	s2e vm clone P "R$i" >/dev/null
	head -c $((64 * MiB)) /dev/urandom |
		dd of="$vm/R$i/disk.s2e" bs=1M seek=$((300 + i)) conv=notrunc status=none
	(while :; do s2e store gc --grace 0 "$s" >/dev/null 2>&1; done) &
	gcpid=$!
	pids="$pids $gcpid"
	out=$(s2e vm push "R$i" "$s" 2>&1)
	rc=$?
	kill $gcpid
	wait $gcpid 2>/dev/null
	pids=
	bad=
	[ "$rc" = 0 ] || bad="$bad [push: $out]"
	out=$(s2e store verify "$s" 2>&1) || bad="$bad [verify: $(grep -v ': ok' <<<"$out")]"
	pulled_equal "$s" "R$i" P G || bad="$bad [pull]"
	if [ -n "$bad" ]; then
		lost=$((lost + 1))
		t_diag "push $i with gc --grace 0 in a loop:$bad"
	fi
done
t_is "gc --grace 0 in a loop during 3 pushes loses nothing they need" "$lost" 0

# ---- exactly the unreferenced chunks, after the grace period ----
s=$T_TMP/s3
s2e vm push P "$s" >/dev/null
s2e vm push Q "$s" >/dev/null
# Q is replaced by a new version: the chunks only the old Q had lose their
# last reference.
head -c $((16 * MiB)) /dev/urandom | dd of="$vm/Q/disk.s2e" bs=1M seek=100 conv=notrunc status=none
head -c $((4 * MiB)) /dev/urandom >"$vm/Q/disk.s2e.snap"
s2e vm push -f Q "$s" >/dev/null
want=$(chunks ids "$vm"/P/disk.s2e* "$vm"/Q/disk.s2e* | sort)
have=$(chunks stored "$s" | sort)
garbage=$(comm -13 <(echo "$want") <(echo "$have") | wc -l)
t_is "the store holds the 16 chunks only the old Q had" "$garbage" 16
t_is "and every chunk the VMs need" "$(comm -23 <(echo "$want") <(echo "$have"))" ""

out=$(s2e store gc --grace 3600 "$s")
t_ok "gc within the grace period removes nothing" grep -q '^removed 0 of' <<<"$out"
t_is "... every chunk is still there" "$(chunks stored "$s" | sort)" "$have"
# The grace period passes for all but one unreferenced chunk.
young=$(comm -13 <(echo "$want") <(echo "$have") | head -1)
find "$s/chunks" -name '*.cacnk' -exec touch -d '2 hours ago' {} +
touch "$s/chunks/${young:0:4}/$young.cacnk"
out=$(s2e store gc --grace 3600 "$s")
t_ok "gc after the grace period removes the $((garbage - 1)) old unreferenced chunks" \
	grep -q "^removed $((garbage - 1)) of $(wc -l <<<"$have") chunks" <<<"$out"
t_is "exactly those: what is left is what the VMs need, and the young one" \
	"$(chunks stored "$s" | sort)" "$(printf '%s\n' $want "$young" | sort)"
t_exit 0 "the store verifies" s2e store verify "$s"
t_ok "both VMs pull back equal" pulled_equal "$s" P Q
out=$(s2e store gc --grace 0 "$s")
t_ok "gc --grace 0 removes the young one" grep -q '^removed 1 of' <<<"$out"
t_is "and leaves exactly the chunks the VMs need" "$(chunks stored "$s" | sort)" "$want"
t_is "indexes of replaced versions are gone" \
	"$(find "$s/vm" -name '*.caibx' | wc -l)" 8

# ---- two pushes of one VM name at once ----
# Each push puts its index copies (vm/NAME/index/HEX.caibx) before its
# manifest and FILE.caibx after it, so the manifest that stays may be one
# push's and FILE.caibx the other's: the copies of the push whose manifest
# stays must not be pruned by the other.  Simulated step by step: a push of
# Q to V "running" (its copies put, its manifest not yet) while P is pushed
# to V again; then Q's manifest lands last.
s=$T_TMP/s4
s2e vm push P "$s" >/dev/null
s2e vm push P "$s/V" >/dev/null
s2e vm push Q "$s/W" >/dev/null
cp "$s/vm/W/index/"*.caibx "$s/vm/V/index/"
copies() { ls "$s/vm/$1/index"; }
named() { git config -f "$s/vm/$1/vm.config" --get-regexp '^file\..*\.digest$' | sed 's/.*sha256-1m://; s/$/.caibx/' | sort -u; }
p1=$(named V)
head -c $MiB /dev/urandom | dd of="$vm/P/disk.s2e" bs=1M seek=40 conv=notrunc status=none
s2e vm push -f P "$s/V" >/dev/null
t_is "push -f keeps the young index copies another push of that VM put" \
	"$(comm -23 <(copies W) <(copies V))" ""
t_is "... and removes those of the version it replaced" \
	"$(comm -12 <(comm -23 <(echo "$p1") <(named V)) <(copies V))" ""
sed 's/^\tname = W$/\tname = V/' "$s/vm/W/vm.config" >"$s/vm/V/.m" && mv "$s/vm/V/.m" "$s/vm/V/vm.config"
d=$T_TMP/pull-v
s2e --s2edir "$d" vm pull "$s/V" >/dev/null 2>&1
t_is "with the other push's manifest last, V pulls back as that VM" \
	"$(for f in "$vm"/Q/disk.s2e*; do cmp -s "$f" "$d/vm/V/${f##*/}" && echo same; done | sort -u)" same
# A day later, what no manifest names goes with the next push.
touch -d '2 days ago' "$s/vm/V/index/"*.caibx
head -c $MiB /dev/urandom | dd of="$vm/P/disk.s2e" bs=1M seek=41 conv=notrunc status=none
s2e vm push -f P "$s/V" >/dev/null
t_is "index copies a day old that no manifest names are removed" "$(copies V)" "$(named V)"
t_exit 0 "the store verifies" s2e store verify "$s"

t_done
