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
 * longer exists, file or directory, is removed from the index) with `subject`
 * and `body`.  The commit id (hex) is written to oid_hex if not NULL. */
int s2e_history_commit(const char *root, const char *const *paths, size_t npaths,
		       const char *subject, const char *body, char oid_hex[41]);

/* Hex id of HEAD, or of the last commit touching `path` when path != NULL.
 * Returns 1 (and "" in oid_hex) when there is none. */
int s2e_history_last(const char *root, const char *path, char oid_hex[41]);

#endif
