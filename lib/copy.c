#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "s2e/copy.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

#define BUF_SIZE (4 * 1024 * 1024)
/* Pieces handed to one thread at a time. */
#define RW_CHUNK    (8 * 1024 * 1024)
#define RANGE_CHUNK (16 * 1024 * 1024)
#define ZERO_BLOCK  4096
#define MAX_THREADS 4
/* Below this much data one thread is as fast as several. */
#define THREAD_MIN_DATA (64ull * 1024 * 1024)

void s2e_copy_options_init(struct s2e_copy_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->reflink = S2E_REFLINK_AUTO;
}

int s2e_reflink_parse(const char *text, enum s2e_reflink *mode)
{
	if (!strcmp(text, "auto"))
		*mode = S2E_REFLINK_AUTO;
	else if (!strcmp(text, "always"))
		*mode = S2E_REFLINK_ALWAYS;
	else if (!strcmp(text, "never"))
		*mode = S2E_REFLINK_NEVER;
	else
		return s2e_error("invalid reflink mode %s (expected auto, always or never)",
				 s2e_q(text));
	return 0;
}

const char *s2e_copy_method_name(enum s2e_copy_method method)
{
	switch (method) {
	case S2E_COPY_EMPTY:
		return "no data";
	case S2E_COPY_REFLINK:
		return "reflink";
	case S2E_COPY_RANGE:
		return "copy_file_range";
	case S2E_COPY_RW:
		return "read/write";
	case S2E_COPY_DIRECT:
		return "direct read/write";
	}
	return "?";
}

/* Where the next data extent at or after `from` starts and ends.  Returns 0
 * with *start == size when there is no more data. */
static int next_extent(int fd, uint64_t from, uint64_t size, uint64_t *start, uint64_t *end)
{
	off_t data, hole;

	if (from >= size) {
		*start = *end = size;
		return 0;
	}
	data = lseek(fd, (off_t)from, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO) {
			*start = *end = size;
			return 0;
		}
		if (errno == EINVAL || errno == EOPNOTSUPP) {
			/* No hole support: all of it is data. */
			*start = from;
			*end = size;
			return 0;
		}
		return -1;
	}
	hole = lseek(fd, data, SEEK_HOLE);
	if (hole < 0)
		return -1;
	*start = (uint64_t)data < size ? (uint64_t)data : size;
	*end = (uint64_t)hole < size ? (uint64_t)hole : size;
	return 0;
}

int s2e_data_bytes(int fd, uint64_t size, uint64_t *bytes)
{
	uint64_t pos = 0, start, end, total = 0;

	while (pos < size) {
		if (next_extent(fd, pos, size, &start, &end))
			return s2e_error_errno("cannot find the data extents");
		if (start >= size)
			break;
		total += end - start;
		pos = end;
	}
	*bytes = total;
	return 0;
}

/* The state shared by the copying threads. */
struct job {
	int in, out;
	int out_direct; /* out reopened with O_DIRECT, or -1 */
	uint64_t size;
	const char *src, *dst;
	const struct s2e_copy_options *opt;
	pthread_mutex_t lock;
	/* Next byte to hand out, and the end of the extent it lies in. */
	uint64_t next, extent_end;
	uint64_t done; /* bytes of data finished, for progress */
	int use_range; /* copy_file_range, until the kernel says it cannot */
	int direct;    /* writes through out_direct, until it says EINVAL */
	int used_rw;
	uint64_t written;
	int failed;
	char message[1024];
};

static int job_get(struct job *job, int *field)
{
	int v;

	pthread_mutex_lock(&job->lock);
	v = *field;
	pthread_mutex_unlock(&job->lock);
	return v;
}

static void job_set(struct job *job, int *field, int v)
{
	pthread_mutex_lock(&job->lock);
	*field = v;
	pthread_mutex_unlock(&job->lock);
}

/* Keep the first error (the message is per thread). */
static void job_fail(struct job *job)
{
	pthread_mutex_lock(&job->lock);
	if (!job->failed) {
		job->failed = 1;
		snprintf(job->message, sizeof(job->message), "%s", s2e_error_last());
	}
	pthread_mutex_unlock(&job->lock);
}

/* Account for `finished` bytes and hand out the next piece of data to copy
 * (*len == 0: nothing left, or another thread failed). */
