/* The digest cache (SPEC §9): digests the porcelain computes are kept under
 * S2EDIR/.s2e/digests/ (never tracked), one small file per inode, and reused
 * while the file's device, inode, size, mtime and ctime (nanoseconds) all
 * match.  An entry is trusted only when the hashing started at least one
 * timestamp tick after the file's last change (git's "racy index" rule): a
 * write in the same tick as the hashing could leave the times as they were
 * with other content, so such an entry is hashed again next time.  A file
 * changed less than a tick before it is to be hashed is therefore hashed
 * only once the tick is over (a wait of at most one tick), so that a disk
 * hashed right after QEMU's last write is still a hit next time.
 *
 *   .s2e/digests/DEV-INO:
 *       s2e-digest-cache 1 SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS STARTED_S STARTED_NS DIGEST
 *
 * A missing, unreadable or malformed entry is a miss, never an error: the
 * cache only ever saves work. */
#ifndef S2E_DIGEST_CACHE_H
#define S2E_DIGEST_CACHE_H

#include "s2e/digest.h"

struct s2e_progress;

/* The digest of `path`: from the cache when its entry matches, else computed
 * on `threads` threads (0: all cores; progress may be NULL) and stored.
 * *hashed (may be NULL) says whether the file was read. */
int s2e_digest_cached(const char *root, const char *path, unsigned threads,
		      struct s2e_progress *progress, char out[S2E_DIGEST_LEN], int *hashed);

/* The tick: entries whose hashing started less than this long after the
 * file's last change are not trusted.  Local file systems stamp times from
 * the kernel's coarse clock (one jiffy, at most 10 ms); 100 ms leaves room. */
#define S2E_DIGEST_CACHE_TICK_NS 100000000LL

#endif
