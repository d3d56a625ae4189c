#!/bin/bash
# The Makefile: a build without optimisation links (floor() needs -lm), and
# the version compiled in follows `git describe` (a new commit rebuilds
# version.o, an unchanged one rebuilds nothing).  Builds into scratch
# directories; the source tree is only read.
source "$(dirname "$0")/lib.sh"

for tool in make cc git pkg-config; do
	command -v $tool >/dev/null || t_skip_all "$tool is missing (tools/install-deps)"
done
# Not the jobserver of a surrounding `make check`.
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE O
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t \
	GIT_COMMITTER_EMAIL=t@example.org

o0=$T_TMP/o0
t_ok "CFLAGS=-O0 build of a binary using floor() links" \
	make -C "$T_ROOT" -j2 O="$o0" CFLAGS=-O0 "$o0/bin/s2e-qemu-cmdline"

# A copy of the sources in a git repository of its own.
src=$T_TMP/src
mkdir -p "$src"
cp -r "$T_ROOT/Makefile" "$T_ROOT/lib" "$T_ROOT/include" "$src/"
git -C "$src" init -q && git -C "$src" add -A && git -C "$src" commit -qm one
obj=build/default/lib/version.o

t_ok "version.o builds" make -C "$src" "$obj"
v1=$(git -C "$src" describe --always --dirty)
t_ok "version.o has the describe output" grep -q "$v1" "$src/$obj"

before=$(stat -c %Y.%y "$src/$obj")
sleep 1
make -C "$src" "$obj" >/dev/null 2>&1
t_is "an unchanged describe rebuilds nothing" "$(stat -c %Y.%y "$src/$obj")" "$before"

git -C "$src" commit -q --allow-empty -m two
v2=$(git -C "$src" describe --always --dirty)
t_ok "a new commit rebuilds version.o" make -C "$src" "$obj"
t_ok "version.o has the new describe output" grep -q "$v2" "$src/$obj"

t_done
