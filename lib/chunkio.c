/* Files to chunks and back: see include/s2e/chunkio.h.
 *
 * Both directions use one small worker pool: a ring of WINDOW slots between
 * the thread that walks the index (in file order) and the workers that hash,
 * compress and transfer chunks, so at most WINDOW entries are in flight. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "s2e/chunk.h"
#include "s2e/chunkio.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/sys.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/store.h"

#define WINDOW	    1024
#define MAX_WORKERS 256
/* unchunk: start writing back every this many bytes written, so that the
 * fdatasync() before the rename has little left to wait for */
#define WRITEBACK_KICK (32 << 20)

struct worker;

struct slot {
	struct s2e_caindex_entry e;
	int done;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slot slots[WINDOW];
	uint64_t head, tail, next; /* produced, consumed, handed to a worker */
	uint64_t total;		   /* chunk: number of chunks */
	int eof, failed;
	char *error;
	struct s2e_store *st;
	const struct s2e_chunk_options *o;
	struct s2e_chunk_stats *stats;
	int fd; /* chunk: the file; unchunk: the output */
	uint64_t size;
	const char *name;
	int zero_stored;
	uint64_t unsynced; /* unchunk: bytes written since the last writeback kick */
	/* fed entries: what a worker does with one */
	int (*one)(struct worker *w, const struct s2e_caindex_entry *e);
};

struct worker {
	struct pool *p;
	struct s2e_store_conn *conn;
	struct s2e_chunk_codec *codec;
	unsigned char *buf, *cbuf;
	size_t ccap;
	uint64_t sent; /* the current chunk's bytes transferred, for the progress bar */
	pthread_t tid;
};

