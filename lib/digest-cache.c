/* The digest cache: see include/s2e/digest-cache.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/caindex.h"
#include "s2e/chunkio.h"
#include "s2e/digest-cache.h"
#include "s2e/error.h"
#include "s2e/fs.h"

struct entry {
	uint64_t size;
	struct timespec mtime, ctime, written;
	char digest[S2E_DIGEST_LEN];
};

static char *entry_path(const char *root, const struct stat *st)
{
	return s2e_asprintf("%s/.s2e/digests/%" PRIx64 "-%" PRIx64, root, (uint64_t)st->st_dev,
			    (uint64_t)st->st_ino);
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* 1 when the entry at `path` describes `st` and can be trusted. */
static int lookup(const char *path, const struct stat *st, char out[S2E_DIGEST_LEN])
{
	struct entry e;
	long long ms, mn, cs, cn, ws, wn;
	unsigned long long size;
	char digest[S2E_DIGEST_LEN + 1];
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "s2e-digest-cache 1 %llu %lld %lld %lld %lld %lld %lld %75s", &size, &ms, &mn,
		   &cs, &cn, &ws, &wn, digest);
	fclose(f);
	if (n != 8 || strlen(digest) != S2E_DIGEST_LEN - 1 ||
	    strncmp(digest, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX)))
		return 0;
	e.size = size;
	e.mtime = (struct timespec){(time_t)ms, mn};
	e.ctime = (struct timespec){(time_t)cs, cn};
	e.written = (struct timespec){(time_t)ws, wn};
	if (e.size != (uint64_t)st->st_size || !same_time(&e.mtime, &st->st_mtim) ||
	    !same_time(&e.ctime, &st->st_ctim))
		return 0;
	/* Racy: hashed in the same tick as the last change, so a write during
	 * the hashing may have left the times as they were. */
	if (ns(&e.written) - ns(&st->st_mtim) < S2E_DIGEST_CACHE_TICK_NS ||
	    ns(&e.written) - ns(&st->st_ctim) < S2E_DIGEST_CACHE_TICK_NS)
		return 0;
	memcpy(out, digest, S2E_DIGEST_LEN);
	return 1;
}

/* Best effort: a cache that cannot be written only costs a rehash later. */
static void store(const char *root, const char *path, const struct stat *st,
		  const struct timespec *started, const char digest[S2E_DIGEST_LEN])
{
	char *dir = s2e_path_join(root, ".s2e/digests"), *text;
	const struct timespec now = *started;

	text = s2e_asprintf("s2e-digest-cache 1 %llu %lld %ld %lld %ld %lld %ld %s\n",
			    (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
			    st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
			    (long long)now.tv_sec, now.tv_nsec, digest);
	if (dir && text && !s2e_mkdir_p(dir, 0777))
		s2e_write_file_atomic(path, text, strlen(text), 0644);
	s2e_error_clear();
	free(dir);
	free(text);
}

/* A file changed less than a tick ago: wait until the tick is over before
 * hashing it, so that the entry is trusted next time (a run's disk is
 * hashed right after QEMU's last write; the wait is at most one tick,
 * nothing next to hashing it).  A change during the wait starts it over,
 * a few times at most; a change time in the future is not waited for. */
static void wait_out_tick(int fd, struct stat *st)
{
	for (int i = 0; i < 3; i++) {
		struct timespec now, pause;
		long long last = ns(&st->st_mtim) > ns(&st->st_ctim) ? ns(&st->st_mtim)
								    : ns(&st->st_ctim);
		long long wait;

		clock_gettime(CLOCK_REALTIME, &now);
		wait = last + S2E_DIGEST_CACHE_TICK_NS - ns(&now);
		if (wait <= 0 || wait > S2E_DIGEST_CACHE_TICK_NS)
			return;
		pause.tv_sec = 0;
		pause.tv_nsec = (long)wait + 1000000;
		nanosleep(&pause, NULL);
		if (fstat(fd, st))
			return;
	}
}

/* An anonymous temporary for an index in the cache's directory, or -1. */
static int index_tmp(const char *root)
{
	char *dir = s2e_path_join(root, ".s2e/digests");
	int fd = dir && !s2e_mkdir_p(dir, 0777) ? open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)
						 : -1;

	s2e_error_clear();
	free(dir);
	return fd;
}

/* The digest, by way of the file's index (into ifd), for the index cache. */
static int digest_indexed(int fd, const char *path, int ifd, unsigned threads,
			  struct s2e_progress *progress, char out[S2E_DIGEST_LEN])
{
	struct s2e_chunk_options o = {.jobs = threads, .progress = progress};
	struct s2e_chunk_stats s;

