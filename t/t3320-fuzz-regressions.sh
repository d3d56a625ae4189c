#!/usr/bin/env bash
# Every input in the fuzzing corpora (t/fuzz/unpack/: seeds and the crashes
# fuzzing found) goes through s2e-unpack in all three modes: accepted or
# refused (exit 0 or 1), never a crash; under `make SANITIZE=1 check` the
# sanitizers check each run.
. "$(dirname "$0")/lib.sh"

for f in "$T_ROOT"/t/fuzz/unpack/*; do
	name=${f##*/}
	mkdir "$T_TMP/x-$name"
	for mode in --list --check -C; do
		arg=; [ "$mode" = -C ] && arg=$T_TMP/x-$name
		s2e-unpack $mode $arg "$f" >/dev/null 2>"$T_TMP/err"
		rc=$?
		t_ok "$name $mode: accepted or refused (exit $rc)" test "$rc" -le 1 ||
			t_diag "$(cat "$T_TMP/err")"
	done
done
t_done