static void pool_fail(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	if (!p->failed) {
		p->failed = 1;
		p->error = strdup(s2e_error_last());
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void stat_add(struct pool *p, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&p->lock);
	*field += n;
	pthread_mutex_unlock(&p->lock);
}

static int worker_setup(struct worker *w, struct pool *p)
{
	w->p = p;
	w->ccap = ZSTD_compressBound(S2E_CHUNK_MAX);
	w->buf = malloc(S2E_CHUNK_MAX);
	w->cbuf = malloc(w->ccap);
	if (!w->buf || !w->cbuf)
		return s2e_error("out of memory");
	if (!(w->codec = s2e_chunk_codec_new(p->o->level)))
		return -1;
	if (p->st && !(w->conn = s2e_store_conn_new(p->st)))
		return -1;
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	s2e_store_conn_free(w->conn);
	s2e_chunk_codec_free(w->codec);
	free(w->buf);
	free(w->cbuf);
}

/* The data of a chunk named by a known index, read only when the store
 * lacks it, and checked against its ID: the file may have changed since. */
static int load_known(struct worker *w, const struct s2e_caindex_entry *e)
{
	struct pool *p = w->p;
	unsigned char got[S2E_CHUNK_ID_LEN];

	if (s2e_pread_full(p->fd, w->buf, e->size, e->offset))
		return s2e_error_errno("cannot read %s", s2e_q(p->name));
	s2e_chunk_id(w->buf, e->size, got);
	if (memcmp(got, e->id, S2E_CHUNK_ID_LEN))
		return s2e_error("%s changed while it was being pushed", s2e_q(p->name));
	return 0;
}

/* Put one chunk unless the store has it; the zero chunk only once per run.
 * Unless loaded, w->buf is filled by load_known() only if the chunk is put. */
static int store_chunk(struct worker *w, const struct s2e_caindex_entry *e, int zero, int loaded)
{
	struct pool *p = w->p;
	const void *z;
	size_t zlen;
	int has;

	if (zero) {
		pthread_mutex_lock(&p->lock);
		has = p->zero_stored;
		p->zero_stored = 1;
		pthread_mutex_unlock(&p->lock);
		if (has)
			return 0;
		memset(w->buf, 0, e->size);
	}
	has = s2e_store_touch_chunk(w->conn, e->id);
	if (has < 0)
		return -1;
	if (has) {
		stat_add(p, &p->stats->present, 1);
		return 0;
	}
	if ((!loaded && !zero && load_known(w, e)) ||
	    s2e_chunk_compress(w->codec, w->buf, e->size, &z, &zlen) ||
	    s2e_store_put_chunk(w->conn, e->id, z, zlen))
		return -1;
	stat_add(p, &p->stats->stored, 1);
	stat_add(p, &p->stats->stored_bytes, zlen);
	w->sent = zlen;
	return 0;
}

static int chunk_one(struct worker *w, uint64_t i, struct s2e_caindex_entry *e)
{
	struct pool *p = w->p;
	uint64_t off = i * S2E_CHUNK_MAX;
	int zero = 0;

	e->offset = off;
	e->size = p->size - off < S2E_CHUNK_MAX ? (uint32_t)(p->size - off) : S2E_CHUNK_MAX;
	if (e->size == S2E_CHUNK_MAX && s2e_range_is_hole(p->fd, off, e->size)) {
		zero = 1;
	} else {
		if (s2e_pread_full(p->fd, w->buf, e->size, off))
			return s2e_error_errno("cannot read %s", s2e_q(p->name));
		zero = e->size == S2E_CHUNK_MAX && s2e_chunk_is_zero(w->buf, e->size);
	}
	if (zero)
		memcpy(e->id, s2e_chunk_zero_id(), S2E_CHUNK_ID_LEN);
	else
		s2e_chunk_id(w->buf, e->size, e->id);
	if (zero)
		stat_add(p, &p->stats->zero, 1);
	w->sent = 0;
	if (p->st && store_chunk(w, e, zero, 1))
		return -1;
	s2e_progress_chunk(p->o->progress, e->size, w->sent);
	return 0;
}

static void *chunk_worker(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;

	for (;;) {
		struct s2e_caindex_entry e;
		uint64_t i;
		pthread_mutex_lock(&p->lock);
		while (!p->failed && p->next < p->total && p->next >= p->tail + WINDOW)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->failed || p->next >= p->total) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (chunk_one(w, i, &e)) {
			pool_fail(p);
			return NULL;
		}
		pthread_mutex_lock(&p->lock);
		p->slots[i % WINDOW].e = e;
		p->slots[i % WINDOW].done = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

static unsigned jobs_for(struct s2e_store *st, const struct s2e_chunk_options *o)
{
	unsigned n = o->jobs ? o->jobs : st ? s2e_store_default_jobs(st) : s2e_cores();

	return n > MAX_WORKERS ? MAX_WORKERS : n ? n : 1;
}

/* Start the workers; the pool fails if none could be started. */
static struct worker *start_workers(struct pool *p, unsigned n, void *(*fn)(void *),
				    unsigned *started)
{
	struct worker *ws = calloc(n, sizeof(*ws));

	*started = 0;
	if (!ws) {
		s2e_error("out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (worker_setup(&ws[i], p) || pthread_create(&ws[i].tid, NULL, fn, &ws[i])) {
			if (i == 0)
				pool_fail(p);
			worker_cleanup(&ws[i]);
			break;
		}
		(*started)++;
	}
	return ws;
}

static int stop_workers(struct pool *p, struct worker *ws, unsigned started, int rc)
{
	if (rc && !p->failed)
		pool_fail(p);
	pthread_mutex_lock(&p->lock);
	p->eof = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		worker_cleanup(&ws[i]);
	}
	free(ws);
	if (p->failed) {
		s2e_error("%s", p->error ? p->error : "out of memory");
		rc = -1;
	}
	free(p->error);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	return rc;
}

static struct pool *pool_new(struct s2e_store *st, const struct s2e_chunk_options *o,
			     struct s2e_chunk_stats *stats, int fd, const char *name)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p) {
		s2e_error("out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->st = st;
	p->o = o;
	p->stats = stats;
	p->fd = fd;
	p->name = name;
	memset(stats, 0, sizeof(*stats));
	return p;
}

/* Collect the workers' entries in order into the index. */
static int chunk_collect(struct pool *p, struct s2e_caindex_writer *iw)
{
	EVP_MD_CTX *ids = EVP_MD_CTX_new();
	unsigned char md[S2E_CHUNK_ID_LEN];
	int rc = 0;

	if (!ids || EVP_DigestInit_ex(ids, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ids);
		return s2e_error("out of memory");
	}
	for (uint64_t j = 0; j < p->total && rc == 0; j++) {
		struct s2e_caindex_entry e;
		pthread_mutex_lock(&p->lock);
		while (!p->failed && !p->slots[j % WINDOW].done)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->failed) {
			pthread_mutex_unlock(&p->lock);
			rc = -1;
			break;
		}
		e = p->slots[j % WINDOW].e;
		p->slots[j % WINDOW].done = 0;
		p->tail = j + 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		rc = s2e_caindex_writer_add(iw, e.id, e.size);
		EVP_DigestUpdate(ids, e.id, S2E_CHUNK_ID_LEN);
		p->stats->chunks++;
	}
	EVP_DigestFinal_ex(ids, md, NULL);
	EVP_MD_CTX_free(ids);
	memcpy(p->stats->digest, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX));
	s2e_chunk_hex(md, p->stats->digest + strlen(S2E_DIGEST_PREFIX));
	return rc;
}