static int job_next(struct job *job, uint64_t finished, uint64_t chunk, uint64_t *off,
		    uint64_t *len)
{
	int rc = 0;

	pthread_mutex_lock(&job->lock);
	*len = 0;
	if (finished) {
		job->done += finished;
		if (job->opt->progress)
			job->opt->progress(job->opt->progress_arg, job->done);
	}
	if (job->failed)
		goto out;
	if (job->next >= job->extent_end) {
		uint64_t start, end;
		if (next_extent(job->in, job->next, job->size, &start, &end)) {
			s2e_error_errno("cannot read %s", s2e_q(job->src));
			job->failed = 1;
			snprintf(job->message, sizeof(job->message), "%s", s2e_error_last());
			rc = -1;
			goto out;
		}
		job->next = start;
		job->extent_end = end;
	}
	if (job->next >= job->size)
		goto out;
	*off = job->next;
	*len = job->extent_end - job->next;
	if (*len > chunk)
		*len = chunk;
	job->next += *len;
out:
	pthread_mutex_unlock(&job->lock);
	return rc;
}

static int all_zero(const unsigned char *p, size_t n)
{
	/* A zero first word, then the buffer equals itself shifted by it. */
	if (n < 16)
		return p[0] == 0 && (n < 2 || !memcmp(p, p + 1, n - 1));
	for (size_t i = 0; i < 16; i++)
		if (p[i])
			return 0;
	return !memcmp(p, p + 16, n - 16);
}

static int write_all_at(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Write one run of data.  Direct I/O when everything is aligned: the data goes
 * to the disk without passing through the page cache, so the final fsync has
 * nothing left to flush, and several threads can have writes in flight (the
 * blocks are allocated first so that the writes are overwrites, which ext4
 * and XFS let run in parallel). */
static int job_write(struct job *job, const unsigned char *p, size_t n, uint64_t off)
{
	if (job->out_direct >= 0 && off % ZERO_BLOCK == 0 && n % ZERO_BLOCK == 0 &&
	    (uintptr_t)p % ZERO_BLOCK == 0 && job_get(job, &job->direct)) {
		if (fallocate(job->out_direct, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)n) &&
		    errno != EOPNOTSUPP && errno != ENOSYS)
			return s2e_error_errno("cannot write %s", s2e_q(job->dst));
		if (write_all_at(job->out_direct, p, n, off) == 0)
			return 0;
		if (errno != EINVAL)
			return s2e_error_errno("cannot write %s", s2e_q(job->dst));
		job_set(job, &job->direct, 0); /* refused after all: buffered from now on */
	}
	if (write_all_at(job->out, p, n, off))
		return s2e_error_errno("cannot write %s", s2e_q(job->dst));
	return 0;
}

/* read/write of [off, off+len): zero blocks are not written (they stay holes
 * in the new file). */
static int copy_rw(struct job *job, unsigned char *buf, uint64_t off, uint64_t len,
		   uint64_t *written)
{
	while (len) {
		size_t want = len < BUF_SIZE ? (size_t)len : BUF_SIZE, got = 0;
		while (got < want) {
			ssize_t r = pread(job->in, buf + got, want - got, (off_t)(off + got));
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return s2e_error_errno("cannot read %s", s2e_q(job->src));
			}
			if (r == 0)
				return s2e_error(
				    "cannot read %s: the file shrank while being copied",
				    s2e_q(job->src));
			got += (size_t)r;
		}
		/* Write each run of non-zero blocks with one write.  Blocks are
		 * aligned to the file offset so holes land on block boundaries. */
		size_t pos = 0, run = 0;
		int in_run = 0;
		while (pos < want) {
			size_t blk = ZERO_BLOCK - (size_t)((off + pos) % ZERO_BLOCK);
			if (blk > want - pos)
				blk = want - pos;
			int zero = all_zero(buf + pos, blk);
			if (!zero && !in_run) {
				run = pos;
				in_run = 1;
			} else if (zero && in_run) {
				if (job_write(job, buf + run, pos - run, off + run))
					return -1;
				*written += pos - run;
				in_run = 0;
			}
			pos += blk;
		}
		if (in_run) {
			size_t end = want;
			/* Pad the file's last partial block so that it can go direct;
			 * the final ftruncate cuts the padding off. */
			if (end % ZERO_BLOCK && off + end == job->size &&
			    end + ZERO_BLOCK <= BUF_SIZE) {
				memset(buf + end, 0, ZERO_BLOCK - end % ZERO_BLOCK);
				end += ZERO_BLOCK - end % ZERO_BLOCK;
			}
			if (job_write(job, buf + run, end - run, off + run))
				return -1;
			*written += want - run;
		}
		off += want;
		len -= want;
	}
	return 0;
}

