#!/usr/bin/env bash
# s2e vm run --batch --engine=slurm on a single-node Slurm cluster started by
# the test (munged, slurmctld and slurmd with their own key, config, state
# and sockets in a temporary directory; proctrack/pgid, task/none), with a
# stand-in QEMU: a 2x3 batch as one sbatch array, a failed job failing it.
. "$(dirname "$0")/lib.sh"

for c in munged slurmctld slurmd sbatch sinfo; do
	command -v $c >/dev/null || [ -x /usr/sbin/$c ] ||
		t_skip_all "$c is not installed (Debian slurm-wlm and munge)"
done
[ "$(id -u)" = 0 ] || t_skip_all "slurmd needs root"
PATH=$PATH:/usr/sbin

D=$T_TMP/slurm
mkdir -p "$D/state" "$D/spool"
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; t_cleanup' EXIT
# /var/tmp is world-writable; munged wants its files in a directory that is not.
chmod 755 "$T_TMP" "$D"
head -c 1024 /dev/urandom >"$D/munge.key"
chmod 400 "$D/munge.key"
munged -F -f --socket="$D/munge.sock" --key-file="$D/munge.key" --pid-file="$D/munged.pid" \
	--seed-file="$D/munged.seed" --log-file="$D/munged.log" >"$D/munged.out" 2>&1 &
pids="$pids $!"

H=$(hostname -s)
# Two free ports, found together so that they differ.
read -r PORT DPORT < <(python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
export SLURM_CONF=$D/slurm.conf
cat >"$SLURM_CONF" <<EOC
ClusterName=s2etest
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$DPORT
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
AuthInfo=socket=$D/munge.sock
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/pgid
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$H NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOC
for _ in $(seq 50); do [ -S "$D/munge.sock" ] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" >"$D/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$D/slurmd.out" 2>&1 &
pids="$pids $!"
idle=
for _ in $(seq 60); do
	[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && { idle=1; break; }
	sleep 0.5
done
[ -n "$idle" ] || t_skip_all "the Slurm node did not become idle in 30 s: $(tail -n 3 "$D/slurmctld.out" "$D/slurmd.out" | tr '\n' ' ')"

mkdir -p "$T_TMP/bin" "$S2EDIR/src/config"
printf '#!/bin/sh\nfor a; do last=$a; done\n[ "$last" != fail ]\n' >"$T_TMP/bin/fake-qemu"
chmod +x "$T_TMP/bin/fake-qemu"
export S2E_QEMU=$T_TMP/bin/fake-qemu
echo '-- config' >"$S2EDIR/src/config/default-config.lua"
s2e vm create Box 1M >/dev/null
cat >"$T_TMP/sweep.yaml" <<'EOF2'
vm: Box
variables:
  tool: [ls, cat]
  arg: [a, b, fail]
commands:
  - line: /bin/{tool} {arg}
    qemu-opts: ['{arg}']
EOF2

runs()
{
	git -C "$S2EDIR" log --format=%s | grep '^run .*: exit' | sed 's/ after .*//' | sort
}

t_ok "--dry-run shows the sbatch array script" \
	bash -c "s2e vm run --batch '$T_TMP/sweep.yaml' --engine=slurm --dry-run | grep -qx '#SBATCH --array=1-6'"
t_exit 1 "--engine=slurm --wait: a batch with failing jobs fails" \
	timeout 120 s2e vm run --batch "$T_TMP/sweep.yaml" --engine=slurm -j 2 --wait
t_is "six experiments, one per array task, the failed ones recorded as failed" "$(runs)" \
	"run Box sym sweep-0001-ls: exit 0
run Box sym sweep-0002-ls: exit 0
run Box sym sweep-0003-ls: exit 1
run Box sym sweep-0004-cat: exit 0
run Box sym sweep-0005-cat: exit 0
run Box sym sweep-0006-cat: exit 1"
t_is "each record names its Slurm array job and task" \
	"$(git -C "$S2EDIR" log --format=%B --grep=': exit' | grep '^Batch-Engine:' | sed 's/ [0-9]*_/ JOB_/' | sort)" \
	"$(for i in 1 2 3 4 5 6; do echo "Batch-Engine: slurm JOB_$i"; done)"
t_is "... and so does each record.conf, with the job index and host" \
	"$(for e in $(ls "$S2EDIR/experiments"); do
		f=$S2EDIR/experiments/$e/record.conf
		echo "$(git config -f "$f" batch.engine) $(git config -f "$f" batch.engineJobId | sed 's/^[0-9]*_/JOB_/')" \
			"$(git config -f "$f" batch.job) $(git config -f "$f" batch.hostname)"
	done | sort)" \
	"$(for i in 1 2 3 4 5 6; do echo "slurm JOB_$i $i $(hostname)"; done)"

# A node without the VM: each array task gets it from the batch's store.
s2e vm push Box "$T_TMP/store" >/dev/null
N=$T_TMP/node
mkdir -p "$N/src/config"
echo '-- config' >"$N/src/config/default-config.lua"
sed -e 's/b, fail/b, c/' -e 's/^vm: Box/vm: Box\nstore: store/' "$T_TMP/sweep.yaml" >"$T_TMP/stored.yaml"
t_ok "--engine=slurm on an S2EDIR without the VM, the batch naming a store" \
	timeout 120 s2e vm run --batch "$T_TMP/stored.yaml" --engine=slurm -j 3 --wait --s2edir "$N"
t_is "... the VM was pulled once" "$(git -C "$N" log --format=%s | grep -c '^vm pull ')" 1
t_is "... and the six tasks ran on it" "$(git -C "$N" log --format=%s | grep -c '^run .*: exit 0')" 6
t_ok "the script is kept in S2EDIR/batches/NAME" test -x "$S2EDIR/batches/sweep/sweep.sbatch"
t_is "each task wrote its Slurm output there" "$(ls "$S2EDIR/batches/sweep" | grep -c '^slurm-.*\.out$')" 6

t_done
