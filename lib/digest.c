/* SPEC §4.2: SHA-256 of the concatenated SHA-256s of 1 MiB chunks.
 *
 * Chunks are hashed by a pool of threads in batches; the batch's chunk
 * digests are folded into the outer hash in order, so memory stays bounded
 * (one buffer per thread plus one batch of 32-byte digests) whatever the
 * image size.  A chunk with no data extent (SEEK_DATA says so) is not read:
 * its digest is that of zeros, computed once. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/progress.h"
#include "s2e/sys.h"

#define SHA_LEN 32
#define BATCH 4096 /* chunks per batch: 4 GiB of image, 128 KiB of digests */

/* The digest of a chunk of zeros, computed on first use (and again after a
 * failure, which is reported rather than leaving a wrong digest behind). */
static unsigned char zero_chunk_digest[SHA_LEN];
static pthread_mutex_t zero_lock = PTHREAD_MUTEX_INITIALIZER;
static int zero_ready;

static int sha256(const void *data, size_t len, unsigned char out[SHA_LEN])
{
	return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* 0 once zero_chunk_digest is set, or -1 with the error set. */
static int zero_digest_init(void)
{
	int rc = 0;

	pthread_mutex_lock(&zero_lock);
	if (!zero_ready) {
		void *zeros = calloc(1, S2E_DIGEST_CHUNK);
		if (!zeros)
			rc = s2e_error("out of memory");
		else if (sha256(zeros, S2E_DIGEST_CHUNK, zero_chunk_digest))
			rc = s2e_error("cannot compute SHA-256");
		else
			zero_ready = 1;
		free(zeros);
	}
	pthread_mutex_unlock(&zero_lock);
	return rc;
}

void s2e_sha256_hex(const unsigned char md[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		*out++ = digits[md[i] >> 4];
		*out++ = digits[md[i] & 15];
	}
	*out = '\0';
}

static void hex(const unsigned char md[SHA_LEN], char out[S2E_DIGEST_LEN])
{
	memcpy(out, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX));
	s2e_sha256_hex(md, out + strlen(S2E_DIGEST_PREFIX));
}

struct job {
	int fd;
	uint64_t size;
	uint64_t first; /* first chunk of the batch */
	uint64_t count; /* chunks in the batch */
	atomic_uint_fast64_t next;
	unsigned char *digests;
	struct s2e_progress *progress;
	atomic_int failed;
	int error_errno; /* written by the first worker that fails, only */
};

static int hash_chunk(struct job *job, unsigned char *buf, uint64_t index)
{
	uint64_t off = index * S2E_DIGEST_CHUNK;
	size_t len = job->size - off < S2E_DIGEST_CHUNK ? (size_t)(job->size - off) : S2E_DIGEST_CHUNK;
	unsigned char *md = job->digests + (index - job->first) * SHA_LEN;

	if (len == S2E_DIGEST_CHUNK && s2e_range_is_hole(job->fd, off, len)) {
		memcpy(md, zero_chunk_digest, SHA_LEN);
		return 0;
	}
	if (s2e_pread_full(job->fd, buf, len, off))
		return -1;
	return sha256(buf, len, md);
}

/* Record a worker's failure: the first one keeps its errno. */
static void job_fail(struct job *job, int err)
{
	if (!atomic_exchange(&job->failed, 1))
		job->error_errno = err;
}

static void *worker(void *arg)
{
	struct job *job = arg;
	unsigned char *buf = malloc(S2E_DIGEST_CHUNK);

	if (!buf) {
		job_fail(job, ENOMEM);
		return NULL;
	}
	while (!atomic_load(&job->failed)) {
		uint64_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->count)
			break;
		if (hash_chunk(job, buf, job->first + i)) {
			job_fail(job, errno);
			break;
		}
		s2e_progress_add(job->progress, S2E_DIGEST_CHUNK);
	}
	free(buf);
	return NULL;
}

static int run_batch(struct job *job, unsigned threads)
{
	pthread_t tids[64];
	unsigned started = 0;

	atomic_store(&job->next, 0);
	for (unsigned t = 1; t < threads && t < 64; t++) {
		if (pthread_create(&tids[started], NULL, worker, job))
			break;
		started++;
	}
	worker(job);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	if (atomic_load(&job->failed)) {
		errno = job->error_errno;
		return s2e_error_errno("cannot read data to digest");
	}
	return 0;
}

