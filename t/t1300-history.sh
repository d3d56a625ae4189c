#!/usr/bin/env bash
# The history repository, read with the real git CLI.
. "$(dirname "$0")/lib.sh"

git config --global user.name "Ada Tester"
git config --global user.email "ada@example.com"

s2e vm create MyBox 7680M >/dev/null
s2e vm create Other 1G >/dev/null
vm=$S2EDIR/vm/MyBox
echo x >"$vm/disk.s2e.ready"
echo y >"$vm/disk.s2e.asdfölkj"
s2e vm delete MyBox:asdfölkj >/dev/null
s2e vm create -f Other 2G >/dev/null
s2e vm delete -y MyBox >/dev/null

git() { command git -C "$S2EDIR" "$@"; }

t_is "one commit per operation, in the porcelain's words" \
	"$(git -c core.quotepath=off log --format=%s)" "vm delete MyBox
vm create -f Other 2G
vm delete MyBox:asdfölkj
vm create Other 1G
vm create MyBox 7680M"
t_ok "git fsck --strict is clean" git fsck --strict --no-progress
t_is "git status --porcelain is empty" "$(git status --porcelain --ignored=no)" ""
t_is "the author comes from the user's git configuration" \
	"$(git log -1 --format='%an <%ae>')" "Ada Tester <ada@example.com>"
t_is "only metadata is tracked" "$(git ls-files)" ".gitignore
vm/Other/vm.config"
t_is "no image ever entered git" "$(git log --all --name-only --format= | grep -c disk.s2e)" 0
t_ok "the body says what changed" bash -c \
	"command git -C '$S2EDIR' log --format=%B --grep='vm create MyBox' | grep -q 'Size: 8053063680 bytes (7680MiB)'"
t_is "the life of one VM: git log -- vm/MyBox" \
	"$(git -c core.quotepath=off log --format=%s -- vm/MyBox)" "vm delete MyBox
vm delete MyBox:asdfölkj
vm create MyBox 7680M"
t_is "the metadata reads with git config -f" \
	"$(command git config -f "$S2EDIR/vm/Other/vm.config" --get vm.sizeLabel)" 2GiB

# A snapshot recorded in vm.config leaves it on delete.
printf '[vm]\n\tsize = 1073741824\n[snapshot "rec"]\n\ttaken = 2026-01-01T00:00:00Z\n' \
	>"$S2EDIR/vm/Other/vm.config"
echo z >"$S2EDIR/vm/Other/disk.s2e.rec"
git add vm/Other/vm.config && git -c user.name=x -c user.email=x@y commit -qm "record rec by hand"
s2e vm delete Other:rec >/dev/null
t_is "deleting a recorded snapshot removes it from vm.config" \
	"$(command git config -f "$S2EDIR/vm/Other/vm.config" --get-regexp '^snapshot\.' | wc -l)" 0
t_is "... in the commit" "$(git show --format= HEAD -- vm/Other/vm.config | grep -c '^-\[snapshot "rec"\]')" 1

# Without any git identity, commits still get an author.
rm -f "$HOME/.gitconfig"
t_ok "a create works with no git identity configured" \
	env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL s2e vm create Anon 1M
t_ok "... and is recorded with some author" test -n "$(git log -1 --format=%ae)"

# An S2EDIR inside another git repository still gets its own history.
outer=$T_TMP/outer
mkdir -p "$outer" && command git -C "$outer" init -q
S2EDIR=$outer/s2e s2e vm create Inner 1M >/dev/null
t_is "S2EDIR nested in a repository is its own repository" \
	"$(command git -C "$outer/s2e" rev-parse --show-toplevel)" "$outer/s2e"
t_is "... and the outer repository has no commit" \
	"$(command git -C "$outer" rev-list --all | wc -l)" 0

t_done
