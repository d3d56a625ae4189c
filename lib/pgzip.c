/* Parallel gzip (libdeflate) and zstd streams; see include/s2e/pgzip.h. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "s2e/error.h"
#include "s2e/pgzip.h"

#define MAX_THREADS 16
/* Our member: 10-byte header, XLEN, subfield "S2" with the member length. */
#define OUR_HDR	   20
#define MAX_MEMBER (2 * S2E_PGZ_BLOCK)

unsigned s2e_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

int s2e_parse_jobs(const char *text, unsigned *threads)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (!*text || *end || n < 1 || n > 1024)
		return s2e_error("bad thread count '%s' (1 to 1024)", text);
	*threads = (unsigned)n;
	return 0;
}

int s2e_parse_fd(const char *text, int *fd)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (!*text || *end || n < 0 || n > 1 << 20)
		return s2e_error("bad file descriptor '%s'", text);
	*fd = (int)n;
	return 0;
}

FILE *s2e_fdopen_arg(const char *text, const char *mode)
{
	FILE *f;
	int fd = -1;

	if (s2e_parse_fd(text, &fd))
		return NULL;
	f = fdopen(fd, mode);
	if (!f)
		s2e_error_errno("bad file descriptor %d", fd);
	return f;
}

/* ---- an ordered ring of blocks processed by a pool of workers ---- */

enum { SLOT_FREE, SLOT_PENDING, SLOT_WORKING, SLOT_DONE, SLOT_FAILED };

struct slot {
	unsigned char *in, *out;
	size_t in_len, out_len, in_cap, out_cap;
	uint32_t crc, isize; /* gzip trailer, for decompression */
	int state;
};

struct ring;
typedef int (*job_fn)(struct ring *r, unsigned worker, struct slot *s);

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t work, done, space;
	struct slot *slots;
	unsigned n;
	uint64_t head, tail, next;
	int stop, eof;
	job_fn fn;
	void *owner;
	pthread_t tids[MAX_THREADS];
	unsigned nworkers;
	char err[512];
	int failed;
};

static void ring_fail(struct ring *r, const char *msg)
{
	if (!r->failed) {
		snprintf(r->err, sizeof(r->err), "%s", msg);
		r->failed = 1;
	}
}

struct worker_start {
	struct ring *r;
	unsigned index;
};

static void *ring_worker(void *arg)
{
	struct worker_start *ws = arg;
	struct ring *r = ws->r;
	unsigned index = ws->index;

	free(ws);
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && r->next == r->tail)
			pthread_cond_wait(&r->work, &r->mu);
		if (r->stop)
			break;
		if (r->next < r->head)
			r->next = r->head;
		if (r->next == r->tail)
			continue;
		struct slot *s = &r->slots[r->next % r->n];
		r->next++;
		if (s->state != SLOT_PENDING)
			continue;
		s->state = SLOT_WORKING;
		pthread_mutex_unlock(&r->mu);
		int rc = r->fn(r, index, s);
		pthread_mutex_lock(&r->mu);
		s->state = rc ? SLOT_FAILED : SLOT_DONE;
		if (rc)
			ring_fail(r, s2e_error_last());
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void ring_free(struct ring *r)
{
	if (!r->slots)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->work);
	pthread_cond_broadcast(&r->done);
	pthread_cond_broadcast(&r->space);
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < r->nworkers; i++)
		pthread_join(r->tids[i], NULL);
	for (unsigned i = 0; i < r->n; i++) {
		free(r->slots[i].in);
		free(r->slots[i].out);
	}
	free(r->slots);
	r->slots = NULL;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->space);
}

