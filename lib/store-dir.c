/* Directory stores (a local disk or any shared file system): objects are
 * files under the root; writes go to a hidden temporary in the same directory,
 * then link(2) (no replace) or rename(2) into place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"
#include "store-backend.h"

#define IO_BUF 65536

struct dir_store {
	char *root;
};

static char *object_path(struct s2e_store *st, const char *name)
{
	struct dir_store *d = st->priv;

	return s2e_path_join(d->root, name);
}

static int dir_stat(struct s2e_store *st, void *conn, const char *name)
{
	char *path = object_path(st, name);
	struct stat sb;
	int rc;

	(void)conn;
	if (!path)
		return -1;
	if (lstat(path, &sb) == 0)
		rc = S_ISREG(sb.st_mode) ? 1
					 : s2e_error("store %s: %s is not a regular file",
						     s2e_q(st->url), s2e_q(name));
	else if (errno == ENOENT || errno == ENOTDIR)
		rc = 0;
	else
		rc = s2e_error_errno("store %s: cannot stat %s", s2e_q(st->url), s2e_q(name));
	free(path);
	return rc;
}

static int dir_touch(struct s2e_store *st, void *conn, const char *name)
{
	char *path = object_path(st, name);
	int rc;

	(void)conn;
	if (!path)
		return -1;
	if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) == 0)
		rc = 1;
	else if (errno == ENOENT || errno == ENOTDIR)
		rc = 0;
	else
		rc = s2e_error_errno("store %s: cannot touch %s", s2e_q(st->url), s2e_q(name));
	free(path);
	return rc == 1 ? dir_stat(st, conn, name) : rc;
}

static int dir_get(struct s2e_store *st, void *conn, const char *name, s2e_store_sink_fn sink,
		   void *ctx)
{
	char *path = object_path(st, name);
	char buf[IO_BUF];
	struct stat sb;
	int fd, rc = 1;

	(void)conn;
	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		s2e_error_set(S2E_ENOTFOUND, "store %s: %s not found", s2e_q(st->url), s2e_q(name));
		return 0;
	}
	if (fd < 0)
		return s2e_error_errno("store %s: cannot open %s", s2e_q(st->url), s2e_q(name));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return s2e_error("store %s: %s is not a regular file", s2e_q(st->url), s2e_q(name));
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = s2e_error_errno("store %s: cannot read %s", s2e_q(st->url),
					     s2e_q(name));
			break;
		}
		if (n == 0 || sink(ctx, buf, (size_t)n)) {
			rc = n == 0 ? 1 : -1;
			break;
		}
	}
	close(fd);
	return rc;
}

/* The body at offset 0 of the new file, through a small buffer for a file body. */
static int write_body(int fd, const struct s2e_store_body *body)
{
	char buf[IO_BUF];

	if (body->buf)
		return s2e_pwrite_full(fd, body->buf, (size_t)body->len, 0);
	for (uint64_t done = 0; done < body->len;) {
		size_t want = body->len - done < IO_BUF ? (size_t)(body->len - done) : IO_BUF;
		if (s2e_pread_full(body->fd, buf, want, done) ||
		    s2e_pwrite_full(fd, buf, want, done))
			return -1;
		done += want;
	}
	return 0;
}

/* Move tmp to path; with NOREPLACE or EXCL an existing path wins and tmp
 * goes (EXCL: -1 with errno EEXIST). */
