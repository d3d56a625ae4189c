#!/bin/bash
# kill -9 of `s2e vm push` and `s2e vm pull` at ten random moments each (SPEC
# §7, §8.1, issue 9 acceptance 4).  After a killed push the store's vm/A is
# the old version or the new one, never half: `s2e store verify` passes and a
# pull of it gives the files of one version, byte for byte; rerunning the push
# finishes and uploads exactly the chunks still missing (counted here from the
# files and the store's chunks/, not by s2e).  After a killed pull there is
# no half VM (none, or the old one, whole), and the next command removes the
# staging.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing"
RANDOM=5310
TRIALS=${S2E_CRASH_TRIALS:-10}
MiB=1048576
chunks() { python3 "$T_DIR/store-chunks.py" "$@"; }

a=$S2EDIR
s=$T_TMP/store
W=$T_TMP/w
mkdir -p "$W"

# A sparse 1 GiB disk with 112 MiB of random data and an 8 MiB snapshot:
# long enough for kills to land in the middle of the chunks, between the
# files, and around the indexes and the manifest.
s2e vm create A 1G >/dev/null || t_skip_all "s2e vm create failed"
head -c $((112 * MiB)) /dev/urandom |
	dd of="$a/vm/A/disk.s2e" bs=1M seek=64 conv=notrunc status=none
head -c $((8 * MiB)) /dev/urandom >"$a/vm/A/disk.s2e.snap"
s2e vm status --record >/dev/null

# save VERSION: keep a copy of the local VM's files as that version.
save()
{
	cp --sparse=always "$a/vm/A/disk.s2e" "$W/$1.disk"
	cp "$a/vm/A/disk.s2e.snap" "$W/$1.snap"
}
# change: a new version of the VM: 32 MiB of the disk and the snapshot rewritten.
change()
{
	head -c $((32 * MiB)) /dev/urandom |
		dd of="$a/vm/A/disk.s2e" bs=1M seek=$((64 + RANDOM % 80)) conv=notrunc status=none
	head -c $((8 * MiB)) /dev/urandom >"$a/vm/A/disk.s2e.snap"
}
digest() { s2e-digest "$1" | cut -d' ' -f1; }
ms_sleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

start=$(date +%s%N)
s2e vm push A "$s" >/dev/null
took_ms=$((($(date +%s%N) - start) / 1000000))
t_pass "an uninterrupted push of 120 MiB takes $took_ms ms"
save old

# which VERSION-DIGEST...: the version (old/new) whose disk digest the
# store's manifest names, or "neither".
which()
{
	local d
	d=$(git config -f "$s/vm/A/vm.config" file.disk.s2e.digest 2>/dev/null)
	case "$d" in
	"$(digest "$W/old.disk")") echo old ;;
	"$(digest "$W/new.disk")") echo new ;;
	*) echo "neither ($d)" ;;
	esac
}

half=0
extra=0
saw_new=0
for i in $(seq 1 "$TRIALS"); do
	change
	save new
	ms=$((RANDOM % (took_ms + 1)))
	s2e vm push -f A "$s" >/dev/null 2>&1 &
	pid=$!
	ms_sleep "$ms"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	v=$(which)
	bad=
	case "$v" in
	old | new) ;;
	*) bad="$bad [manifest: $v]" ;;
	esac
	[ "$v" = new ] && saw_new=$((saw_new + 1))
	out=$(s2e store verify "$s" A 2>&1) || bad="$bad [verify: $out]"
	p=$T_TMP/p$i
	if out=$(s2e --s2edir "$p" vm pull "$s/A" 2>&1); then
		cmp -s "$p/vm/A/disk.s2e" "$W/${v%% *}.disk" || bad="$bad [pulled disk.s2e is not the $v one]"
		cmp -s "$p/vm/A/disk.s2e.snap" "$W/${v%% *}.snap" || bad="$bad [pulled snapshot is not the $v one]"
	else
		bad="$bad [pull: $out]"
	fi
	rm -rf "$p"
	# The rerun uploads exactly what the store still lacks.
	missing=$(chunks missing "$s" "$W/new.disk" "$W/new.snap")
	out=$(s2e vm push -f A "$s" 2>&1) || bad="$bad [rerun: $out]"
	pushed=$(sed -n 's/^pushed \([0-9]*\) of .*/\1/p' <<<"$out")
	[ "$pushed" = "$missing" ] || extra=$((extra + 1))
	[ "$pushed" = "$missing" ] || t_diag "kill $i: the rerun pushed ${pushed:-?} chunks, $missing were missing"
	[ "$(which)" = new ] || bad="$bad [after the rerun the store has $(which)]"
	if [ -n "$bad" ]; then
		half=$((half + 1))
		t_diag "push killed after $ms ms (store had: $v):$bad"
	fi
	mv "$W/new.disk" "$W/old.disk"
	mv "$W/new.snap" "$W/old.snap"