/* copy_file_range of [off, off+len).  Returns 1 when the kernel cannot do it
 * for these files (the caller goes on with read/write from *done). */
static int copy_range(struct job *job, uint64_t off, uint64_t len, uint64_t *done)
{
	*done = 0;
	while (*done < len) {
		loff_t in_off = (loff_t)(off + *done), out_off = in_off;
		ssize_t n =
		    copy_file_range(job->in, &in_off, job->out, &out_off, (size_t)(len - *done), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS ||
			    errno == EINVAL || errno == EBADF || errno == ETXTBSY)
				return 1;
			return s2e_error_errno("cannot write %s", s2e_q(job->dst));
		}
		if (n == 0)
			return s2e_error("cannot read %s: the file shrank while being copied",
					 s2e_q(job->src));
		*done += (uint64_t)n;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct job *job = arg;
	unsigned char *buf = NULL;
	uint64_t off, len, finished = 0, written = 0;

	for (;;) {
		int use_range = job_get(job, &job->use_range);
		uint64_t done = 0;

		if (job_next(job, finished, use_range ? RANGE_CHUNK : RW_CHUNK, &off, &len) || !len)
			break;
		if (use_range) {
			int rc = copy_range(job, off, len, &done);
			if (rc < 0) {
				job_fail(job);
				break;
			}
			if (rc == 0) {
				finished = len;
				continue;
			}
			job_set(job, &job->use_range, 0);
		}
		if (!buf && posix_memalign((void **)&buf, ZERO_BLOCK, BUF_SIZE)) {
			buf = NULL;
			s2e_error("out of memory");
			job_fail(job);
			break;
		}
		if (copy_rw(job, buf, off + done, len - done, &written)) {
			job_fail(job);
			break;
		}
		job_set(job, &job->used_rw, 1);
		finished = len;
	}
	free(buf);
	pthread_mutex_lock(&job->lock);
	job->written += written;
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

/* Local disk file systems: there copy_file_range is a page-cache copy that
 * still has to be flushed, and direct writes are faster (see bench/clone). */
static int local_disk_fs(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return 0;
	switch ((unsigned long)sfs.f_type) {
	case 0xEF53:	 /* ext2/3/4 */
	case 0x58465342: /* XFS */
	case 0x9123683E: /* btrfs */
	case 0xF2F52010: /* F2FS */
	case 0xCA451A4E: /* bcachefs */
	case 0x3153464A: /* JFS */
		return 1;
	}
	return 0;
}

static int open_direct(int fd)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return open(proc, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

static unsigned thread_count(const struct s2e_copy_options *opt, uint64_t data, int direct)
{
	unsigned n = opt->threads;

	/* Buffered writes to one file are serialised by the kernel; direct
	 * overwrites are not, and a few in flight keep the disk busy.  Small
	 * files are not worth the threads. */
	if (!n)
		n = direct && data >= THREAD_MIN_DATA ? MAX_THREADS : 1;
	return n > MAX_THREADS ? MAX_THREADS : n;
}

static int copy_data(int in, int out, uint64_t size, const struct s2e_copy_options *opt,
		     const char *src, const char *dst, struct s2e_copy_result *result)
{
	struct job job = {
	    .in = in,
	    .out = out,
	    .out_direct = -1,
	    .size = size,
	    .src = src,
	    .dst = dst,
	    .opt = opt,
	};
	pthread_t tids[MAX_THREADS];
	unsigned n, started = 0;
	uint64_t data;

	if (s2e_data_bytes(in, size, &data))
		return s2e_error_prefix("%s", s2e_q(src));
	result->data = data;
	if (!data) {
		result->method = S2E_COPY_EMPTY;
		return 0;
	}
	/* Direct writes pay off when the data must reach the disk anyway. */
	if (!opt->no_direct && !opt->no_sync && local_disk_fs(out))
		job.out_direct = open_direct(out);
	job.direct = job.out_direct >= 0;
	job.use_range = !job.direct && opt->reflink != S2E_REFLINK_NEVER && !opt->no_copy_range;
	/* Direct writes within the final size are not extending writes. */
	if (job.direct && ftruncate(out, (off_t)size)) {
		close(job.out_direct);
		return s2e_error_errno("cannot write %s", s2e_q(dst));
	}
	n = thread_count(opt, data, job.direct);
	pthread_mutex_init(&job.lock, NULL);
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&tids[started], NULL, worker, &job))
			break;
		started++;
	}
	worker(&job);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&job.lock);
	if (job.out_direct >= 0)
		close(job.out_direct);
	if (job.failed)
		return s2e_error("%s", job.message);
	if (!job.used_rw)
		result->method = S2E_COPY_RANGE;
	else
		result->method = job.direct ? S2E_COPY_DIRECT : S2E_COPY_RW;
	result->written = job.written;
	return 0;
}