static int install(const char *tmp, const char *path, int flags)
{
	int excl = flags & S2E_STORE_EXCL;

	if (!(flags & (S2E_STORE_NOREPLACE | S2E_STORE_EXCL)))
		return rename(tmp, path);
	int linked = link(tmp, path) == 0;

	if (linked || errno == EEXIST) {
		int exists = !linked;
		unlink(tmp);
		errno = EEXIST;
		return exists && excl ? -1 : 0;
	}
	/* No hard links on this file system: rename without replacing. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST) {
		unlink(tmp);
		errno = EEXIST;
		return excl ? -1 : 0;
	}
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return rename(tmp, path);
}

/* 0, -1, or 1 when the temporary vanished before it was installed (a gc
 * running at the same time took it for one a killed writer left). */
static int put_once(struct s2e_store *st, const char *name, const struct s2e_store_body *body,
		    int flags)
{
	char *path = object_path(st, name), *dir = NULL, *tmp = NULL;
	int fd = -1, rc = -1;

	if (!path || !(dir = s2e_strdup(path)))
		goto out;
	dirname(dir);
	if (s2e_mkdir_p(dir, 0777))
		goto out;
	if (!(tmp = s2e_asprintf("%s/.%s.tmp.XXXXXX", dir, strrchr(path, '/') + 1)))
		goto out;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		s2e_error_errno("store %s: cannot create a temporary for %s", s2e_q(st->url),
				s2e_q(name));
		goto out;
	}
	/* Without SYNC, writeback starts at once: the s2e_store_sync() that a
	 * push makes before its manifest then has little left to wait for. */
	if (write_body(fd, body) || fchmod(fd, 0644) || ((flags & S2E_STORE_SYNC) && fsync(fd)) ||
	    (!(flags & S2E_STORE_SYNC) && sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)) ||
	    close(fd)) {
		s2e_error_errno("store %s: cannot write %s", s2e_q(st->url), s2e_q(name));
		fd = -2;
		goto out;
	}
	fd = -2;
	if (install(tmp, path, flags)) {
		if (errno == EEXIST) {
			rc = s2e_error_set(S2E_EEXISTS, "store %s: %s already exists",
					   s2e_q(st->url), s2e_q(name));
		} else {
			int vanished = errno == ENOENT;
			s2e_error_errno("store %s: cannot rename into %s", s2e_q(st->url),
					s2e_q(name));
			rc = vanished ? 1 : -1;
		}
		goto out;
	}
	rc = (flags & S2E_STORE_SYNC) ? s2e_fsync_dir(dir) : 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp && fd != -1)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(path);
	return rc;
}

static int dir_put(struct s2e_store *st, void *conn, const char *name,
		   const struct s2e_store_body *body, int flags)
{
	int rc = 1;

	(void)conn;
	for (int i = 0; rc == 1 && i < 3; i++)
		rc = put_once(st, name, body, flags);
	return rc == 1 ? -1 : rc;
}

static int dir_del(struct s2e_store *st, void *conn, const char *name)
{
	char *path = object_path(st, name);
	int rc = 0;

	(void)conn;
	if (!path)
		return -1;
	if (unlink(path) && errno != ENOENT)
		rc = s2e_error_errno("store %s: cannot remove %s", s2e_q(st->url), s2e_q(name));
	free(path);
	return rc;
}

/* The chunk is moved aside first and its time checked after: a push that
 * refreshed it before the move is seen (it goes back), one that looks after
 * the move finds it gone and puts it again.  Checking in place would leave a
 * moment between the check and the removal in which a refresh is lost. */
static int dir_del_older(struct s2e_store *st, void *conn, const char *name, time_t before)
{
	char *path = object_path(st, name), *aside = NULL;
	const char *base = path ? strrchr(path, '/') : NULL;
	struct stat sb;
	int fd, rc = -1;

	(void)conn;
	if (!base || !(aside = s2e_asprintf("%.*s/.%s.tmp.XXXXXX", (int)(base - path), path,
					    base + 1)))
		goto out;
	if ((fd = mkostemp(aside, O_CLOEXEC)) < 0) {
		s2e_error_errno("store %s: cannot set %s aside", s2e_q(st->url), s2e_q(name));
		goto out;
	}
	close(fd);
	if (rename(path, aside)) {
		rc = errno == ENOENT ? 0 : s2e_error_errno("store %s: cannot set %s aside",
							    s2e_q(st->url), s2e_q(name));
		unlink(aside);
	} else if (lstat(aside, &sb) == 0 && sb.st_mtime >= before) {
		rc = install(aside, path, S2E_STORE_NOREPLACE) && errno != EEXIST
			     ? s2e_error_errno("store %s: cannot put %s back", s2e_q(st->url),
					       s2e_q(name))
			     : 0;
	} else {
		rc = unlink(aside) ? s2e_error_errno("store %s: cannot remove %s", s2e_q(st->url),
						     s2e_q(name))
				   : 1;
	}
out:
	free(aside);
	free(path);
	return rc;
}