done
t_is "a killed push leaves the old or the new VM, whole ($TRIALS kills, $saw_new after the manifest)" "$half" 0
t_is "the rerun uploads exactly the chunks missing" "$extra" 0
t_exit 0 "the store verifies at the end" s2e store verify "$s"
t_ok "and the history is sound" git -C "$a" fsck --strict --no-progress

# ---- pull ----
b=$T_TMP/b
s2e --s2edir "$b" vm pull "$s/A" >/dev/null
t_ok "pull of the pushed VM" cmp "$b/vm/A/disk.s2e" "$W/old.disk"
start=$(date +%s%N)
s2e --s2edir "$b" vm pull "$s/A" Timed >/dev/null
took_ms=$((($(date +%s%N) - start) / 1000000))
t_pass "an uninterrupted pull takes $took_ms ms"
s2e --s2edir "$b" vm delete -y Timed >/dev/null

staging() { ls -A "$b/vm" | grep -c '^\.s2e-'; }
half=0
left=0
staged=0
for i in $(seq 1 "$TRIALS"); do
	# Odd trials replace A (pull -f), even ones pull a new VM N$i.
	change
	save new
	s2e vm push -f A "$s" >/dev/null
	if [ $((i % 2)) = 1 ]; then local_name=A force=-f; else local_name=N$i force=; fi
	if [ -n "$force" ]; then
		cp --sparse=always "$b/vm/A/disk.s2e" "$W/prev.disk"
		cp "$b/vm/A/disk.s2e.snap" "$W/prev.snap"
	fi
	ms=$((RANDOM % (took_ms + 1)))
	s2e --s2edir "$b" vm pull $force "$s/A" "$local_name" >/dev/null 2>&1 &
	pid=$!
	ms_sleep "$ms"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bad=
	listed=$(s2e --s2edir "$b" vm list 2>&1 | grep -c "^$local_name\$")
	d=$b/vm/$local_name
	if [ "$listed" = 1 ]; then
		if cmp -s "$d/disk.s2e" "$W/new.disk"; then
			cmp -s "$d/disk.s2e.snap" "$W/new.snap" || bad="$bad [new disk, other snapshot]"
		elif [ -n "$force" ] && cmp -s "$d/disk.s2e" "$W/prev.disk"; then
			cmp -s "$d/disk.s2e.snap" "$W/prev.snap" || bad="$bad [old disk, other snapshot]"
		else
			bad="$bad [$local_name is listed but is neither version]"
		fi
	elif [ -n "$force" ] || [ -e "$d" ]; then
		bad="$bad [$local_name: listed $listed times, $(ls -A "$d" 2>&1 | tr '\n' ' ')]"
	fi
	[ "$(staging)" = 0 ] || staged=$((staged + 1))
	# The next command that takes the lock removes the staging.
	s2e --s2edir "$b" vm pull -f "$s/A" "$local_name" >/dev/null 2>&1 || bad="$bad [the next pull failed]"
	[ "$(staging)" = 0 ] || { bad="$bad [staging left]"; left=$((left + 1)); }
	cmp -s "$d/disk.s2e" "$W/new.disk" || bad="$bad [the next pull is not the new version]"
	if [ -n "$bad" ]; then
		half=$((half + 1))
		t_diag "pull killed after $ms ms:$bad"
	fi
done
t_is "a killed pull leaves no half VM ($TRIALS kills, $staged left a staging)" "$half" 0
t_is "the next command removes the staging" "$left" 0
t_ok "the history is sound" git -C "$b" fsck --strict --no-progress
t_is "no tmp file is left in the VMs" "$(find "$b/vm" -name '.*tmp*' | wc -l)" 0

t_done
