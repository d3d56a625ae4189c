/* The compressing writer: parallel gzip members (libdeflate), zstd, or
 * nothing; see include/s2e/zwriter.h. */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "s2e/error.h"
#include "s2e/sys.h"
#include "s2e/zring.h"
#include "s2e/zwriter.h"

struct s2e_zwriter {
	enum s2e_zformat format;
	s2e_sink_fn sink;
	void *ctx;
	/* gzip (workers) and zstd (one feeder) */
	struct s2e_zring ring;
	struct libdeflate_compressor *comp[S2E_ZRING_MAX_WORKERS];
	struct s2e_zslot *cur; /* the block being filled */
	uint64_t submitted;    /* blocks handed to the ring */
	/* zstd and none */
	ZSTD_CCtx *zc;
	unsigned char *buf;
	size_t buf_len, buf_cap;
};

/* Our gzip member (see zwriter.h) for the slot's input. */
static int gz_compress(struct s2e_zring *r, unsigned worker, struct s2e_zslot *s)
{
	struct s2e_zwriter *w = r->owner;
	unsigned char *o = s->out;
	size_t n;

	n = libdeflate_deflate_compress(w->comp[worker], s->in, s->in_len, o + S2E_ZMEMBER_HDR,
					s->out_cap - S2E_ZMEMBER_HDR - 8);
	if (!n)
		return s2e_error("cannot compress a block");
	o[0] = 0x1f;
	o[1] = 0x8b;
	o[2] = 8;
	o[3] = 4; /* FEXTRA */
	s2e_put_le32(o + 4, 0);
	o[8] = 0;
	o[9] = 3; /* Unix */
	s2e_put_le16(o + 10, 8);
	o[12] = 'S';
	o[13] = '2';
	s2e_put_le16(o + 14, 4);
	s2e_put_le32(o + 16, (uint32_t)(S2E_ZMEMBER_HDR + n + 8));
	s2e_put_le32(o + S2E_ZMEMBER_HDR + n, libdeflate_crc32(0, s->in, s->in_len));
	s2e_put_le32(o + S2E_ZMEMBER_HDR + n + 4, (uint32_t)s->in_len);
	s->out_len = S2E_ZMEMBER_HDR + n + 8;
	return 0;
}

/* Compress with libzstd, from the calling thread, and write what comes out. */
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

/* The zstd feeder: the blocks, in order, to libzstd's own workers. */
static int zstd_job(struct s2e_zring *r, unsigned worker, struct s2e_zslot *s)
{
	(void)worker;
	s->out_len = 0;
	return zstd_pump(r->owner, s->in, s->in_len, ZSTD_e_continue);
}

static int gzip_init(struct s2e_zwriter *w, int level, unsigned threads)
{
	size_t bound;

	for (unsigned i = 0; i < threads; i++)
		if (!(w->comp[i] = libdeflate_alloc_compressor(level ? level : 6)))
			return s2e_error("out of memory");
	bound = libdeflate_deflate_compress_bound(w->comp[0], S2E_ZBLOCK) + S2E_ZMEMBER_HDR + 8;
	return s2e_zring_init(&w->ring, 2 * threads + 2, S2E_ZBLOCK, bound, threads, gz_compress,
			      w);
}

static int zstd_init(struct s2e_zwriter *w, int level, unsigned threads)
{
	w->zc = ZSTD_createCCtx();
	if (!w->zc)
		return s2e_error("out of memory");
	ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level ? level : 3);
	ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
	/* A libzstd without threads refuses this and compresses on this thread. */
	/* 2 MiB jobs: 38 MiB peak on 2 cores instead of 88 with the default
	 * 8 MiB, as fast, 1.6% larger (bench/package). */
	if (threads > 1 &&
	    !ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers, (int)threads)))
		(void)ZSTD_CCtx_setParameter(w->zc, ZSTD_c_jobSize, 2 << 20);
	return s2e_zring_init(&w->ring, 4, S2E_ZBLOCK, 0, 1, zstd_job, w);
}

