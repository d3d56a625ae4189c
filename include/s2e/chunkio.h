/* Files to chunks and back (SPEC §8.1): the work under s2e-chunk,
 * s2e-unchunk, `s2e vm push` and `s2e vm pull`.
 *
 * s2e_chunk_fd() cuts a file into 1 MiB chunks, hashes them on `jobs` worker
 * threads, writes the casync index, and (with a store) compresses and puts
 * every chunk the store lacks.  A chunk with no data extent is not read: its
 * ID is that of zeros.  Index entries are written in order from a bounded
 * window, so memory does not grow with the file (per worker: one chunk, one
 * compressed chunk, the zstd contexts).
 *
 * s2e_chunk_known() does the store's part of s2e_chunk_fd() for a file
 * whose index is already known (index_fd, e.g. from the index cache of
 * digest-cache.h): it walks that index, checks that the store holds each
 * chunk (touching it, as s2e_chunk_fd() does), and reads, checks against its
 * ID and puts only the chunks the store lacks; a chunk whose data no longer
 * matches its ID is an error (the file changed).  No index is written: the
 * known one is it.
 *
 * s2e_unchunk_fd() reads an index (untrusted, streamed) and rebuilds the file
 * into out_fd, which must be empty: chunks are fetched on `jobs` workers (one
 * store connection each), decompressed with the 1 MiB bound and checked
 * against their IDs; all-zero chunks are never fetched and never written, so
 * the result is sparse.  A chunk the caller already has locally can be
 * supplied by the seed callback instead of being fetched.
 * With out_fd < 0 nothing is written: every chunk is only fetched and checked
 * (verify).
 * s2e_unchunk_file() does the same into a hidden temporary next to OUT and
 * renames it into place only when complete: OUT appears whole or not at all.
 *
 * Stats are filled as far as the work went, also on failure. */
#ifndef S2E_CHUNKIO_H
#define S2E_CHUNKIO_H

#include <stdint.h>

#include "s2e/caindex.h"
#include "s2e/digest.h"

struct s2e_store;
struct s2e_progress;

struct s2e_chunk_stats {
	uint64_t chunks;	     /* entries in the index */
	uint64_t bytes;		     /* file size */
	uint64_t zero;		     /* all-zero chunks (holes or written zeros) */
	uint64_t stored;	     /* chunks written to the store */
	uint64_t stored_bytes;	     /* their compressed bytes */
	uint64_t present;	     /* chunks the store already had */
	uint64_t fetched;	     /* unchunk: chunks fetched from the store */
	uint64_t fetched_bytes;	     /* their compressed bytes */
	uint64_t seeded;	     /* unchunk: chunks the seed callback supplied */
	char digest[S2E_DIGEST_LEN]; /* sha256-1m of the file ("" if not fixed 1 MiB) */
};

/* Fill buf (size bytes) with the content of chunk id if it is at hand
 * locally: 1 filled (it is checked against id), 0 not available, -1 error. */
typedef int (*s2e_chunk_seed_fn)(void *ctx, const unsigned char *id, uint32_t size, void *buf);

struct s2e_chunk_options {
	unsigned jobs;	      /* 0: s2e_store_default_jobs(), or all cores without a store */
	int level;	      /* zstd level, 0: default */
	int no_sync;	      /* unchunk: neither start the writeback nor fsync */
	int sync_later;	      /* unchunk_file: start the writeback as it goes, but leave
				 the fdatasync to the caller (who makes several files
				 durable at once, so one's writeback overlaps the next) */
	uint64_t expect_size; /* unchunk: S2E_CAINDEX_ANY_SIZE or the size the caller knows */
	struct s2e_progress *progress;
	s2e_chunk_seed_fn seed;
	void *seed_ctx;
};

/* st may be NULL (index only).  name is used in messages. */
int s2e_chunk_fd(struct s2e_store *st, int fd, const char *name, int index_fd,
		 const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats);
int s2e_chunk_known(struct s2e_store *st, int fd, const char *name, int index_fd,
		    const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats);
int s2e_unchunk_fd(struct s2e_store *st, int index_fd, const char *index_name, int out_fd,
		   const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats);
int s2e_unchunk_file(struct s2e_store *st, int index_fd, const char *index_name, const char *out,
		     const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats);

/* After s2e_chunk_fd() put the chunks of fd and its index is in the store
 * (so that a gc from then on counts them as referenced): every chunk the
 * index names is checked again, its time refreshed, and any that is gone (a
 * gc running at the same time removed it before the index was there) is put
 * again from fd.  This is what makes a push safe against a gc whatever its
 * grace period.  stats->stored counts the chunks put again. */
int s2e_chunk_confirm(struct s2e_store *st, int fd, const char *name, int index_fd,
		      const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats);

#endif
