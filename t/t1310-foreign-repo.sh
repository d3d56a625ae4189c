#!/usr/bin/env bash
# An S2EDIR that is already the user's own git repository (trust issue item
# 15): s2e refuses it before writing anything, so the user's staged changes,
# index and ignore rules stay as they were; its own repositories, old and
# new, go on working.
. "$(dirname "$0")/lib.sh"

U=$T_TMP/user
mkdir -p "$U"
git -C "$U" init -q
echo notes >"$U/notes.txt"
git -C "$U" add notes.txt
git -C "$U" -c user.name=u -c user.email=u@x commit -qm "user commit"
echo staged >"$U/staged.txt"
git -C "$U" add staged.txt
before=$(cd "$U" && git status --porcelain --ignored && ls -A && git rev-parse HEAD)

out=$(s2e --s2edir "$U" vm create A 1M 2>&1)
t_is "create in the user's repository is refused" "$?" 1
t_ok "... saying why" grep -q "is a git repository that s2e did not create" <<<"$out"
t_is "... and nothing changed there: no commit, no .gitignore, the index kept" \
	"$(cd "$U" && git status --porcelain --ignored && ls -A && git rev-parse HEAD)" "$before"
t_exit 1 "import into it is refused too" s2e --s2edir "$U" vm import --raw /dev/null B
t_is "... still nothing changed" \
	"$(cd "$U" && git status --porcelain --ignored && ls -A && git rev-parse HEAD)" "$before"

s2e vm create Mine 1M >/dev/null
t_is "s2e's own repository is marked" "$(git -C "$S2EDIR" config s2e.history)" true
git -C "$S2EDIR" config --unset s2e.history
t_ok "one made before the mark (known by its .gitignore) still works" s2e vm create Old 1M
t_is "... and is marked now" "$(git -C "$S2EDIR" config s2e.history)" true
t_done
