/* The history repository (SPEC §5): S2EDIR is a git repository written with
 * libgit2.  Only metadata is ever added (the .gitignore it writes excludes
 * everything else), one commit per porcelain operation. */
#ifndef S2E_HISTORY_H
#define S2E_HISTORY_H

#include <stddef.h>

/* Initialise libgit2 once for the process (shut down at exit); every
 * module that uses libgit2 calls this first. */
void s2e_git_init(void);

/* Make sure S2EDIR is a git repository with our .gitignore; creating it the
 * first time is the initial commit. */
int s2e_history_init(const char *root);

/* Commit the current state of `paths` (relative to S2EDIR; a path that no
 * longer exists, file or directory, is removed from the index) on top of
 * HEAD, with `subject` and `body`.  The commit id (hex) is written to oid_hex
 * if not NULL.  Call with the S2EDIR lock held.
 *
 * Git's lock files are taken as git takes them (index.lock, the branch's
 * .lock), made first under S2EDIR/.s2e/git-locks/ and hard-linked into
 * place, so that those a killed s2e command left are provably ours and are
 * removed by the next commit.  A lock file of anyone else is never removed:
 * the commit fails with S2E_ELOCKED. */
int s2e_history_commit(const char *root, const char *const *paths, size_t npaths,
		       const char *subject, const char *body, char oid_hex[41]);

/* Before a change: remove the git locks a killed s2e command left, and fail
 * with S2E_ELOCKED if another process holds one (see s2e_history_commit),
 * so that a command can refuse before it has done any work. */
int s2e_history_check_locks(const char *root);

/* 0 when git accepts `path` (relative to S2EDIR) in its index; otherwise
 * S2E_EINVALID with libgit2's reason (e.g. "vm/GIT~1/vm.config": NTFS short
 * name of .git).  Reads and writes nothing. */
int s2e_history_path_check(const char *path);

/* Hex id of HEAD, or of the last commit touching `path` when path != NULL.
 * Returns 1 (and "" in oid_hex) when there is none; a negative code when
 * the history cannot be read. */
int s2e_history_last(const char *root, const char *path, char oid_hex[41]);

#endif
