/* The decompressing source: gzip members in parallel, other gzip by zlib,
 * zstd, or passed through; see include/s2e/zsource.h. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/sys.h"
#include "s2e/zring.h"
#include "s2e/zsource.h"
#include "s2e/zwriter.h"

#define RBUF (256 * 1024)

struct s2e_zsource {
	int fd;
	int stop_pipe[2];
	pthread_t thread;
	int started;
	struct s2e_zring ring;
	struct libdeflate_decompressor *dec[S2E_ZRING_MAX_WORKERS];
	const char *kind;
	EVP_MD_CTX *sha;
	uint64_t bytes;
	/* buffered input, source thread only */
	unsigned char *rb;
	size_t rpos, rlen;
	int in_eof;
	/* consumer side */
	struct s2e_zslot *held;
};

/* read(2) that gives up when the consumer stops us. */
static ssize_t src_read(struct s2e_zsource *s, void *buf, size_t len)
{
	for (;;) {
		struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return s2e_error_errno("cannot read package");
		}
		if (p[1].revents) {
			errno = ECANCELED;
			return s2e_error("stopped");
		}
		ssize_t n = read(s->fd, buf, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return s2e_error_errno("cannot read package");
		EVP_DigestUpdate(s->sha, buf, (size_t)n);
		__atomic_add_fetch(&s->bytes, (uint64_t)n, __ATOMIC_RELAXED);
		return n;
	}
}

/* Make `want` bytes available at rb+rpos if the input has them; returns how
 * many are available (less only at the end), -1 on error. */
static ssize_t src_peek(struct s2e_zsource *s, size_t want)
{
	if (want > RBUF)
		want = RBUF;
	if (s->rlen - s->rpos >= want || s->in_eof)
		return (ssize_t)(s->rlen - s->rpos);
	memmove(s->rb, s->rb + s->rpos, s->rlen - s->rpos);
	s->rlen -= s->rpos;
	s->rpos = 0;
	while (s->rlen < want && !s->in_eof) {
		ssize_t n = src_read(s, s->rb + s->rlen, RBUF - s->rlen);
		if (n < 0)
			return -1;
		if (n == 0)
			s->in_eof = 1;
		s->rlen += (size_t)n;
	}
	return (ssize_t)(s->rlen - s->rpos);
}

/* Copy exactly len bytes (buffered first); -1 and "truncated" if short. */
static int src_take(struct s2e_zsource *s, unsigned char *dst, size_t len)
{
	size_t have = s->rlen - s->rpos;

	if (have > len)
		have = len;
	memcpy(dst, s->rb + s->rpos, have);
	s->rpos += have;
	while (have < len) {
		ssize_t n = src_read(s, dst + have, len - have);
		if (n < 0)
			return -1;
		if (n == 0) {
			s->in_eof = 1;
			return s2e_error("truncated gzip stream");
		}
		have += (size_t)n;
	}
	return 0;
}

static int gz_decompress(struct s2e_zring *r, unsigned worker, struct s2e_zslot *sl)
{
	struct s2e_zsource *s = r->owner;
	size_t got = 0;

	if (libdeflate_deflate_decompress(s->dec[worker], sl->in, sl->in_len, sl->out, sl->isize,
					  &got) != LIBDEFLATE_SUCCESS ||
	    got != sl->isize)
		return s2e_error("corrupt gzip stream");
	if (libdeflate_crc32(0, sl->out, got) != sl->crc)
		return s2e_error("corrupt gzip stream (CRC mismatch)");
	sl->out_len = got;
	return 0;
}

/* Length of our own member starting at rb+rpos, or 0 if it is not ours. */
static size_t our_member_len(const unsigned char *h, size_t have)
{
	if (have < S2E_ZMEMBER_HDR || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4)
		return 0;
	if (h[10] != 8 || h[11] != 0 || h[12] != 'S' || h[13] != '2' || h[14] != 4 || h[15] != 0)
		return 0;
	return s2e_get_le32(h + 16);
}

/* Inflate into one slot with zlib, across member boundaries: 0, or -1 with
 * the error set.  *ret carries the last inflate() result between calls. */