/* A hidden temporary of dir_put: ".NAME.tmp.XXXXXX". */
static int is_temporary(const char *name)
{
	const char *t = strstr(name, ".tmp.");

	return name[0] == '.' && t && t > name + 1 && strlen(t) == 11;
}

/* Walk root/rel recursively (rel ends with '/' or is ""): the regular files,
 * or with temps only the hidden temporaries. */
static int walk(struct s2e_store *st, const char *rel, int temps, s2e_store_list_fn fn, void *ctx)
{
	struct dir_store *d = st->priv;
	char *path = s2e_path_join(d->root, rel);
	DIR *dir = path ? opendir(path) : NULL;
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		int missing = path && (errno == ENOENT || errno == ENOTDIR);
		rc = missing ? 0
		     : path
			 ? s2e_error_errno("store %s: cannot list %s", s2e_q(st->url), s2e_q(rel))
			 : -1;
		free(path);
		return rc;
	}
	while (rc == 0 && (errno = 0, de = readdir(dir))) {
		struct stat sb;
		char *child;
		if (de->d_name[0] == '.' && !(temps && is_temporary(de->d_name)))
			continue; /* ".", "..", temporaries, anything hidden */
		if (!(child = s2e_asprintf("%s%s", rel, de->d_name)))
			rc = -1;
		else if (fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			rc = errno == ENOENT ? 0
					     : s2e_error_errno("store %s: cannot stat %s",
							       s2e_q(st->url), s2e_q(child));
		else if (S_ISDIR(sb.st_mode)) {
			char *sub = s2e_asprintf("%s/", child);
			rc = sub ? walk(st, sub, temps, fn, ctx) : -1;
			free(sub);
		} else if (S_ISREG(sb.st_mode) && (de->d_name[0] == '.') == !!temps)
			rc = fn(ctx, child, (uint64_t)sb.st_size, sb.st_mtime);
		free(child);
	}
	closedir(dir);
	free(path);
	return rc;
}

static int dir_list(struct s2e_store *st, void *conn, const char *dir, s2e_store_list_fn fn,
		    void *ctx)
{
	(void)conn;
	return walk(st, dir, 0, fn, ctx);
}

struct stale {
	struct s2e_store *st;
	time_t before;
	uint64_t *removed;
};

static int remove_if_stale(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	struct stale *s = ctx;

	(void)size;
	if (mtime >= s->before)
		return 0;
	if (dir_del(s->st, NULL, name))
		return -1;
	(*s->removed)++;
	return 0;
}

static int dir_remove_stale(struct s2e_store *st, time_t before, uint64_t *removed)
{
	struct stale s = {st, before, removed};

	return walk(st, "", 1, remove_if_stale, &s);
}

static int dir_sync(struct s2e_store *st)
{
	struct dir_store *d = st->priv;
	int fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0
				       : s2e_error_errno("store %s: cannot open", s2e_q(st->url));
	if (syncfs(fd))
		rc = s2e_error_errno("store %s: cannot sync", s2e_q(st->url));
	close(fd);
	return rc;
}

static void dir_close(struct s2e_store *st)
{
	struct dir_store *d = st->priv;

	if (d)
		free(d->root);
	free(d);
}

static const struct s2e_store_ops dir_ops = {
    .stat = dir_stat,
    .touch = dir_touch,
    .get = dir_get,
    .put = dir_put,
    .del = dir_del,
    .del_older = dir_del_older,
    .list = dir_list,
    .sync = dir_sync,
    .remove_stale = dir_remove_stale,
    .close = dir_close,
};

int s2e_store_dir_open(struct s2e_store *st, const char *path)
{
	struct dir_store *d;
	struct stat sb;

	if (!*path)
		return s2e_error("store %s: empty path", s2e_q(st->url));
	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
		return s2e_error("store %s: not a directory", s2e_q(st->url));
	d = calloc(1, sizeof(*d));
	if (!d || !(d->root = s2e_strdup(path))) {
		free(d);
		return s2e_error("out of memory");
	}
	st->ops = &dir_ops;
	st->priv = d;
	st->writable = 1;
	st->network = 0;
	return 0;
}