int s2e_chunk_fd(struct s2e_store *st, int fd, const char *name, int index_fd,
		 const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats)
{
	struct s2e_caindex_writer *iw = s2e_caindex_writer_new(index_fd, name);
	struct pool *p = iw ? pool_new(st, o, stats, fd, name) : NULL;
	struct worker *ws = NULL;
	struct stat sb;
	unsigned started = 0;
	int rc = -1;

	if (!p)
		goto out;
	if (st && !s2e_store_writable(st)) {
		s2e_error("store %s is read-only", s2e_q(s2e_store_url(st)));
		goto out;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		s2e_error("cannot chunk %s: not a regular file", s2e_q(name));
		goto out;
	}
	p->size = (uint64_t)sb.st_size;
	p->total = (p->size + S2E_CHUNK_MAX - 1) / S2E_CHUNK_MAX;
	stats->bytes = p->size;
	ws = start_workers(p, jobs_for(st, o), chunk_worker, &started);
	rc = ws ? chunk_collect(p, iw) : -1;
	rc = stop_workers(p, ws, started, rc);
	if (rc == 0)
		rc = s2e_caindex_writer_finish(iw);
	free(p);
	p = NULL;
out:
	free(p);
	s2e_caindex_writer_free(iw);
	return rc;
}

/* Get, decompress and check one chunk into w->buf; 0, or -1 with the error. */
static int fetch_chunk(struct worker *w, const struct s2e_caindex_entry *e)
{
	struct pool *p = w->p;
	size_t clen, len;
	int rc;

	if (p->o->seed) {
		rc = p->o->seed(p->o->seed_ctx, e->id, e->size, w->buf);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			unsigned char got[S2E_CHUNK_ID_LEN];
			s2e_chunk_id(w->buf, e->size, got);
			if (memcmp(got, e->id, S2E_CHUNK_ID_LEN) == 0) {
				stat_add(p, &p->stats->seeded, 1);
				return 0;
			}
		}
	}
	rc = s2e_store_get_chunk(w->conn, e->id, w->cbuf, w->ccap, &clen);
	if (rc == 0) {
		char hex[S2E_CHUNK_HEX_LEN];
		s2e_chunk_hex(e->id, hex);
		return s2e_error("store %s: chunk %s is missing (needed by %s)",
				 s2e_q(s2e_store_url(p->st)), hex, s2e_q(p->name));
	}
	if (rc < 0 || s2e_chunk_decompress(w->codec, w->cbuf, clen, e->id, e->size, w->buf, &len))
		return -1;
	stat_add(p, &p->stats->fetched, 1);
	stat_add(p, &p->stats->fetched_bytes, clen);
	w->sent = clen;
	return 0;
}

/* Write the non-zero 4 KiB blocks of buf: the output is new, so zeros stay holes. */
static int write_sparse(int fd, const unsigned char *buf, size_t len, uint64_t off)
{
	size_t start = 0;

	while (start < len) {
		size_t end = start, blk;
		while (start < len &&
		       s2e_chunk_is_zero(buf + start, len - start < 4096 ? len - start : 4096))
			start += 4096;
		if (start >= len)
			break;
		for (end = start; end < len; end += blk) {
			blk = len - end < 4096 ? len - end : 4096;
			if (s2e_chunk_is_zero(buf + end, blk))
				break;
		}
		if (end > len)
			end = len;
		if (s2e_pwrite_full(fd, buf + start, end - start, off + start))
			return -1;
		start = end;
	}
	return 0;
}

static void writeback_kick(struct pool *p, uint64_t written)
{
	int kick;

	pthread_mutex_lock(&p->lock);
	p->unsynced += written;
	kick = p->unsynced >= WRITEBACK_KICK;
	if (kick)
		p->unsynced = 0;
	pthread_mutex_unlock(&p->lock);
	if (kick)
		sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

static int unchunk_one(struct worker *w, const struct s2e_caindex_entry *e)
{
	struct pool *p = w->p;

	w->sent = 0;
	if (e->size == S2E_CHUNK_MAX && !memcmp(e->id, s2e_chunk_zero_id(), S2E_CHUNK_ID_LEN)) {
		stat_add(p, &p->stats->zero, 1); /* a hole: never fetched, never written */
	} else {
		if (fetch_chunk(w, e))
			return -1;
		if (s2e_chunk_is_zero(w->buf, e->size))
			stat_add(p, &p->stats->zero, 1);
		else if (p->fd >= 0 && write_sparse(p->fd, w->buf, e->size, e->offset))
			return s2e_error_errno("cannot write %s", s2e_q(p->name));
		else if (p->fd >= 0 && !p->o->no_sync)
			writeback_kick(p, e->size);
	}
	s2e_progress_chunk(p->o->progress, e->size, w->sent);
	return 0;
}

static void *feed_worker(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;

	for (;;) {
		struct s2e_caindex_entry e;
		pthread_mutex_lock(&p->lock);
		while (!p->failed && !p->eof && p->tail == p->head)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->failed || p->tail == p->head) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		e = p->slots[p->tail++ % WINDOW].e;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (p->one(w, &e)) {
			pool_fail(p);
			return NULL;
		}
	}
}

