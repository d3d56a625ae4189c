/* In-use marks: see include/s2e/inuse.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/inuse.h"
#include "s2e/quote.h"

static char *mark_path(const char *root, const char *kind, const char *name, int create_dir)
{
	char *dir = s2e_asprintf("%s/.s2e/inuse/%s", root, kind), *path = NULL;

	if (dir && (!create_dir || !s2e_mkdir_p(dir, 0777)))
		path = s2e_path_join(dir, name);
	free(dir);
	return path;
}

int s2e_inuse_take(const char *root, const char *kind, const char *name, int exclusive,
		   struct s2e_inuse *mark)
{
	char *path = mark_path(root, kind, name, 1);
	int fd;

	mark->fd = -1;
	if (!path)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		s2e_error_errno("cannot open %s", s2e_q(path));
		free(path);
		return -1;
	}
	free(path);
	while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		close(fd);
		if (errno == EWOULDBLOCK)
			return s2e_error("%s %s is in use by a running s2e vm run",
					 *kind == 'v' ? "VM" : "experiment", s2e_q(name));
		return s2e_error_errno("cannot mark %s in use", s2e_q(name));
	}
	mark->fd = fd;
	return 0;
}

void s2e_inuse_release(struct s2e_inuse *mark)
{
	if (mark->fd >= 0)
		close(mark->fd);
	mark->fd = -1;
}

int s2e_inuse_held(const char *root, const char *kind, const char *name)
{
	char *path = mark_path(root, kind, name, 0);
	int fd, held;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : s2e_error_errno("cannot check whether %s is in use",
							     s2e_q(name));
	while ((held = flock(fd, LOCK_EX | LOCK_NB)) && errno == EINTR)
		;
	held = held ? (errno == EWOULDBLOCK ? 1 : -1) : 0;
	if (held < 0)
		s2e_error_errno("cannot check whether %s is in use", s2e_q(name));
	close(fd); /* drops our probe lock too */
	return held;
}

int s2e_inuse_refuse(const char *root, const char *name)
{
	switch (s2e_inuse_held(root, S2E_INUSE_VM, name)) {
	case 0:
		return 0;
	case 1:
		return s2e_error("VM %s is in use by a running s2e vm run", s2e_q(name));
	default:
		return -1;
	}
}