static int ring_init(struct ring *r, unsigned nslots, size_t in_cap, size_t out_cap,
		     unsigned nworkers, job_fn fn, void *owner)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	pthread_cond_init(&r->space, NULL);
	r->n = nslots;
	r->fn = fn;
	r->owner = owner;
	r->slots = calloc(nslots, sizeof(*r->slots));
	if (!r->slots)
		goto oom;
	for (unsigned i = 0; i < nslots; i++) {
		struct slot *s = &r->slots[i];
		s->in_cap = in_cap;
		s->out_cap = out_cap;
		if ((in_cap && !(s->in = malloc(in_cap))) ||
		    (out_cap && !(s->out = malloc(out_cap))))
			goto oom;
	}
	for (unsigned i = 0; i < nworkers && i < MAX_THREADS; i++) {
		struct worker_start *ws = malloc(sizeof(*ws));
		if (!ws)
			goto oom;
		ws->r = r;
		ws->index = i;
		if (pthread_create(&r->tids[i], NULL, ring_worker, ws)) {
			free(ws);
			ring_free(r);
			return s2e_error("cannot start compression threads");
		}
		r->nworkers++;
	}
	return 0;
oom:
	ring_free(r);
	return s2e_error("out of memory");
}

/* The slot to fill next, waiting for room (NULL when stopped). */
static struct slot *ring_get(struct ring *r)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&r->mu);
	while (!r->stop && r->tail - r->head == r->n)
		pthread_cond_wait(&r->space, &r->mu);
	if (!r->stop)
		s = &r->slots[r->tail % r->n];
	pthread_mutex_unlock(&r->mu);
	return s;
}

static void ring_submit(struct ring *r, int state)
{
	pthread_mutex_lock(&r->mu);
	r->slots[r->tail % r->n].state = state;
	r->tail++;
	if (state == SLOT_PENDING)
		pthread_cond_signal(&r->work);
	else
		pthread_cond_broadcast(&r->done);
	pthread_mutex_unlock(&r->mu);
}

/* Wait for the oldest slot; NULL when the ring is empty and at its end, or
 * failed (r->failed tells). */
static struct slot *ring_head(struct ring *r, int wait_eof)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		if (r->failed)
			break;
		if (r->head == r->tail) {
			if (!wait_eof || r->eof || r->stop)
				break;
		} else {
			struct slot *h = &r->slots[r->head % r->n];
			if (h->state == SLOT_DONE) {
				s = h;
				break;
			}
			if (h->state == SLOT_FAILED)
				break;
		}
		pthread_cond_wait(&r->done, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return s;
}

static void ring_release(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->slots[r->head % r->n].state = SLOT_FREE;
	r->head++;
	pthread_cond_signal(&r->space);
	pthread_mutex_unlock(&r->mu);
}

static void put_le16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- writer ---- */

struct s2e_zwriter {
	enum s2e_zformat format;
	s2e_sink_fn sink;
	void *ctx;
	/* gzip */
	struct ring ring;
	struct libdeflate_compressor *comp[MAX_THREADS];
	struct slot *cur;
	/* zstd and none */
	ZSTD_CCtx *zc;
	unsigned char *buf;
	size_t buf_len, buf_cap;
};

static int gz_compress(struct ring *r, unsigned worker, struct slot *s)
{
	struct s2e_zwriter *w = r->owner;
	unsigned char *o = s->out;
	size_t n;

	n = libdeflate_deflate_compress(w->comp[worker], s->in, s->in_len, o + OUR_HDR,
					s->out_cap - OUR_HDR - 8);
	if (!n)
		return s2e_error("cannot compress a block");
	o[0] = 0x1f;
	o[1] = 0x8b;
	o[2] = 8;
	o[3] = 4; /* FEXTRA */
	put_le32(o + 4, 0);
	o[8] = 0;
	o[9] = 3; /* Unix */
	put_le16(o + 10, 8);
	o[12] = 'S';
	o[13] = '2';
	put_le16(o + 14, 4);
	put_le32(o + 16, (uint32_t)(OUR_HDR + n + 8));
	put_le32(o + OUR_HDR + n, libdeflate_crc32(0, s->in, s->in_len));
	put_le32(o + OUR_HDR + n + 4, (uint32_t)s->in_len);
	s->out_len = OUR_HDR + n + 8;
	return 0;
}

/* Write out the oldest block. */
static int gz_drain_one(struct s2e_zwriter *w)
{
	struct slot *s = ring_head(&w->ring, 0);
	int rc;

	if (!s) {
		if (w->ring.failed)
			return s2e_error("%s", w->ring.err);
		return 0;
	}
	rc = s->out_len ? w->sink(w->ctx, s->out, s->out_len) : 0;
	ring_release(&w->ring);
	return rc;
}