/* Walk the index, handing entries to the workers; then wait for them. */
static int feed(struct pool *p, struct s2e_caindex_reader *r)
{
	struct s2e_caindex_entry e;
	int rc;

	while ((rc = s2e_caindex_next(r, &e)) > 0) {
		pthread_mutex_lock(&p->lock);
		while (!p->failed && p->head - p->tail == WINDOW)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->failed) {
			pthread_mutex_unlock(&p->lock);
			return -1;
		}
		p->slots[p->head++ % WINDOW].e = e;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		p->stats->chunks++;
	}
	return rc;
}

/* Hand every entry of the index to `one` on the workers; stats get the
 * index's size and digest (an empty digest when its chunks are not all 1 MiB). */
static int run_index(struct s2e_store *st, struct s2e_caindex_reader *r, const char *name, int fd,
		     const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats,
		     int (*one)(struct worker *w, const struct s2e_caindex_entry *e))
{
	struct pool *p = r ? pool_new(st, o, stats, fd, name) : NULL;
	struct worker *ws;
	unsigned started;
	int rc = -1;

	if (!p)
		goto out;
	p->one = one;
	ws = start_workers(p, jobs_for(st, o), feed_worker, &started);
	rc = ws ? feed(p, r) : -1;
	rc = stop_workers(p, ws, started, rc);
	if (rc == 0) {
		stats->bytes = s2e_caindex_size(r);
		if (!s2e_caindex_digest(r, stats->digest))
			stats->digest[0] = '\0';
	}
out:
	free(p);
	s2e_caindex_reader_free(r);
	return rc;
}

int s2e_unchunk_fd(struct s2e_store *st, int index_fd, const char *index_name, int out_fd,
		   const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats)
{
	struct s2e_caindex_reader *r = s2e_caindex_reader_new(index_fd, index_name, o->expect_size);
	int rc = run_index(st, r, index_name, out_fd, o, stats, unchunk_one);

	if (rc == 0 && out_fd >= 0 && ftruncate(out_fd, (off_t)stats->bytes))
		rc = s2e_error_errno("cannot set the size of the file rebuilt from %s",
				     s2e_q(index_name));
	return rc;
}

static int known_one(struct worker *w, const struct s2e_caindex_entry *e)
{
	int zero = e->size == S2E_CHUNK_MAX && !memcmp(e->id, s2e_chunk_zero_id(), S2E_CHUNK_ID_LEN);

	if (zero)
		stat_add(w->p, &w->p->stats->zero, 1);
	w->sent = 0;
	if (store_chunk(w, e, zero, 0))
		return -1;
	s2e_progress_chunk(w->p->o->progress, e->size, w->sent);
	return 0;
}

int s2e_chunk_known(struct s2e_store *st, int fd, const char *name, int index_fd,
		    const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats)
{
	struct stat sb;
	int rc;

	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		s2e_error("cannot chunk %s: not a regular file", s2e_q(name));
		return -1;
	}
	rc = run_index(st, s2e_caindex_reader_new(index_fd, name, (uint64_t)sb.st_size), name, fd,
		       o, stats, known_one);
	if (rc == 0 && !stats->digest[0])
		rc = s2e_error("%s: the index does not use 1 MiB chunks", s2e_q(name));
	return rc;
}

int s2e_unchunk_file(struct s2e_store *st, int index_fd, const char *index_name, const char *out,
		     const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats)
{
	char *dir = s2e_strdup(out), *base = s2e_strdup(out), *tmp = NULL;
	int fd = -1, rc = -1;

	if (!dir || !base ||
	    !(tmp = s2e_asprintf("%s/.%s.tmp.XXXXXX", dirname(dir), basename(base))))
		goto out;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		s2e_error_errno("cannot create a temporary for %s", s2e_q(out));
		goto out;
	}
	if (s2e_unchunk_fd(st, index_fd, index_name, fd, o, stats))
		goto out;
	if (fchmod(fd, 0644) || (!o->no_sync && !o->sync_later && fdatasync(fd)) || close(fd)) {
		fd = -1;
		s2e_error_errno("cannot write %s", s2e_q(out));
		goto out;
	}
	fd = -1;
	if (rename(tmp, out)) {
		s2e_error_errno("cannot rename %s to %s", s2e_q(tmp), s2e_q(out));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(base);
	return rc;
}

int s2e_chunk_confirm(struct s2e_store *st, int fd, const char *name, int index_fd,
		      const struct s2e_chunk_options *o, struct s2e_chunk_stats *stats)
{
	struct s2e_chunk_options opt = *o;

	opt.progress = NULL;
	if (lseek(index_fd, 0, SEEK_SET))
		return s2e_error_errno("cannot read back the index of %s", s2e_q(name));
	return s2e_chunk_known(st, fd, name, index_fd, &opt, stats);
}
