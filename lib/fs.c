#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

char *s2e_strdup(const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		s2e_error("out of memory");
	return copy;
}

char *s2e_asprintf(const char *fmt, ...)
{
	char *out;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		s2e_error("out of memory");
		return NULL;
	}
	return out;
}

char *s2e_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (la && a[la - 1] == '/')
		return s2e_asprintf("%s%s", a, b);
	return s2e_asprintf("%s/%s", a, b);
}

int s2e_mkdir_p(const char *path, mode_t mode)
{
	char *copy = s2e_strdup(path);
	char *p;
	struct stat st;

	if (!copy)
		return -1;
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) && errno != EEXIST) {
			s2e_error_errno("cannot create directory %s", s2e_q(copy));
			free(copy);
			return -1;
		}
		*p = saved;
		if (!saved)
			break;
	}
	free(copy);
	if (stat(path, &st))
		return s2e_error_errno("cannot create directory %s", s2e_q(path));
	if (!S_ISDIR(st.st_mode))
		return s2e_error("cannot create directory %s: a file is in the way", s2e_q(path));
	return 0;
}

static int remove_at(int dirfd, const char *name, const char *shown)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		return s2e_error_errno("cannot remove %s", s2e_q(shown));
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) && errno != ENOENT)
			return s2e_error_errno("cannot remove %s", s2e_q(shown));
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return s2e_error_errno("cannot remove %s", s2e_q(shown));
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return s2e_error_errno("cannot remove %s", s2e_q(shown));
	}
	while (rc == 0 && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = remove_at(fd, de->d_name, shown);
	}
	closedir(dir);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) && errno != ENOENT)
		return s2e_error_errno("cannot remove %s", s2e_q(shown));
	return rc;
}

int s2e_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path, path);
}

int s2e_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return s2e_error_errno("cannot open directory %s", s2e_q(path));
	if (fsync(fd) && errno != EINVAL) {
		close(fd);
		return s2e_error_errno("cannot sync directory %s", s2e_q(path));
	}
	close(fd);
	return 0;
}

int s2e_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* the file shrank under us */
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

int s2e_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int s2e_range_is_hole(int fd, uint64_t off, uint64_t len)
{
	off_t data = lseek(fd, (off_t)off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO; /* no data after off */
	return (uint64_t)data >= off + len;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int s2e_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = s2e_asprintf("%s.tmp.XXXXXX", path);
	int fd;

	if (!tmp)
		return -1;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		s2e_error_errno("cannot create %s", s2e_q(tmp));
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) || fchmod(fd, mode) || fsync(fd)) {
		s2e_error_errno("cannot write %s", s2e_q(path));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		s2e_error_errno("cannot write %s", s2e_q(path));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path)) {
		s2e_error_errno("cannot rename %s to %s", s2e_q(tmp), s2e_q(path));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	s2e_tmp_discard(fd, tmp);
	return -1;
}

int s2e_is_atomic_tmp(const char *name, const char *base)
{
	size_t n = strlen(base);

	if (strncmp(name, base, n) || strncmp(name + n, ".tmp.", 5))
		return 0;
	name += n + 5;
	return strlen(name) == 6 && strspn(name, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 6;
}

void s2e_tmp_discard(int fd, char *tmp)
{
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
}

int s2e_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0, used = 0;

	if (!f)
		return s2e_error_errno("cannot open %s", s2e_q(path));
	for (;;) {
		if (used + 4096 + 1 > size) {
			size_t want = size ? size * 2 : 8192;
			char *grown = realloc(buf, want);
			if (!grown) {
				free(buf);
				fclose(f);
				return s2e_error("out of memory");
			}
			buf = grown;
			size = want;
		}
		size_t n = fread(buf + used, 1, size - used - 1, f);
		used += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return s2e_error_errno("cannot read %s", s2e_q(path));
	}
	fclose(f);
	buf[used] = '\0';
	*data = buf;
	if (len)
		*len = used;
	return 0;
}

int s2e_allocated(const char *path, uint64_t *bytes)
{
	struct stat st;

	if (stat(path, &st))
		return s2e_error_errno("cannot stat %s", s2e_q(path));
	*bytes = (uint64_t)st.st_blocks * 512;
	return 0;
}

int s2e_time_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

void s2e_time_utc_of(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char date[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", date, ts->tv_nsec);
}

int s2e_time_parse(const char *text, struct timespec *ts)
{
	struct tm tm = {0};
	const char *rest;
	long nsec = 0, scale = 100000000;

	if (!text)
		return -1;
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
			nsec += (*rest - '0') * scale;
	ts->tv_sec = timegm(&tm);
	ts->tv_nsec = nsec;
	return 0;
}

void s2e_time_utc(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	s2e_time_utc_of(&ts, buf, len);
}

char *s2e_which(const char *name)
{
	const char *path, *p;

	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st)) {
			s2e_error_errno("cannot run %s", s2e_q(name));
			return NULL;
		}
		if (!S_ISREG(st.st_mode) || access(name, X_OK)) {
			s2e_error("cannot run %s: not an executable file", s2e_q(name));
			return NULL;
		}
		return s2e_strdup(name);
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;;) {
		size_t len = strcspn(p, ":");
		char *cand = s2e_asprintf("%.*s/%s", (int)len, len ? p : ".", name);
		struct stat st;
		if (!cand)
			return NULL;
		if (!stat(cand, &st) && S_ISREG(st.st_mode) && !access(cand, X_OK))
			return cand;
		free(cand);
		p += len;
		if (!*p)
			break;
		p++;
	}
	s2e_error("cannot run %s: not found in PATH", s2e_q(name));
	return NULL;
}

int s2e_std_fds_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor: fd itself, as the ones below are open. */
		null = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
		if (null < 0)
			return -1;
		if (null != fd) {
			int rc = dup2(null, fd);
			close(null);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

void s2e_locale_utf8(void)
{
	setlocale(LC_CTYPE, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8"))
		setlocale(LC_CTYPE, "C.UTF-8");
}
