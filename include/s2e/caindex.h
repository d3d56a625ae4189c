/* casync blob indexes (.caibx), read and written (SPEC §8.1).
 *
 * File format (all integers little-endian 64-bit):
 *
 *   header (48 bytes)   size = 48, type = 0x96824d9c7b129ff9 (CA_FORMAT_INDEX),
 *                       feature_flags, chunk_size_min, chunk_size_avg, chunk_size_max
 *   table header (16)   size = UINT64_MAX, type = 0xe75b9e112f17417d (CA_FORMAT_TABLE)
 *   items (40 each)     end offset of the chunk in the file (strictly increasing,
 *                       first > 0), then the 32-byte SHA-256 of the uncompressed chunk
 *   tail (40 bytes)     0, 0, 48 (offset of the table), table size (16 + 40 n + 40),
 *                       marker 0x4b4f050e5549ecd1
 *
 * The writer produces exactly what `casync make --digest=sha256
 * --compression=zstd --chunk-size=1048576:1048576:1048576 X.caibx FILE` writes:
 * feature flags 0x9000000000000000 and 1 MiB for all three chunk sizes.
 *
 * The reader treats the index as untrusted: it streams the table (memory does
 * not depend on the index size and no count in the file is trusted) and
 * refuses, naming the index, a bad header, feature flags other than casync's
 * exclude flags (in particular SHA-512/256 chunk IDs), chunk sizes above
 * S2E_CHUNK_MAX, offsets that are not strictly increasing, a chunk larger than
 * the header's maximum, a bad tail, trailing bytes, a truncated file, and a
 * total size different from the one the caller expects. */
#ifndef S2E_CAINDEX_H
#define S2E_CAINDEX_H

#include <stdint.h>

#define S2E_CHUNK_MAX	  (1024 * 1024)
#define S2E_CHUNK_ID_LEN  32
#define S2E_CAINDEX_FLAGS UINT64_C(0x9000000000000000)
/* Any size: the caller does not know what the index should describe. */
#define S2E_CAINDEX_ANY_SIZE UINT64_MAX

struct s2e_caindex_entry {
	uint64_t offset; /* where the chunk starts in the file */
	uint32_t size;	 /* 1 .. S2E_CHUNK_MAX */
	unsigned char id[S2E_CHUNK_ID_LEN];
};

/* Writer: items are appended in file order; finish writes the tail.  Output
 * goes to fd through a small buffer. */
struct s2e_caindex_writer;
struct s2e_caindex_writer *s2e_caindex_writer_new(int fd, const char *name);
int s2e_caindex_writer_add(struct s2e_caindex_writer *w, const unsigned char id[S2E_CHUNK_ID_LEN],
			   uint32_t size);
int s2e_caindex_writer_finish(struct s2e_caindex_writer *w);
void s2e_caindex_writer_free(struct s2e_caindex_writer *w);

/* Reader over fd from its current position; name is used in messages. */
struct s2e_caindex_reader;
struct s2e_caindex_reader *s2e_caindex_reader_new(int fd, const char *name, uint64_t expect_size);
/* 1 and *e filled, 0 at the end (tail, trailing bytes and size checked), -1 on
 * error with a message naming the index. */
int s2e_caindex_next(struct s2e_caindex_reader *r, struct s2e_caindex_entry *e);
/* After the end: the file size the index describes, and the number of chunks. */
uint64_t s2e_caindex_size(const struct s2e_caindex_reader *r);
uint64_t s2e_caindex_count(const struct s2e_caindex_reader *r);
/* 1 when every chunk but the last is S2E_CHUNK_MAX bytes: the index then gives
 * the file's sha256-1m digest (SPEC §4.2), written into out (S2E_DIGEST_LEN). */
int s2e_caindex_digest(const struct s2e_caindex_reader *r, char *out);
void s2e_caindex_reader_free(struct s2e_caindex_reader *r);

/* Read a whole index only to check it: size and sha256-1m digest (digest is
 * set to "" when the chunking is not fixed 1 MiB).  digest may be NULL. */
int s2e_caindex_check_fd(int fd, const char *name, uint64_t expect_size, uint64_t *size,
			 char *digest);

#endif
