/* Reading the history repository (SPEC §5) for `s2e log`: a libgit2 revwalk
 * from HEAD, newest first, each commit with the VMs and experiments it
 * touched (from its diff against its parent) and, for experiments, the record
 * as that commit holds it. */
#ifndef S2E_LOG_H
#define S2E_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "s2e/experiment.h"
#include "s2e/strv.h"

struct s2e_log_entry {
	char oid[41];
	const char *author, *email;
	int64_t time;  /* seconds since the epoch */
	int tz_offset; /* minutes east of UTC */
	char *subject; /* first line */
	char *body;    /* the rest, without the blank line; may be "" */
	struct s2e_strv vms; /* VMs whose vm/NAME/ the commit changed (owned) */
	struct s2e_experiment *experiments; /* records the commit changed, as of it */
	size_t nexperiments;
};

struct s2e_log_filter {
	const char *vm;	 /* only commits about this VM (its metadata or its experiments) */
	int experiments; /* only commits that record experiments */
	size_t max;	 /* at most this many entries; 0: all */
	int all;	 /* every host's history: HEAD and the pulled hosts' (s2e/lab.h),
			  * newest first, ties by commit id */
};

/* Call fn for each matching commit, newest first; fn returning non-zero stops
 * the walk and is returned.  An S2EDIR with no history yet has no entries (1
 * is returned without calling fn). */
typedef int (*s2e_log_fn)(const struct s2e_log_entry *entry, void *ctx);
int s2e_log_walk(const char *root, const struct s2e_log_filter *filter, s2e_log_fn fn, void *ctx);

/* The same, with filter->vm followed back through `vm rename OLD NAME`
 * commits (as `git log --follow`): older commits about OLD match too; a VM
 * created later under the old name does not. */
int s2e_log_walk_follow(const char *root, const struct s2e_log_filter *filter, s2e_log_fn fn,
			void *ctx);

/* "2026-11-28 10:00:00 +0100": the commit's time in its own zone. */
void s2e_log_date(const struct s2e_log_entry *entry, char *buf, size_t len);

#endif
