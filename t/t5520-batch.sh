#!/usr/bin/env bash
# s2e vm run --batch: a Chef-style 2x3 cross-product run locally (-j 2),
# through GNU parallel here and on two ssh "hosts" (two sshd on 127.0.0.1,
# each with its own S2EDIR), with a stand-in QEMU; failed jobs fail the
# batch; bad batch files change nothing.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T_TMP/bin"
cat >"$T_TMP/bin/fake-qemu" <<'EOS'
#!/bin/sh
# Fails when its last word is "fail"; notes how many run at once.
for a; do last=$a; done
sleep 0.3
[ "$last" != fail ]
EOS
chmod +x "$T_TMP/bin/fake-qemu"
export S2E_QEMU=$T_TMP/bin/fake-qemu

prepare() # S2EDIR: a VM and a config file
{
	mkdir -p "$1/src/config"
	echo '-- config' >"$1/src/config/default-config.lua"
	S2EDIR=$1 s2e vm create Box 1M >/dev/null
}
prepare "$S2EDIR"

cat >"$T_TMP/sweep.yaml" <<'EOF2'
# Chef's ctl run --batch-file format: variables and commands.
vm: Box
variables:
  tool: [ls, cat]
  arg: [a, b, fail]
commands:
  - line: /bin/{tool} {arg}
    qemu-opts: ['{arg}']
EOF2
sed 's/b, fail/b, c/' "$T_TMP/sweep.yaml" >"$T_TMP/good.yaml"

runs() # S2EDIR: the subjects of its runs' outcomes
{
	git -C "$1" log --format=%s | grep '^run .*: exit' | sed 's/ after .*//' | sort
}

# --- dry run
t_is "--dry-run: one s2e vm run per job, in Chef's order" \
	"$(s2e vm run --batch "$T_TMP/sweep.yaml" --dry-run | cut -d' ' -f4-6,13-)" \
	"Box sym --expname a
Box sym --expname b
Box sym --expname fail
Box sym --expname a
Box sym --expname b
Box sym --expname fail"
t_is "... named BATCH-NNNN-TOOL" \
	"$(s2e vm run --batch "$T_TMP/sweep.yaml" --dry-run | awk '{print $7}' | tr '\n' ' ')" \
	"sweep-0001-ls sweep-0002-ls sweep-0003-ls sweep-0004-cat sweep-0005-cat sweep-0006-cat "
t_is "... with their own ports" \
	"$(s2e vm run --batch "$T_TMP/sweep.yaml" --dry-run | awk '{print $9, $11}' | tail -1)" "4450 6"
t_is "... records nothing" "$(git -C "$S2EDIR" rev-list --count HEAD)" 1

# --- local, two at a time
t_exit 1 "a batch with failing jobs fails" s2e vm run --batch "$T_TMP/sweep.yaml" -j 2
t_is "six experiments, the failed ones recorded as failed" "$(runs "$S2EDIR")" \
	"run Box sym sweep-0001-ls: exit 0
run Box sym sweep-0002-ls: exit 0
run Box sym sweep-0003-ls: exit 1
run Box sym sweep-0004-cat: exit 0
run Box sym sweep-0005-cat: exit 0
run Box sym sweep-0006-cat: exit 1"
t_ok "each has its expdata directory" test -d "$S2EDIR/expdata/sweep-0006-cat"
outcome() # S2EDIR EXPNAME: the body of the commit of its outcome
{
	git -C "$1" log --format=%B --grep="^run .* $2: exit" -n 1
}
t_is "each record names its batch, job, engine and file" \
	"$(outcome "$S2EDIR" sweep-0005-cat | grep '^Batch')" \
	"Batch: sweep
Batch-Job: 5/6
Batch-Engine: local
Batch-File: $T_TMP/sweep.yaml"
t_is "... its guest command and its host" \
	"$(outcome "$S2EDIR" sweep-0005-cat | grep -E '^(Guest|Host):' | cut -d' ' -f1-3)" \
	"Guest: /bin/cat b
