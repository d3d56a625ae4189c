#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/image.h"
#include "s2e/quote.h"

static mode_t file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

int s2e_image_create(const char *path, uint64_t size, int force)
{
	char *tmp = s2e_asprintf("%s.s2e-tmp-XXXXXX", path);
	struct stat st;
	int fd;

	if (!tmp)
		return -1;
	if (!force && lstat(path, &st) == 0) {
		free(tmp);
		return s2e_error("cannot create image %s: it already exists", s2e_q(path));
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		s2e_error_errno("cannot create image %s", s2e_q(path));
		free(tmp);
		return -1;
	}
	if (ftruncate(fd, (off_t)size)) {
		if (errno == EFBIG || errno == EINVAL)
			s2e_error("cannot create image %s: %llu bytes is larger than this file "
				  "system allows",
				  s2e_q(path), (unsigned long long)size);
		else
			s2e_error_errno("cannot create image %s", s2e_q(path));
		goto fail;
	}
	if (fchmod(fd, file_mode()) || fsync(fd)) {
		s2e_error_errno("cannot create image %s", s2e_q(path));
		goto fail;
	}
	close(fd);
	fd = -1;
	/* link(2) refuses an existing path; rename(2) replaces it (with -f). */
	if (force ? rename(tmp, path) : link(tmp, path)) {
		if (errno == EEXIST)
			s2e_error("cannot create image %s: it already exists", s2e_q(path));
		else
			s2e_error_errno("cannot create image %s", s2e_q(path));
		goto fail;
	}
	if (!force)
		unlink(tmp);
	free(tmp);
	return 0;
fail:
	s2e_tmp_discard(fd, tmp);
	return -1;
}