static int zstd_pump(struct s2e_zwriter *w, const void *buf, size_t len, ZSTD_EndDirective end);

/* zstd: one feeder thread hands the blocks, in order, to libzstd's own
 * workers and writes what comes out, so that reading and hashing the files
 * on the caller's thread never waits for the compressor. */
static int zstd_job(struct ring *r, unsigned worker, struct slot *s)
{
	(void)worker;
	s->out_len = 0;
	return zstd_pump(r->owner, s->in, s->in_len, ZSTD_e_continue);
}

static int gz_submit(struct s2e_zwriter *w)
{
	ring_submit(&w->ring, SLOT_PENDING);
	w->cur = NULL;
	return 0;
}

struct s2e_zwriter *s2e_zwriter_new(enum s2e_zformat format, int level, unsigned threads,
				    s2e_sink_fn sink, void *ctx)
{
	struct s2e_zwriter *w = calloc(1, sizeof(*w));

	if (!w) {
		s2e_error("out of memory");
		return NULL;
	}
	w->format = format;
	w->sink = sink;
	w->ctx = ctx;
	if (!threads)
		threads = s2e_cores();
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (format == S2E_Z_GZIP) {
		size_t bound;
		if (!level)
			level = 6;
		for (unsigned i = 0; i < threads; i++)
			if (!(w->comp[i] = libdeflate_alloc_compressor(level)))
				goto oom;
		bound = libdeflate_deflate_compress_bound(w->comp[0], S2E_PGZ_BLOCK) + OUR_HDR + 8;
		if (ring_init(&w->ring, 2 * threads + 2, S2E_PGZ_BLOCK, bound, threads, gz_compress,
			      w))
			goto fail;
		return w;
	}
	w->buf_cap = format == S2E_Z_ZSTD ? ZSTD_CStreamOutSize() : S2E_PGZ_BLOCK;
	if (!(w->buf = malloc(w->buf_cap)))
		goto oom;
	if (format == S2E_Z_ZSTD) {
		if (!level)
			level = 3;
		w->zc = ZSTD_createCCtx();
		if (!w->zc)
			goto oom;
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level);
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
		/* A libzstd without threads refuses this and compresses on this thread. */
		/* 2 MiB jobs: 38 MiB peak on 2 cores instead of 88 with the default
		 * 8 MiB, as fast, 1.6% larger (bench/package). */
		if (threads > 1 &&
		    !ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers, (int)threads)))
			(void)ZSTD_CCtx_setParameter(w->zc, ZSTD_c_jobSize, 2 << 20);
		if (ring_init(&w->ring, 4, S2E_PGZ_BLOCK, 0, 1, zstd_job, w))
			goto fail;
	}
	return w;
oom:
	s2e_error("out of memory");
fail:
	s2e_zwriter_free(w);
	return NULL;
}

