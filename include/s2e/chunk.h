/* Chunks of a store (SPEC §8.1): a piece of at most 1 MiB of a file,
 * compressed as one zstd frame, named by the lower-case hex SHA-256 of the
 * uncompressed piece and kept at chunks/XXXX/ID.cacnk (XXXX: the first four
 * hex digits of ID), as casync's chunk stores are.
 *
 * Decompression treats the bytes as untrusted: a corrupt or truncated frame,
 * output beyond S2E_CHUNK_MAX (a zstd bomb: the output buffer is fixed, so
 * nothing larger is ever allocated), a size other than the index says, or
 * content whose SHA-256 is not the ID, are refused with a message naming the
 * chunk. */
#ifndef S2E_CHUNK_H
#define S2E_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "s2e/caindex.h"

#define S2E_CHUNK_HEX_LEN (2 * S2E_CHUNK_ID_LEN + 1)
/* "chunks/XXXX/" + 64 hex + ".cacnk" + NUL */
#define S2E_CHUNK_NAME_LEN (7 + 5 + 64 + 6 + 1)

void s2e_chunk_id(const void *data, size_t len, unsigned char id[S2E_CHUNK_ID_LEN]);
void s2e_chunk_hex(const unsigned char id[S2E_CHUNK_ID_LEN], char *out);
/* 64 lower-case hex digits, nothing else; -1 (no message) otherwise. */
int s2e_chunk_id_parse(const char *hex, unsigned char id[S2E_CHUNK_ID_LEN]);
/* prefix + "XXXX/ID.cacnk"; prefix is "chunks/" for a store, "" for a bare
 * casync chunk store.  out holds S2E_CHUNK_NAME_LEN + strlen(prefix) - 7. */
void s2e_chunk_name(const char *prefix, const unsigned char id[S2E_CHUNK_ID_LEN], char *out);
/* "XXXX/ID.cacnk" (relative to the chunk directory) back to the ID, checking
 * that XXXX agrees; -1 (no message) for any other name. */
int s2e_chunk_name_parse(const char *name, unsigned char id[S2E_CHUNK_ID_LEN]);

/* The ID of S2E_CHUNK_MAX zero bytes. */
const unsigned char *s2e_chunk_zero_id(void);
int s2e_chunk_is_zero(const void *data, size_t len);

/* One per thread: zstd contexts and the compression buffer. */
struct s2e_chunk_codec;
/* level 0: S2E_CHUNK_LEVEL.  zstd level 1, not zstd's default 3: on VM
 * data (bench/store) it compresses about 3 times faster for about 10% more
 * bytes, which makes a push twice as fast; a chunk is compressed once, and
 * decompresses as fast either way.  Any level reads back the same. */
#define S2E_CHUNK_LEVEL 1
struct s2e_chunk_codec *s2e_chunk_codec_new(int level);
void s2e_chunk_codec_free(struct s2e_chunk_codec *c);
/* *out stays valid until the next call on c. */
int s2e_chunk_compress(struct s2e_chunk_codec *c, const void *data, size_t len, const void **out,
		       size_t *outlen);
/* Decompress into out (S2E_CHUNK_MAX bytes) and check the size (expect_size
 * 0: any) and the ID. */
int s2e_chunk_decompress(struct s2e_chunk_codec *c, const void *in, size_t inlen,
			 const unsigned char id[S2E_CHUNK_ID_LEN], uint32_t expect_size, void *out,
			 size_t *outlen);

#endif