static int reflink_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTTY || err == EINVAL || err == ENOSYS ||
	       err == EXDEV || err == EPERM || err == ETXTBSY;
}

int s2e_copy_fd(int in, int out, uint64_t size, const struct s2e_copy_options *opt, const char *src,
		const char *dst, struct s2e_copy_result *result)
{
	struct s2e_copy_result scratch;

	if (!result)
		result = &scratch;
	memset(result, 0, sizeof(*result));
	result->size = size;
	if (opt->reflink != S2E_REFLINK_NEVER) {
		if (ioctl(out, FICLONE, in) == 0) {
			result->method = S2E_COPY_REFLINK;
			if (s2e_data_bytes(in, size, &result->data))
				result->data = size;
			if (opt->progress)
				opt->progress(opt->progress_arg, result->data);
			return 0;
		}
		if (!reflink_unsupported(errno))
			return s2e_error_errno("cannot reflink %s to %s", s2e_q(src), s2e_q(dst));
		if (opt->reflink == S2E_REFLINK_ALWAYS) {
			if (errno == EXDEV)
				return s2e_error("cannot reflink %s to %s: they are on different "
						 "file systems",
						 s2e_q(src), s2e_q(dst));
			return s2e_error("cannot reflink %s to %s: the file system does not "
					 "support reflinks (%s)",
					 s2e_q(src), s2e_q(dst), strerror(errno));
		}
	}
	if (copy_data(in, out, size, opt, src, dst, result))
		return -1;
	if (ftruncate(out, (off_t)size))
		return s2e_error_errno("cannot write %s", s2e_q(dst));
	return 0;
}

/* The destination's temporary: an O_TMPFILE when the file system has them
 * (nothing to clean up after a crash), else a hidden name next to dst. */
struct tmpfile {
	int fd;
	char *path; /* NULL for O_TMPFILE */
};

static int tmp_open(const char *dst, struct tmpfile *t)
{
	char *copy = s2e_strdup(dst), *base_copy = s2e_strdup(dst);
	const char *dir, *base;
	int rc = -1;

	t->fd = -1;
	t->path = NULL;
	if (!copy || !base_copy)
		goto out;
	dir = dirname(copy);
	base = basename(base_copy);
	t->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t->fd >= 0) {
		rc = 0;
		goto out;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
		s2e_error_errno("cannot create a file in %s", s2e_q(dir));
		goto out;
	}
	if (errno == ENOENT) {
		s2e_error_errno("cannot create %s", s2e_q(dst));
		goto out;
	}
	t->path = s2e_asprintf("%s/.%s.snapcp-XXXXXX", dir, base);
	if (!t->path)
		goto out;
	t->fd = mkostemp(t->path, O_CLOEXEC);
	if (t->fd < 0) {
		s2e_error_errno("cannot create a file in %s", s2e_q(dir));
		free(t->path);
		t->path = NULL;
		goto out;
	}
	rc = 0;
out:
	free(copy);
	free(base_copy);
	return rc;
}

static void tmp_discard(struct tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->path) {
		unlink(t->path);
		free(t->path);
	}
	t->fd = -1;
	t->path = NULL;
}