static int zstd_pump(struct s2e_zwriter *w, const void *buf, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = {buf, len, 0};

	for (;;) {
		ZSTD_outBuffer out = {w->buf, w->buf_cap, 0};
		size_t left = ZSTD_compressStream2(w->zc, &out, &in, end);
		if (ZSTD_isError(left))
			return s2e_error("zstd: %s", ZSTD_getErrorName(left));
		if (out.pos && w->sink(w->ctx, w->buf, out.pos))
			return -1;
		if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

int s2e_zwriter_write(struct s2e_zwriter *w, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		if (w->format == S2E_Z_NONE) {
			size_t take = w->buf_cap - w->buf_len;
			if (take > len)
				take = len;
			memcpy(w->buf + w->buf_len, p, take);
			w->buf_len += take;
			p += take;
			len -= take;
			if (w->buf_len == w->buf_cap) {
				if (w->sink(w->ctx, w->buf, w->buf_len))
					return -1;
				w->buf_len = 0;
			}
			continue;
		}
		if (!w->cur) {
			/* Make room by writing out the oldest block ourselves. */
			while (w->ring.tail - w->ring.head == w->ring.n)
				if (gz_drain_one(w))
					return -1;
			if (w->ring.failed)
				return s2e_error("%s", w->ring.err);
			w->cur = ring_get(&w->ring);
			w->cur->in_len = 0;
		}
		size_t take = w->cur->in_cap - w->cur->in_len;
		if (take > len)
			take = len;
		memcpy(w->cur->in + w->cur->in_len, p, take);
		w->cur->in_len += take;
		p += take;
		len -= take;
		if (w->cur->in_len == w->cur->in_cap)
			gz_submit(w);
	}
	return 0;
}

int s2e_zwriter_finish(struct s2e_zwriter *w)
{
	if (w->format == S2E_Z_ZSTD) {
		if (w->cur && w->cur->in_len)
			gz_submit(w);
		while (w->ring.head != w->ring.tail)
			if (gz_drain_one(w))
				return -1;
		if (w->ring.failed)
			return s2e_error("%s", w->ring.err);
		/* The feeder is idle now: end the frame here. */
		return zstd_pump(w, NULL, 0, ZSTD_e_end);
	}
	if (w->format == S2E_Z_NONE) {
		if (w->buf_len && w->sink(w->ctx, w->buf, w->buf_len))
			return -1;
		w->buf_len = 0;
		return 0;
	}
	if (w->cur && w->cur->in_len)
		gz_submit(w);
	else if (w->ring.tail == 0) {
		/* Nothing written: still one valid (empty) gzip member. */
		w->cur = ring_get(&w->ring);
		w->cur->in_len = 0;
		gz_submit(w);
	}
	while (w->ring.head != w->ring.tail)
		if (gz_drain_one(w))
			return -1;
	if (w->ring.failed)
		return s2e_error("%s", w->ring.err);
	return 0;
}

void s2e_zwriter_free(struct s2e_zwriter *w)
{
	if (!w)
		return;
	ring_free(&w->ring);
	for (unsigned i = 0; i < MAX_THREADS; i++)
		if (w->comp[i])
			libdeflate_free_compressor(w->comp[i]);
	ZSTD_freeCCtx(w->zc);
	free(w->buf);
	free(w);
}

/* ---- source ---- */

#define RBUF (256 * 1024)

struct s2e_zsource {
	int fd;
	int stop_pipe[2];
	pthread_t thread;
	int started;
	struct ring ring;
	struct libdeflate_decompressor *dec[MAX_THREADS];
	const char *kind;
	EVP_MD_CTX *sha;
	uint64_t bytes;
	/* buffered input, source thread only */
	unsigned char *rb;
	size_t rpos, rlen;
	int in_eof;
	/* consumer side */
	struct slot *held;
	char sha_hex[65];
	int finished;
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

static int gz_decompress(struct ring *r, unsigned worker, struct slot *sl)
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
	if (have < OUR_HDR || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4)
		return 0;
	if (h[10] != 8 || h[11] != 0 || h[12] != 'S' || h[13] != '2' || h[14] != 4 || h[15] != 0)
		return 0;
	return get_le32(h + 16);
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
		struct slot *sl = ring_get(&s->ring);
		if (!sl) {
			rc = -1;
			break;
		}
		z.next_out = sl->out;
		z.avail_out = (uInt)sl->out_cap;
		while (z.avail_out) {
			if (ret == Z_STREAM_END) {
				/* Another member, or the end (trailing bytes are ignored, as gzip
				 * does). */
				ssize_t have = src_peek(s, 2);
				if (have < 0) {
					rc = -1;
					break;
				}
				if (have < 2 || s->rb[s->rpos] != 0x1f ||
				    s->rb[s->rpos + 1] != 0x8b)
					break;
				inflateReset(&z);
				ret = Z_OK;
			}
			if (s->rpos == s->rlen) {
				ssize_t have = src_peek(s, RBUF);
				if (have < 0) {
					rc = -1;
					break;
				}
				if (have == 0) {
					rc = s2e_error("truncated gzip stream");
					break;
				}
			}
			z.next_in = s->rb + s->rpos;
			z.avail_in = (uInt)(s->rlen - s->rpos);
			ret = inflate(&z, Z_NO_FLUSH);
			s->rpos = s->rlen - z.avail_in;
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
				rc = s2e_error("corrupt gzip stream%s%s", z.msg ? ": " : "",
					       z.msg ? z.msg : "");
				break;
			}
		}
		if (rc)
			break;
		sl->out_len = sl->out_cap - z.avail_out;
		if (sl->out_len)
			ring_submit(&s->ring, SLOT_DONE);
		if (z.avail_out)
			break; /* the end */
	}
	inflateEnd(&z);
	return rc;
}

