#!/usr/bin/env bash
# s2e vm run and signals at any moment of a run: a SIGTERM (or kill -9) sent
# to s2e while it checks, records, starts QEMU or waits for it never leaves a
# QEMU running unsupervised.  The stand-in QEMU hangs until it is signalled.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T_TMP/bin" "$S2EDIR/src/config"
FAKE=$T_TMP/bin/fake-qemu-$$
cat >"$FAKE" <<'EOS'
#!/bin/sh
trap 'exit 7' TERM INT
while :; do sleep 0.05; done
EOS
chmod +x "$FAKE"
echo '-- config' >"$S2EDIR/src/config/default-config.lua"
s2e vm create Box 1M >/dev/null

# The stand-in QEMUs of this script still alive.
alive() { pgrep -f "^/bin/sh $FAKE( |$)" || true; }

# (Not SIGINT: a background job of a script starts with SIGINT ignored, and
# so does the QEMU it runs.)  Each run has a timeout as a safety net.
# TRIALS runs; each gets SIGNAL after a delay of 0 to MAX_MS ms (a fixed
# sequence), then, one second later, no stand-in may be left.
trials() # DESC SIGNAL TRIALS MAX_MS
{
	local desc=$1 sig=$2 n=$3 max=$4 pid left="" i ms
	RANDOM=42
	for i in $(seq "$n"); do
		s2e vm run -t 5 --kill-after 1 --qemu "$FAKE" Box sym --expname "$sig-$i" >/dev/null 2>&1 &
		pid=$!
		ms=$((RANDOM % max))
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -"$sig" "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		sleep 1
		if [ -n "$(alive)" ]; then
			left="$left $i"
			kill -KILL $(alive) 2>/dev/null
		fi
	done
	if [ -z "$left" ]; then
		t_pass "$desc"
	else
		t_fail "$desc"
		t_diag "a stand-in QEMU outlived s2e in trials:$left"
	fi
}

trials "SIGTERM at a random moment of the start: no QEMU is left running" TERM 8 1000
trials "SIGHUP likewise" HUP 4 1000
trials "kill -9 likewise: QEMU dies with s2e" KILL 8 1000

# Once QEMU runs, SIGTERM reaches it and s2e records the outcome.
s2e vm run -t 20 --qemu "$FAKE" Box sym --expname late >"$T_TMP/late.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -n "$(alive)" ] && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"
t_is "SIGTERM while QEMU runs: QEMU's status comes back" "$?" 7
t_is "... and the outcome is recorded" \
	"$(git config -f "$S2EDIR/experiments/late/record.conf" experiment.state) $(git config -f "$S2EDIR/experiments/late/record.conf" experiment.exitStatus)" \
	"finished 7"
# kill -9 of s2e once QEMU runs: QEMU goes too.
s2e vm run -t 20 --qemu "$FAKE" Box sym --expname orphan >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -n "$(alive)" ] && break; sleep 0.05; done
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
sleep 1
t_is "kill -9 of s2e while QEMU runs: no QEMU is left" "$(alive)" ""
[ -z "$(alive)" ] || kill -KILL $(alive)
t_ok "git fsck --strict" git -C "$S2EDIR" fsck --strict --no-progress
t_done