	if (s2e_chunk_fd(NULL, fd, path, ifd, &o, &s))
		return -1;
	memcpy(out, s.digest, S2E_DIGEST_LEN);
	return 0;
}

int s2e_digest_cached(const char *root, const char *path, unsigned threads,
		      struct s2e_progress *progress, char out[S2E_DIGEST_LEN], int *hashed)
{
	struct stat before, after;
	struct timespec started;
	char *epath = NULL;
	int fd, ifd = -1, rc = -1;

	if (hashed)
		*hashed = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return s2e_error_errno("cannot open %s", path);
	if (fstat(fd, &before)) {
		s2e_error_errno("cannot stat %s", path);
		goto out;
	}
	epath = entry_path(root, &before);
	if (!epath)
		goto out;
	if (lookup(epath, &before, out)) {
		rc = 0;
		goto out;
	}
	if (hashed)
		*hashed = 1;
	wait_out_tick(fd, &before);
	clock_gettime(CLOCK_REALTIME, &started);
	if ((ifd = index_tmp(root)) >= 0 ? digest_indexed(fd, path, ifd, threads, progress, out)
					 : s2e_digest_fd(fd, threads, progress, out))
		goto out;
	rc = 0;
	/* Cache only what did not change while it was read. */
	if (ifd >= 0) {
		struct s2e_cache_stamp stamp = {.st = before, .started = started};
		s2e_index_cache_store(root, fd, &stamp, ifd, out);
	} else if (!fstat(fd, &after) && after.st_size == before.st_size &&
		   same_time(&after.st_mtim, &before.st_mtim) &&
		   same_time(&after.st_ctim, &before.st_ctim)) {
		store(root, epath, &before, &started, out);
	}
out:
	if (ifd >= 0)
		close(ifd);
	free(epath);
	close(fd);
	return rc;
}

/* ---- the index cache ---- */

int s2e_index_cached(const char *root, int fd, int prepare, struct s2e_cache_stamp *stamp,
		     char digest[S2E_DIGEST_LEN])
{
	char *epath = NULL, *ipath = NULL, got[S2E_DIGEST_LEN];
	uint64_t size;
	int ifd = -1;

	if (fstat(fd, &stamp->st) || !(epath = entry_path(root, &stamp->st)) ||
	    !(ipath = s2e_asprintf("%s.caibx", epath)))
		goto miss;
	if (lookup(epath, &stamp->st, digest) &&
	    (ifd = open(ipath, O_RDONLY | O_CLOEXEC)) >= 0 &&
	    !s2e_caindex_check_fd(ifd, ipath, (uint64_t)stamp->st.st_size, &size, got) &&
	    !strcmp(got, digest) && lseek(ifd, 0, SEEK_SET) == 0)
		goto out;
miss:
	if (ifd >= 0)
		close(ifd);
	ifd = -1;
	if (prepare) {
		wait_out_tick(fd, &stamp->st);
		clock_gettime(CLOCK_REALTIME, &stamp->started);
	}
out:
	s2e_error_clear();
	free(epath);
	free(ipath);
	return ifd;
}

void s2e_index_cache_store(const char *root, int fd, const struct s2e_cache_stamp *stamp,
			   int index_fd, const char digest[S2E_DIGEST_LEN])
{
	const struct stat *before = &stamp->st;
	char *epath = entry_path(root, before), *ipath = epath ? s2e_asprintf("%s.caibx", epath) : NULL;
	off_t len = lseek(index_fd, 0, SEEK_END);
	char *buf = len > 0 ? malloc((size_t)len) : NULL;
	struct stat after;

	if (ipath && buf && !s2e_pread_full(index_fd, buf, (size_t)len, 0) && !fstat(fd, &after) &&
	    after.st_size == before->st_size && same_time(&after.st_mtim, &before->st_mtim) &&
	    same_time(&after.st_ctim, &before->st_ctim)) {
		/* The index first: the entry is what makes it count. */
		char *dir = s2e_path_join(root, ".s2e/digests");
		if (dir && !s2e_mkdir_p(dir, 0777) &&
		    !s2e_write_file_atomic(ipath, buf, (size_t)len, 0644))
			store(root, epath, before, &stamp->started, digest);
		free(dir);
	}
	s2e_error_clear();
	free(buf);
	free(epath);
	free(ipath);
}