Host: $(git -C "$S2EDIR" config s2e.hostId) $(hostname)"
rec() # S2EDIR EXPNAME KEY: a field of its record.conf
{
	git config -f "$1/experiments/$2/record.conf" "$3"
}
t_is "record.conf names the batch, the job, the engine and the host" \
	"$(for k in name job jobs engine hostId hostname file guest; do
		rec "$S2EDIR" sweep-0005-cat batch.$k; done)" \
	"sweep
5
6
local
$(git -C "$S2EDIR" config s2e.hostId)
$(hostname)
$T_TMP/sweep.yaml
/bin/cat b"
t_exit 1 "... no engine job id for the local engine" rec "$S2EDIR" sweep-0005-cat batch.engineJobId
t_is "s2e log show shows them" \
	"$(s2e log show sweep-0005-cat | grep '^Batch')" \
	"Batch: sweep, job 5 of 6
Batch engine: local
Batch host: $(git -C "$S2EDIR" config s2e.hostId) $(hostname)
Batch file: $T_TMP/sweep.yaml"
t_exit 1 "a run outside a batch has no [batch]" bash -c "
	s2e vm run Box sym --expname single >/dev/null 2>&1
	git config -f '$S2EDIR/experiments/single/record.conf' batch.name"
t_exit 1 "running the batch again refuses the existing experiments" \
	s2e vm run --batch "$T_TMP/sweep.yaml" --job 1
t_exit 1 "--job N on an S2EDIR without the VM fails" \
	s2e vm run --batch "$T_TMP/good.yaml" --job 3 --s2edir "$T_TMP/one"
t_ok "... and makes no expdata" test ! -e "$T_TMP/one/expdata/good-0003-ls"
prepare "$T_TMP/one"
t_ok "--job 3" s2e vm run --batch "$T_TMP/good.yaml" --job 3 --s2edir "$T_TMP/one"
t_is "... only job 3" "$(runs "$T_TMP/one")" "run Box sym good-0003-ls: exit 0"

# --- GNU parallel, here
if command -v parallel >/dev/null; then
	prepare "$T_TMP/par"
	t_ok "--engine=parallel" s2e vm run --batch "$T_TMP/good.yaml" --engine=parallel -j 3 \
		--joblog "$T_TMP/joblog" --s2edir "$T_TMP/par"
	t_is "... six experiments" "$(runs "$T_TMP/par" | wc -l)" 6
	t_is "... parallel's job log names them" "$(tail -n +2 "$T_TMP/joblog" | wc -l)" 6
	t_is "... each record names parallel's job number" \
		"$(git -C "$T_TMP/par" log --format=%B --grep=': exit' | grep '^Batch-Engine:' | sort)" \
		"$(for i in 1 2 3 4 5 6; do echo "Batch-Engine: parallel $i"; done)"
	t_is "... and so does record.conf" \
		"$(for e in $(ls "$T_TMP/par/experiments"); do
			echo "$(rec "$T_TMP/par" "$e" batch.engine) $(rec "$T_TMP/par" "$e" batch.engineJobId)"
		done | sort)" \
		"$(for i in 1 2 3 4 5 6; do echo "parallel $i"; done)"
	prepare "$T_TMP/parfail"
	t_exit 1 "--engine=parallel with failing jobs fails" \
		s2e vm run --batch "$T_TMP/sweep.yaml" --engine=parallel --s2edir "$T_TMP/parfail"
	t_is "... all six recorded" "$(runs "$T_TMP/parfail" | grep -c ': exit 1')" 2
else
	t_skip "--engine=parallel" "GNU parallel is not installed"
fi

