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
 * The index cache rides on the same entries: next to DEV-INO, the casync
 * index of the file (SPEC §8.1, fixed 1 MiB chunks) may be kept as
 * .s2e/digests/DEV-INO.caibx, written by push and pull, which have it at
 * hand, and by s2e_digest_cached(), which computes the digest by way of the
 * index (s2e_chunk_fd() without a store, the same work).  It is used only while DEV-INO matches the file under the rule above,
 * and only when the index itself reads back (hardened reader) to the size and
 * the digest that entry gives: the sha256-1m digest is the SHA-256 of the
 * index's chunk IDs, so an index left over from an older version of the file
 * can never pass for the current one.  Push uses it to skip reading an
 * unchanged file; pull uses the indexes of every local VM to find chunks it
 * can copy instead of fetching.
 *
 * A missing, unreadable or malformed entry is a miss, never an error: the
 * cache only ever saves work. */
#ifndef S2E_DIGEST_CACHE_H
#define S2E_DIGEST_CACHE_H

#include <sys/stat.h>
#include <time.h>

#include "s2e/digest.h"

struct s2e_progress;

/* The digest of `path`: from the cache when its entry matches, else computed
 * on `threads` threads (0: all cores; progress may be NULL) and stored.
 * *hashed (may be NULL) says whether the file was read. */
int s2e_digest_cached(const char *root, const char *path, unsigned threads,
		      struct s2e_progress *progress, char out[S2E_DIGEST_LEN], int *hashed);

/* When a file's identity was taken, and when reading it started. */
struct s2e_cache_stamp {
	struct stat st;
	struct timespec started;
};

/* The cached index of the open file fd: an fd on it (read from offset 0)
 * with its digest in `digest`, or -1 on a miss (no error).  On a miss with
 * `prepare`, the stamp is ready for s2e_index_cache_store(): the file's
 * last change is a tick behind (waited out if need be) and `started` is
 * now, so the caller reads the file right after. */
int s2e_index_cached(const char *root, int fd, int prepare, struct s2e_cache_stamp *stamp,
		     char digest[S2E_DIGEST_LEN]);
/* Keep index_fd (the whole index, from offset 0) as the cached index of fd,
 * with its digest, if the file has not changed since the stamp.  Best
 * effort: nothing is reported. */
void s2e_index_cache_store(const char *root, int fd, const struct s2e_cache_stamp *stamp,
			   int index_fd, const char digest[S2E_DIGEST_LEN]);

/* The tick: entries whose hashing started less than this long after the
 * file's last change are not trusted.  Local file systems stamp times from
 * the kernel's coarse clock (one jiffy, at most 10 ms); 100 ms leaves room. */
#define S2E_DIGEST_CACHE_TICK_NS 100000000LL

#endif