struct s2e_zwriter *s2e_zwriter_new(enum s2e_zformat format, int level, unsigned threads,
				    s2e_sink_fn sink, void *ctx)
{
	struct s2e_zwriter *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		s2e_error("out of memory");
		return NULL;
	}
	w->format = format;
	w->sink = sink;
	w->ctx = ctx;
	if (!threads)
		threads = s2e_cores();
	if (threads > S2E_ZRING_MAX_WORKERS)
		threads = S2E_ZRING_MAX_WORKERS;
	if (format == S2E_Z_GZIP) {
		rc = gzip_init(w, level, threads);
	} else {
		w->buf_cap = format == S2E_Z_ZSTD ? ZSTD_CStreamOutSize() : S2E_ZBLOCK;
		w->buf = malloc(w->buf_cap);
		rc = w->buf ? 0 : s2e_error("out of memory");
		if (!rc && format == S2E_Z_ZSTD)
			rc = zstd_init(w, level, threads);
	}
	if (rc) {
		s2e_zwriter_free(w);
		return NULL;
	}
	return w;
}

/* Write out the oldest block, waiting for it. */
static int drain_one(struct s2e_zwriter *w)
{
	struct s2e_zslot *s;
	int rc = s2e_zring_head(&w->ring, 0, &s);

	if (rc <= 0)
		return rc;
	rc = s->out_len ? w->sink(w->ctx, s->out, s->out_len) : 0;
	s2e_zring_release(&w->ring);
	return rc;
}

/* Write out every block in flight. */
static int drain_all(struct s2e_zwriter *w)
{
	while (!s2e_zring_empty(&w->ring))
		if (drain_one(w))
			return -1;
	return s2e_zring_check(&w->ring);
}

static void submit_cur(struct s2e_zwriter *w)
{
	s2e_zring_submit(&w->ring, S2E_ZSLOT_PENDING);
	w->cur = NULL;
	w->submitted++;
}

/* The block to fill, making room by writing out the oldest ourselves. */
static int start_block(struct s2e_zwriter *w)
{
	while (s2e_zring_full(&w->ring))
		if (drain_one(w))
			return -1;
	if (s2e_zring_check(&w->ring))
		return -1;
	w->cur = s2e_zring_get(&w->ring);
	if (!w->cur)
		return -1;
	w->cur->in_len = 0;
	return 0;
}

static int ring_write(struct s2e_zwriter *w, const unsigned char *p, size_t len)
{
	while (len) {
		if (!w->cur && start_block(w))
			return -1;
		size_t take = w->cur->in_cap - w->cur->in_len;
		if (take > len)
			take = len;
		memcpy(w->cur->in + w->cur->in_len, p, take);
		w->cur->in_len += take;
		p += take;
		len -= take;
		if (w->cur->in_len == w->cur->in_cap)
			submit_cur(w);
	}
	return 0;
}

static int plain_write(struct s2e_zwriter *w, const unsigned char *p, size_t len)
{
	while (len) {
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
	}
	return 0;
}

int s2e_zwriter_write(struct s2e_zwriter *w, const void *buf, size_t len)
{
	if (w->format == S2E_Z_NONE)
		return plain_write(w, buf, len);
	return ring_write(w, buf, len);
}

int s2e_zwriter_finish(struct s2e_zwriter *w)
{
	if (w->format == S2E_Z_NONE) {
		if (w->buf_len && w->sink(w->ctx, w->buf, w->buf_len))
			return -1;
		w->buf_len = 0;
		return 0;
	}
	/* Nothing written: still one valid (empty) gzip member. */
	if (w->format == S2E_Z_GZIP && !w->submitted && !w->cur && start_block(w))
		return -1;
	if (w->cur && (w->cur->in_len || w->format == S2E_Z_GZIP))
		submit_cur(w);
	if (drain_all(w))
		return -1;
	/* zstd: the feeder is idle now, end the frame here. */
	return w->format == S2E_Z_ZSTD ? zstd_pump(w, NULL, 0, ZSTD_e_end) : 0;
}

void s2e_zwriter_free(struct s2e_zwriter *w)
{
	if (!w)
		return;
	s2e_zring_free(&w->ring);
	for (unsigned i = 0; i < S2E_ZRING_MAX_WORKERS; i++)
		if (w->comp[i])
			libdeflate_free_compressor(w->comp[i]);
	ZSTD_freeCCtx(w->zc);
	free(w->buf);
	free(w);
}