static int zlib_fill(struct s2e_zsource *s, z_stream *z, int *ret, struct s2e_zslot *sl)
{
	z->next_out = sl->out;
	z->avail_out = (uInt)sl->out_cap;
	while (z->avail_out) {
		if (*ret == Z_STREAM_END) {
			/* Another member, or the end (trailing bytes are ignored, as gzip
			 * does). */
			ssize_t have = src_peek(s, 2);
			if (have < 0)
				return -1;
			if (have < 2 || s->rb[s->rpos] != 0x1f || s->rb[s->rpos + 1] != 0x8b)
				break;
			inflateReset(z);
			*ret = Z_OK;
		}
		if (s->rpos == s->rlen) {
			ssize_t have = src_peek(s, RBUF);
			if (have < 0)
				return -1;
			if (have == 0)
				return s2e_error("truncated gzip stream");
		}
		z->next_in = s->rb + s->rpos;
		z->avail_in = (uInt)(s->rlen - s->rpos);
		*ret = inflate(z, Z_NO_FLUSH);
		s->rpos = s->rlen - z->avail_in;
		if (*ret != Z_OK && *ret != Z_STREAM_END && *ret != Z_BUF_ERROR)
			return s2e_error("corrupt gzip stream%s%s", z->msg ? ": " : "",
					 z->msg ? z->msg : "");
	}
	sl->out_len = sl->out_cap - z->avail_out;
	return 0;
}

/* zlib for any other gzip stream, from the current position to the end. */
static int src_zlib(struct s2e_zsource *s)
{
	z_stream z;
	int ret = Z_OK, rc = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return s2e_error("out of memory");
	for (;;) {
		struct s2e_zslot *sl = s2e_zring_get(&s->ring);
		if (!sl || zlib_fill(s, &z, &ret, sl)) {
			rc = -1;
			break;
		}
		if (sl->out_len)
			s2e_zring_submit(&s->ring, S2E_ZSLOT_DONE);
		if (sl->out_len < sl->out_cap)
			break; /* the end */
	}
	inflateEnd(&z);
	return rc;
}

static int src_gzip(struct s2e_zsource *s)
{
	for (;;) {
		ssize_t have = src_peek(s, S2E_ZMEMBER_HDR);
		size_t len;
		unsigned char tail[8];

		if (have < 0)
			return -1;
		if (have == 0)
			return 0;
		if (have < 2 || s->rb[s->rpos] != 0x1f || s->rb[s->rpos + 1] != 0x8b)
			return 0; /* trailing bytes after the last member: ignored, as gzip does */
		len = our_member_len(s->rb + s->rpos, (size_t)have);
		if (!len)
			return src_zlib(s);
		if (len < S2E_ZMEMBER_HDR + 8 || len > S2E_ZMEMBER_MAX)
			return s2e_error("corrupt gzip stream (bad member length)");
		struct s2e_zslot *sl = s2e_zring_get(&s->ring);
		if (!sl)
			return -1;
		s->rpos += S2E_ZMEMBER_HDR;
		sl->in_len = len - S2E_ZMEMBER_HDR - 8;
		if (src_take(s, sl->in, sl->in_len) || src_take(s, tail, 8))
			return -1;
		sl->crc = s2e_get_le32(tail);
		sl->isize = s2e_get_le32(tail + 4);
		if (sl->isize > sl->out_cap)
			return s2e_error("corrupt gzip stream (bad member size)");
		s2e_zring_submit(&s->ring, S2E_ZSLOT_PENDING);
	}
}

static int src_zstd(struct s2e_zsource *s)
{
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	size_t last = 1;
	int rc = 0;

	if (!dc)
		return s2e_error("out of memory");
	for (;;) {
		struct s2e_zslot *sl = s2e_zring_get(&s->ring);
		if (!sl) {
			rc = -1;
			break;
		}
		ZSTD_outBuffer out = {sl->out, sl->out_cap, 0};
		int end = 0;
		while (out.pos < out.size) {
			if (s->rpos == s->rlen) {
				ssize_t have = src_peek(s, RBUF);
				if (have < 0) {
					rc = -1;
					break;
				}
				if (have == 0) {
					end = 1;
					break;
				}
			}
			ZSTD_inBuffer in = {s->rb + s->rpos, s->rlen - s->rpos, 0};
			last = ZSTD_decompressStream(dc, &out, &in);
			s->rpos += in.pos;
			if (ZSTD_isError(last)) {
				rc = s2e_error("corrupt zstd stream: %s", ZSTD_getErrorName(last));
				break;
			}
		}
		if (rc)
			break;
		sl->out_len = out.pos;
		if (out.pos)
			s2e_zring_submit(&s->ring, S2E_ZSLOT_DONE);
		if (end) {
			if (last != 0)
				rc = s2e_error("truncated zstd stream");
			break;
		}
	}
	ZSTD_freeDCtx(dc);
	return rc;
}

static int src_raw(struct s2e_zsource *s)
{
	for (;;) {
		struct s2e_zslot *sl = s2e_zring_get(&s->ring);
		size_t have;

		if (!sl)
			return -1;
		have = s->rlen - s->rpos;
		memcpy(sl->out, s->rb + s->rpos, have);
		s->rpos = s->rlen;
		while (have < sl->out_cap) {
			ssize_t n = src_read(s, sl->out + have, sl->out_cap - have);
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			have += (size_t)n;
		}
		sl->out_len = have;
		if (have)
			s2e_zring_submit(&s->ring, S2E_ZSLOT_DONE);
		if (have < sl->out_cap)
			return 0;
	}
}

