/* Chunk names, IDs and the zstd codec: see include/s2e/chunk.h. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "s2e/chunk.h"
#include "s2e/error.h"

static const char hexdigits[] = "0123456789abcdef";
static unsigned char zero_id[S2E_CHUNK_ID_LEN];
static pthread_once_t zero_once = PTHREAD_ONCE_INIT;

void s2e_chunk_id(const void *data, size_t len, unsigned char id[S2E_CHUNK_ID_LEN])
{
	EVP_Digest(data, len, id, NULL, EVP_sha256(), NULL);
}

void s2e_chunk_hex(const unsigned char id[S2E_CHUNK_ID_LEN], char *out)
{
	for (int i = 0; i < S2E_CHUNK_ID_LEN; i++) {
		*out++ = hexdigits[id[i] >> 4];
		*out++ = hexdigits[id[i] & 15];
	}
	*out = '\0';
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int s2e_chunk_id_parse(const char *hex, unsigned char id[S2E_CHUNK_ID_LEN])
{
	for (int i = 0; i < S2E_CHUNK_ID_LEN; i++) {
		int hi = unhex(hex[2 * i]), lo = hi < 0 ? -1 : unhex(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		id[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[2 * S2E_CHUNK_ID_LEN] == '\0' ? 0 : -1;
}

void s2e_chunk_name(const char *prefix, const unsigned char id[S2E_CHUNK_ID_LEN], char *out)
{
	char hex[S2E_CHUNK_HEX_LEN];
	size_t plen = strlen(prefix);

	s2e_chunk_hex(id, hex);
	memcpy(out, prefix, plen);
	memcpy(out + plen, hex, 4);
	out[plen + 4] = '/';
	memcpy(out + plen + 5, hex, 64);
	memcpy(out + plen + 69, ".cacnk", 7);
}

int s2e_chunk_name_parse(const char *name, unsigned char id[S2E_CHUNK_ID_LEN])
{
	char hex[S2E_CHUNK_HEX_LEN];

	if (strlen(name) != 4 + 1 + 64 + 6 || name[4] != '/' || strcmp(name + 69, ".cacnk") ||
	    memcmp(name, name + 5, 4))
		return -1;
	memcpy(hex, name + 5, 64);
	hex[64] = '\0';
	return s2e_chunk_id_parse(hex, id);
}

static void compute_zero_id(void)
{
	void *zeros = calloc(1, S2E_CHUNK_MAX);

	if (zeros)
		s2e_chunk_id(zeros, S2E_CHUNK_MAX, zero_id);
	free(zeros);
}

const unsigned char *s2e_chunk_zero_id(void)
{
	pthread_once(&zero_once, compute_zero_id);
	return zero_id;
}

int s2e_chunk_is_zero(const void *data, size_t len)
{
	const unsigned char *p = data;

	/* Compare with itself shifted by one: all bytes equal, and the first is 0. */
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

struct s2e_chunk_codec {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	size_t cap;
	void *buf;
};

struct s2e_chunk_codec *s2e_chunk_codec_new(int level)
{
	struct s2e_chunk_codec *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->cap = ZSTD_compressBound(S2E_CHUNK_MAX);
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	c->buf = malloc(c->cap);
	if (!c->cctx || !c->dctx || !c->buf)
		goto fail;
	ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel,
			       level ? level : S2E_CHUNK_LEVEL);
	/* One-shot decompression writes straight into the caller's fixed buffer:
	 * a frame that declares a huge window cannot make us allocate one. */
	ZSTD_DCtx_setParameter(c->dctx, ZSTD_d_windowLogMax, 27);
	return c;
fail:
	s2e_chunk_codec_free(c);
	s2e_error("out of memory");
	return NULL;
}

void s2e_chunk_codec_free(struct s2e_chunk_codec *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c->buf);
	free(c);
}

int s2e_chunk_compress(struct s2e_chunk_codec *c, const void *data, size_t len, const void **out,
		       size_t *outlen)
{
	size_t n = ZSTD_compress2(c->cctx, c->buf, c->cap, data, len);

	if (ZSTD_isError(n))
		return s2e_error("cannot compress a chunk: %s", ZSTD_getErrorName(n));
	*out = c->buf;
	*outlen = n;
	return 0;
}

int s2e_chunk_decompress(struct s2e_chunk_codec *c, const void *in, size_t inlen,
			 const unsigned char id[S2E_CHUNK_ID_LEN], uint32_t expect_size, void *out,
			 size_t *outlen)
{
	char hex[S2E_CHUNK_HEX_LEN];
	unsigned char got[S2E_CHUNK_ID_LEN];
	size_t n;

	s2e_chunk_hex(id, hex);
	if (inlen < 4 || memcmp(in, "\x28\xb5\x2f\xfd", 4))
		return s2e_error("chunk %s: not a zstd frame", hex);
	n = ZSTD_decompressDCtx(c->dctx, out, S2E_CHUNK_MAX, in, inlen);
	if (ZSTD_isError(n)) {
		if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
			return s2e_error("chunk %s: decompresses to more than 1 MiB", hex);
		return s2e_error("chunk %s: corrupt or truncated: %s", hex, ZSTD_getErrorName(n));
	}
	if (n == 0 || (expect_size && n != expect_size))
		return s2e_error("chunk %s: holds %zu bytes, the index says %u", hex, n,
				 expect_size);
	s2e_chunk_id(out, n, got);
	if (memcmp(got, id, S2E_CHUNK_ID_LEN))
		return s2e_error("chunk %s: content does not match its ID", hex);
	*outlen = n;
	return 0;
}
