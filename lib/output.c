/* Files that appear complete or not at all: see include/s2e/output.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/output.h"
#include "s2e/quote.h"

/* PATH's directory, malloc'd. */
static char *dir_of(const char *path)
{
	char *dir = s2e_strdup(path), *slash;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/* "DIR/.BASE.XXXXXX" next to PATH, with a fresh random suffix. */
static char *hidden_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned long long)getpid() * 2654435761u ^ (unsigned long long)time(NULL);
	return s2e_asprintf("%.*s.%s.%06llx", (int)(base - path), path, base, r & 0xffffff);
}

int s2e_output_open(struct s2e_output *out, const char *path, int force)
{
	struct stat st;
	char *dir;

	*out = (struct s2e_output){.fd = -1, .force = force};
	if (!force && !lstat(path, &st))
		return s2e_error("%s already exists (use -f to replace it)", s2e_q(path));
	if (!(out->path = s2e_strdup(path)) || !(dir = dir_of(path)))
		return -1;
	out->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (out->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		out->tmp = hidden_name(path);
		out->fd = out->tmp ? open(out->tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666)
				   : -1;
		if (out->fd < 0 && out->tmp) {
			free(out->tmp);
			out->tmp = NULL;
		}
	}
	if (out->fd < 0)
		s2e_error_errno("cannot create a temporary file in %s", s2e_q(dir));
	free(dir);
	return out->fd < 0 ? -1 : 0;
}

/* Give the anonymous file a hidden name next to PATH. */
static int link_hidden(struct s2e_output *out)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->fd);
	for (int tries = 0; tries < 100; tries++) {
		if (!(out->tmp = hidden_name(out->path)))
			return -1;
		if (!linkat(AT_FDCWD, proc, AT_FDCWD, out->tmp, AT_SYMLINK_FOLLOW))
			return 0;
		free(out->tmp);
		out->tmp = NULL;
		if (errno != EEXIST)
			break;
	}
	return s2e_error_errno("cannot create %s", s2e_q(out->path));
}

/* Without force: PATH must not exist at this very moment. */
static int put_new(struct s2e_output *out)
{
	char proc[64];

	if (!out->tmp) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->fd);
		return linkat(AT_FDCWD, proc, AT_FDCWD, out->path, AT_SYMLINK_FOLLOW);
	}
	if (!renameat2(AT_FDCWD, out->tmp, AT_FDCWD, out->path, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(out->tmp, out->path))
		return -1;
	unlink(out->tmp);
	return 0;
}

int s2e_output_commit(struct s2e_output *out)
{
	char *dir;
	int rc;

	if (fsync(out->fd))
		return s2e_error_errno("cannot write %s", s2e_q(out->path));
	if (out->force) {
		if (!out->tmp && link_hidden(out))
			return -1;
		rc = rename(out->tmp, out->path);
	} else {
		rc = put_new(out);
	}
	if (rc)
		return errno == EEXIST ? s2e_error("%s already exists", s2e_q(out->path))
				       : s2e_error_errno("cannot create %s", s2e_q(out->path));
	free(out->tmp); /* renamed or unlinked by now */
	out->tmp = NULL;
	close(out->fd);
	out->fd = -1;
	dir = dir_of(out->path);
	if (dir)
		s2e_fsync_dir(dir);
	free(dir);
	return 0;
}

void s2e_output_abort(struct s2e_output *out)
{
	if (out->tmp)
		unlink(out->tmp);
	if (out->fd >= 0)
		close(out->fd);
	free(out->tmp);
	free(out->path);
	*out = (struct s2e_output){.fd = -1};
}