static void *src_thread(void *arg)
{
	struct s2e_zsource *s = arg;
	int rc;

	if (!strcmp(s->kind, "gzip"))
		rc = src_gzip(s);
	else if (!strcmp(s->kind, "zstd"))
		rc = src_zstd(s);
	else
		rc = src_raw(s);
	/* Read what follows the compressed data, for the package digest. */
	while (!rc && !s->in_eof) {
		s->rpos = s->rlen = 0;
		if (src_peek(s, RBUF) < 0)
			rc = -1;
	}
	s2e_zring_end(&s->ring, rc);
	return NULL;
}

/* Recognise the stream by its first bytes. */
static int detect_kind(struct s2e_zsource *s)
{
	ssize_t have = src_peek(s, 4);

	if (have < 0)
		return -1;
	if (have == 0)
		return s2e_error("package is empty");
	if (have >= 2 && s->rb[0] == 0x1f && s->rb[1] == 0x8b)
		s->kind = "gzip";
	else if (have >= 4 && s2e_get_le32(s->rb) == 0xFD2FB528)
		s->kind = "zstd";
	else
		s->kind = "none";
	return 0;
}

/* The ring: gzip members are inflated by `threads` workers; other streams
 * are decoded on the source thread into the slots. */
static int start_ring(struct s2e_zsource *s, unsigned threads)
{
	int gzip = !strcmp(s->kind, "gzip");

	if (gzip)
		for (unsigned i = 0; i < threads; i++)
			if (!(s->dec[i] = libdeflate_alloc_decompressor()))
				return s2e_error("out of memory");
	return s2e_zring_init(&s->ring, 2 * threads + 2, gzip ? S2E_ZMEMBER_MAX : 0, S2E_ZBLOCK,
			      gzip ? threads : 0, gz_decompress, s);
}

struct s2e_zsource *s2e_zsource_open(int fd, unsigned threads)
{
	struct s2e_zsource *s = calloc(1, sizeof(*s));

	if (!s) {
		s2e_error("out of memory");
		return NULL;
	}
	s->fd = fd;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	if (!threads)
		threads = s2e_cores();
	if (threads > S2E_ZRING_MAX_WORKERS)
		threads = S2E_ZRING_MAX_WORKERS;
	s->rb = malloc(RBUF);
	s->sha = EVP_MD_CTX_new();
	if (!s->rb || !s->sha || EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1) {
		s2e_error("out of memory");
		goto fail;
	}
	if (pipe2(s->stop_pipe, O_CLOEXEC)) {
		s2e_error_errno("cannot create a pipe");
		goto fail;
	}
	if (detect_kind(s) || start_ring(s, threads))
		goto fail;
	if (pthread_create(&s->thread, NULL, src_thread, s)) {
		s2e_error("cannot start a thread");
		goto fail;
	}
	s->started = 1;
	return s;
fail:
	s2e_zsource_close(s);
	return NULL;
}

uint64_t s2e_zsource_bytes(struct s2e_zsource *s)
{
	return __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
}

const char *s2e_zsource_kind(struct s2e_zsource *s)
{
	return s->kind;
}

ssize_t s2e_zsource_read(struct s2e_zsource *s, const void **buf)
{
	struct s2e_zslot *sl;
	int rc;

	if (s->held) {
		s2e_zring_release(&s->ring);
		s->held = NULL;
	}
	rc = s2e_zring_head(&s->ring, 1, &sl);
	if (rc <= 0)
		return rc;
	s->held = sl;
	*buf = sl->out;
	return (ssize_t)sl->out_len;
}

int s2e_zsource_finish(struct s2e_zsource *s, char sha256_hex[65], uint64_t *bytes)
{
	const void *buf;
	ssize_t n;
	unsigned char md[32];

	while ((n = s2e_zsource_read(s, &buf)) > 0)
		;
	if (n < 0)
		return -1;
	pthread_join(s->thread, NULL);
	s->started = 0;
	EVP_DigestFinal_ex(s->sha, md, NULL);
	s2e_sha256_hex(md, sha256_hex);
	if (bytes)
		*bytes = s->bytes;
	return 0;
}

void s2e_zsource_close(struct s2e_zsource *s)
{
	if (!s)
		return;
	if (s->started) {
		if (s->stop_pipe[1] >= 0)
			(void)!write(s->stop_pipe[1], "x", 1);
		s2e_zring_stop(&s->ring);
		pthread_join(s->thread, NULL);
	}
	s2e_zring_free(&s->ring);
	for (unsigned i = 0; i < S2E_ZRING_MAX_WORKERS; i++)
		if (s->dec[i])
			libdeflate_free_decompressor(s->dec[i]);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]);
	EVP_MD_CTX_free(s->sha);
	free(s->rb);
	free(s);
}