int s2e_digest_fd(int fd, unsigned threads, struct s2e_progress *progress, char out[S2E_DIGEST_LEN])
{
	unsigned char md[SHA_LEN];
	struct stat st;
	struct job job = {.fd = fd, .progress = progress};
	EVP_MD_CTX *outer;
	uint64_t chunks;
	int rc = 0;

	if (zero_digest_init())
		return -1;
	if (fstat(fd, &st))
		return s2e_error_errno("cannot stat file to digest");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return s2e_error("cannot digest: not a regular file");
	job.size = (uint64_t)st.st_size;
	if (threads == 0)
		threads = s2e_cores();
	chunks = (job.size + S2E_DIGEST_CHUNK - 1) / S2E_DIGEST_CHUNK;
	job.digests = malloc((size_t)(chunks < BATCH ? (chunks ? chunks : 1) : BATCH) * SHA_LEN);
	outer = EVP_MD_CTX_new();
	if (!job.digests || !outer || EVP_DigestInit_ex(outer, EVP_sha256(), NULL) != 1) {
		rc = s2e_error("out of memory");
		goto out;
	}
	for (job.first = 0; job.first < chunks; job.first += job.count) {
		job.count = chunks - job.first < BATCH ? chunks - job.first : BATCH;
		rc = run_batch(&job, threads);
		if (rc)
			goto out;
		EVP_DigestUpdate(outer, job.digests, (size_t)job.count * SHA_LEN);
	}
	EVP_DigestFinal_ex(outer, md, NULL);
	hex(md, out);
out:
	EVP_MD_CTX_free(outer);
	free(job.digests);
	return rc;
}

int s2e_digest_file(const char *path, unsigned threads, char out[S2E_DIGEST_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return s2e_error_errno("cannot open '%s'", path);
	rc = s2e_digest_fd(fd, threads, NULL, out);
	close(fd);
	if (rc)
		s2e_error_prefix("cannot digest '%s'", path);
	return rc;
}

struct s2e_digest_stream {
	EVP_MD_CTX *outer, *chunk;
	size_t in_chunk; /* bytes fed into the current chunk */
};

struct s2e_digest_stream *s2e_digest_stream_new(void)
{
	struct s2e_digest_stream *d;

	if (zero_digest_init())
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto fail;
	d->outer = EVP_MD_CTX_new();
	d->chunk = EVP_MD_CTX_new();
	if (!d->outer || !d->chunk || EVP_DigestInit_ex(d->outer, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(d->chunk, EVP_sha256(), NULL) != 1)
		goto fail;
	return d;
fail:
	s2e_digest_stream_free(d);
	s2e_error("out of memory");
	return NULL;
}

static void close_chunk(struct s2e_digest_stream *d)
{
	unsigned char md[SHA_LEN];

	EVP_DigestFinal_ex(d->chunk, md, NULL);
	EVP_DigestUpdate(d->outer, md, SHA_LEN);
	EVP_DigestInit_ex(d->chunk, EVP_sha256(), NULL);
	d->in_chunk = 0;
}

int s2e_digest_stream_data(struct s2e_digest_stream *d, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		size_t take = S2E_DIGEST_CHUNK - d->in_chunk;
		if (take > len)
			take = len;
		EVP_DigestUpdate(d->chunk, p, take);
		d->in_chunk += take;
		p += take;
		len -= take;
		if (d->in_chunk == S2E_DIGEST_CHUNK)
			close_chunk(d);
	}
	return 0;
}

int s2e_digest_stream_zeros(struct s2e_digest_stream *d, uint64_t len)
{
	static const unsigned char zeros[65536];

	while (len) {
		if (d->in_chunk == 0 && len >= S2E_DIGEST_CHUNK) {
			EVP_DigestUpdate(d->outer, zero_chunk_digest, SHA_LEN);
			len -= S2E_DIGEST_CHUNK;
			continue;
		}
		size_t take = S2E_DIGEST_CHUNK - d->in_chunk;
		if (take > sizeof(zeros))
			take = sizeof(zeros);
		if (take > len)
			take = (size_t)len;
		s2e_digest_stream_data(d, zeros, take);
		len -= take;
	}
	return 0;
}

int s2e_digest_stream_finish(struct s2e_digest_stream *d, char out[S2E_DIGEST_LEN])
{
	unsigned char md[SHA_LEN];

	if (d->in_chunk)
		close_chunk(d);
	EVP_DigestFinal_ex(d->outer, md, NULL);
	hex(md, out);
	return 0;
}

void s2e_digest_stream_free(struct s2e_digest_stream *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->outer);
	EVP_MD_CTX_free(d->chunk);
	free(d);
}

int s2e_digest_valid(const char *d)
{
	if (strncmp(d, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX)) ||
	    strlen(d) != S2E_DIGEST_LEN - 1)
		return 0;
	for (d += strlen(S2E_DIGEST_PREFIX); *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return 0;
	return 1;
}
