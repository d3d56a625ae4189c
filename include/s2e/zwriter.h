/* The compressing writer of packages (SPEC §4.1): gzip in parallel, zstd, or
 * no compression.  Bytes go in with s2e_zwriter_write and come out, in order,
 * through the sink.
 *
 * gzip: the data is cut into 1 MiB blocks, each compressed on its own by a
 * pool of threads (libdeflate, see zring.h) into one gzip member; the members
 * are written in order, so the output is one valid multi-member gzip file
 * (gzip -t, GNU tar, bsdtar and pigz -d read it).  Memory is bounded: a ring
 * of 2 x threads + 2 blocks.
 *
 * Member format (read back in parallel by zsource.h): the 10-byte gzip header
 * with FLG = FEXTRA, XLEN = 8, one subfield "S2" of 4 bytes holding the whole
 * member's length (header to trailer, little-endian; like BGZF's "BC"), the
 * deflate data of at most S2E_ZBLOCK input bytes, then CRC32 and ISIZE.
 *
 * zstd: one feeder thread hands the blocks to libzstd's own worker threads, so
 * that the caller's thread never waits for the compressor.  The sink is then
 * called from the feeder thread (never from two threads at once).
 *
 * Errors: every call returns 0, or -1 with the error set; after a failure
 * (the sink's included) the writer only reports it again. */
#ifndef S2E_ZWRITER_H
#define S2E_ZWRITER_H

#include <stddef.h>
#include <stdint.h>

/* Uncompressed bytes per gzip member. */
#define S2E_ZBLOCK (1024 * 1024)
/* The header of our members, and the largest member a reader accepts. */
#define S2E_ZMEMBER_HDR 20
#define S2E_ZMEMBER_MAX (2 * S2E_ZBLOCK)

enum s2e_zformat { S2E_Z_GZIP, S2E_Z_ZSTD, S2E_Z_NONE };

/* Output of a compressing writer goes to this sink, in order. */
typedef int (*s2e_sink_fn)(void *ctx, const void *buf, size_t len);

struct s2e_zwriter;
/* level 0: the default (gzip 6, zstd 3); threads 0: all cores. */
struct s2e_zwriter *s2e_zwriter_new(enum s2e_zformat format, int level, unsigned threads,
				    s2e_sink_fn sink, void *ctx);
int s2e_zwriter_write(struct s2e_zwriter *w, const void *buf, size_t len);
/* Flush everything to the sink.  Free in any case afterwards. */
int s2e_zwriter_finish(struct s2e_zwriter *w);
void s2e_zwriter_free(struct s2e_zwriter *w);

static inline void s2e_put_le16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void s2e_put_le32(unsigned char *p, uint32_t v)
{
	s2e_put_le16(p, v);
	s2e_put_le16(p + 2, v >> 16);
}

static inline uint32_t s2e_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