# --- GNU parallel on two ssh hosts, each its own S2EDIR
if command -v parallel >/dev/null && [ -x /usr/sbin/sshd ]; then
	. "$T_DIR/lib-sshd.sh"
	for h in alpha beta; do
		prepare "$T_TMP/$h"
		t_sshd $h "PATH=$S2E_BIN:/usr/bin:/bin" "S2EDIR=$T_TMP/$h" "S2E_QEMU=$S2E_QEMU"
	done
	export PARALLEL_SSH="ssh -F $T_SSH_CONFIG"
	t_ok "--engine=parallel --sshlogin alpha --sshlogin beta" \
		s2e vm run --batch "$T_TMP/good.yaml" --engine=parallel --sshlogin 1/alpha --sshlogin 1/beta
	t_is "... six experiments over the two hosts" \
		"$(cat <(runs "$T_TMP/alpha") <(runs "$T_TMP/beta") | sort)" \
		"run Box sym good-0001-ls: exit 0
run Box sym good-0002-ls: exit 0
run Box sym good-0003-ls: exit 0
run Box sym good-0004-cat: exit 0
run Box sym good-0005-cat: exit 0
run Box sym good-0006-cat: exit 0"
	t_ok "... each recorded under its own host id" bash -c "
		for h in alpha beta; do
			id=\$(git -C '$T_TMP'/\$h config s2e.hostId)
			git -C '$T_TMP'/\$h log --format=%B --grep=': exit' | grep '^Host: ' |
				grep -qv \"^Host: \$id \" && exit 1
		done; exit 0"
	t_ok "... both hosts ran some" test "$(runs "$T_TMP/alpha" | wc -l)" -gt 0 -a "$(runs "$T_TMP/beta" | wc -l)" -gt 0
else
	t_skip "--sshlogin" "GNU parallel or sshd is not installed"
fi

# --- bad input changes nothing
before=$(git -C "$S2EDIR" rev-parse HEAD)
printf 'vm: Box\ncommands: [{line: x, cofnig: y}]\n' >"$T_TMP/unknown.yaml"
printf 'vm: Box\nvariables: {n: []}\ncommands: [{line: "{n}"}]\n' >"$T_TMP/empty.yaml"
printf 'vm: [Box\n' >"$T_TMP/broken.yaml"
t_exit 1 "an unknown key" s2e vm run --batch "$T_TMP/unknown.yaml"
t_ok "... named with its line" bash -c "s2e vm run --batch '$T_TMP/unknown.yaml' 2>&1 | grep -q \"unknown.yaml:2: 'cofnig': unknown key in a command\""
t_exit 1 "an empty cross-product" s2e vm run --batch "$T_TMP/empty.yaml"
t_ok "... said so" bash -c "s2e vm run --batch '$T_TMP/empty.yaml' 2>&1 | grep -q 'empty cross-product'"
t_exit 1 "malformed YAML" s2e vm run --batch "$T_TMP/broken.yaml"
t_ok "... named with its line" bash -c "s2e vm run --batch '$T_TMP/broken.yaml' 2>&1 | grep -q 'broken.yaml:[0-9]'"
t_exit 1 "a missing batch file" s2e vm run --batch "$T_TMP/nothing.yaml"
t_exit 1 "a job number beyond the batch" s2e vm run --batch "$T_TMP/good.yaml" --job 7
t_exit 2 "an unknown engine" s2e vm run --batch "$T_TMP/good.yaml" --engine=grid
t_exit 2 "--sshlogin without parallel" s2e vm run --batch "$T_TMP/good.yaml" --sshlogin x
t_exit 2 "job 0" s2e vm run --batch "$T_TMP/good.yaml" --job 0
t_is "nothing was recorded" "$(git -C "$S2EDIR" rev-parse HEAD)" "$before"
t_is "... nor made" "$(ls "$S2EDIR/expdata" "$S2EDIR/experiments" | grep -c -e unknown -e empty -e broken -e good-0007)" 0
t_ok "s2e vm run without --batch still runs one VM" bash -c "s2e vm run --dry-run Box sym | grep -q '^\[DEBUG\] Command line:'"

t_done