/* Give the finished temporary its name. */
static int tmp_commit(struct tmpfile *t, const char *dst, int force)
{
	char proc[64];
	char *named = NULL;

	if (t->path) {
		if (force) {
			if (rename(t->path, dst))
				return s2e_error_errno("cannot create %s", s2e_q(dst));
		} else if (renameat2(AT_FDCWD, t->path, AT_FDCWD, dst, RENAME_NOREPLACE)) {
			if (errno != EINVAL && errno != ENOSYS)
				return s2e_error_errno("cannot create %s", s2e_q(dst));
			/* No RENAME_NOREPLACE here: link(2) refuses an existing name. */
			if (link(t->path, dst))
				return s2e_error_errno("cannot create %s", s2e_q(dst));
			unlink(t->path);
		}
		free(t->path);
		t->path = NULL;
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
	if (!force) {
		if (linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != ENOENT || linkat(t->fd, "", AT_FDCWD, dst, AT_EMPTY_PATH))
			return s2e_error_errno("cannot create %s", s2e_q(dst));
		return 0;
	}
	/* Replacing: link under a hidden name next to dst, then rename over it. */
	char *copy = s2e_strdup(dst), *base_copy = s2e_strdup(dst);
	const char *dir, *base;
	int linked = 0;
	if (!copy || !base_copy)
		goto out;
	dir = dirname(copy);
	base = basename(base_copy);
	for (int attempt = 0; attempt < 100 && !linked; attempt++) {
		free(named);
		named = s2e_asprintf("%s/.%s.snapcp-%ld-%d", dir, base, (long)getpid(), attempt);
		if (!named)
			goto out;
		if (linkat(AT_FDCWD, proc, AT_FDCWD, named, AT_SYMLINK_FOLLOW) == 0 ||
		    (errno == ENOENT && linkat(t->fd, "", AT_FDCWD, named, AT_EMPTY_PATH) == 0))
			linked = 1;
		else if (errno != EEXIST)
			break;
	}
	if (!linked) {
		s2e_error_errno("cannot create %s", s2e_q(dst));
	} else if (rename(named, dst)) {
		s2e_error_errno("cannot create %s", s2e_q(dst));
		unlink(named);
		linked = 0;
	}
out:
	free(copy);
	free(base_copy);
	free(named);
	return linked ? 0 : -1;
}

static int fsync_parent(const char *path)
{
	char *copy = s2e_strdup(path);
	int rc;

	if (!copy)
		return -1;
	rc = s2e_fsync_dir(dirname(copy));
	free(copy);
	return rc;
}

int s2e_copy_file(const char *src, const char *dst, const struct s2e_copy_options *opt,
		  struct s2e_copy_result *result)
{
	struct s2e_copy_options defaults;
	struct tmpfile t = {-1, NULL};
	struct stat st, dst_st;
	struct timespec times[2];
	int in;

	if (!opt) {
		s2e_copy_options_init(&defaults);
		opt = &defaults;
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return s2e_error_errno("cannot open %s", s2e_q(src));
	if (fstat(in, &st)) {
		s2e_error_errno("cannot stat %s", s2e_q(src));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		s2e_error("cannot copy %s: not a regular file", s2e_q(src));
		goto fail;
	}
	if (lstat(dst, &dst_st) == 0) {
		if (S_ISDIR(dst_st.st_mode)) {
			s2e_error("cannot create %s: it is a directory", s2e_q(dst));
			goto fail;
		}
		if (dst_st.st_dev == st.st_dev && dst_st.st_ino == st.st_ino) {
			s2e_error("cannot copy %s to %s: they are the same file", s2e_q(src),
				  s2e_q(dst));
			goto fail;
		}
		if (!opt->force) {
			s2e_error("cannot create %s: it already exists (use -f to replace it)",
				  s2e_q(dst));
			goto fail;
		}
	} else if (errno != ENOENT) {
		s2e_error_errno("cannot create %s", s2e_q(dst));
		goto fail;
	}
	if (tmp_open(dst, &t))
		goto fail;
	if (s2e_copy_fd(in, t.fd, (uint64_t)st.st_size, opt, src, dst, result))
		goto fail;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (fchmod(t.fd, st.st_mode & 07777) || futimens(t.fd, times)) {
		s2e_error_errno("cannot set the mode and times of %s", s2e_q(dst));
		goto fail;
	}
	if (!opt->no_sync && fsync(t.fd)) {
		s2e_error_errno("cannot write %s", s2e_q(dst));
		goto fail;
	}
	if (tmp_commit(&t, dst, opt->force))
		goto fail;
	close(t.fd);
	t.fd = -1;
	close(in);
	return opt->no_sync ? 0 : fsync_parent(dst);
fail:
	tmp_discard(&t);
	close(in);
	return -1;
}