static int src_gzip(struct s2e_zsource *s)
{
	for (;;) {
		ssize_t have = src_peek(s, OUR_HDR);
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
		if (len < OUR_HDR + 8 || len > MAX_MEMBER)
			return s2e_error("corrupt gzip stream (bad member length)");
		struct slot *sl = ring_get(&s->ring);
		if (!sl)
			return -1;
		s->rpos += OUR_HDR;
		sl->in_len = len - OUR_HDR - 8;
		if (src_take(s, sl->in, sl->in_len) || src_take(s, tail, 8))
			return -1;
		sl->crc = get_le32(tail);
		sl->isize = get_le32(tail + 4);
		if (sl->isize > sl->out_cap)
			return s2e_error("corrupt gzip stream (bad member size)");
		ring_submit(&s->ring, SLOT_PENDING);
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
		struct slot *sl = ring_get(&s->ring);
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
			ring_submit(&s->ring, SLOT_DONE);
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
		struct slot *sl = ring_get(&s->ring);
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
			ring_submit(&s->ring, SLOT_DONE);
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
	pthread_mutex_lock(&s->ring.mu);
	if (rc)
		ring_fail(&s->ring, s2e_error_last());
	s->ring.eof = 1;
	pthread_cond_broadcast(&s->ring.done);
	pthread_mutex_unlock(&s->ring.mu);
	return NULL;
}

struct s2e_zsource *s2e_zsource_open(int fd, unsigned threads)
{
	struct s2e_zsource *s = calloc(1, sizeof(*s));
	ssize_t have;

	if (!s) {
		s2e_error("out of memory");
		return NULL;
	}
	s->fd = fd;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	if (!threads)
		threads = s2e_cores();
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
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
	have = src_peek(s, 4);
	if (have < 0)
		goto fail;
	if (have == 0) {
		s2e_error("package is empty");
		goto fail;
	}
	if (have >= 2 && s->rb[0] == 0x1f && s->rb[1] == 0x8b)
		s->kind = "gzip";
	else if (have >= 4 && get_le32(s->rb) == 0xFD2FB528)
		s->kind = "zstd";
	else
		s->kind = "none";
	if (!strcmp(s->kind, "gzip"))
		for (unsigned i = 0; i < threads; i++)
			if (!(s->dec[i] = libdeflate_alloc_decompressor())) {
				s2e_error("out of memory");
				goto fail;
			}
	if (ring_init(&s->ring, 2 * threads + 2, strcmp(s->kind, "gzip") ? 0 : MAX_MEMBER,
		      S2E_PGZ_BLOCK, strcmp(s->kind, "gzip") ? 0 : threads, gz_decompress, s))
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
	struct slot *sl;

	if (s->held) {
		ring_release(&s->ring);
		s->held = NULL;
	}
	sl = ring_head(&s->ring, 1);
	if (!sl) {
		if (s->ring.failed)
			return s2e_error("%s", s->ring.err);
		return 0;
	}
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
	for (int i = 0; i < 32; i++)
		snprintf(sha256_hex + 2 * i, 3, "%02x", md[i]);
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
		pthread_mutex_lock(&s->ring.mu);
		s->ring.stop = 1;
		pthread_cond_broadcast(&s->ring.space);
		pthread_mutex_unlock(&s->ring.mu);
		pthread_join(s->thread, NULL);
	}
	ring_free(&s->ring);
	for (unsigned i = 0; i < MAX_THREADS; i++)
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
