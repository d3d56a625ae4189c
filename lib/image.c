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

/* Read len bytes at off into buf; 0 when the file is shorter. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len;
}

/* The foreign format the first bytes (and the last 512) show, or NULL. */
static const char *foreign_format(int fd, off_t size)
{
	static const struct {
		const char *name, *magic;
		size_t len;
		off_t off;
	} magics[] = {
	    {"qcow2 (or qcow)", "QFI\xfb", 4, 0},
	    {"VMDK", "KDMV", 4, 0},
	    {"VMDK", "# Disk DescriptorFile", 21, 0},
	    {"VDI", "\x7f\x10\xda\xbe", 4, 0x40},
	    {"VHDX", "vhdxfile", 8, 0},
	    {"VHD", "conectix", 8, 0},
	    {"ISO 9660", "CD001", 5, 0x8001},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (read_at(fd, buf, magics[i].len, magics[i].off) &&
		    !memcmp(buf, magics[i].magic, magics[i].len))
			return magics[i].name;
	/* A fixed-size VHD is raw data followed by a 512-byte footer. */
	if (size >= 512 && read_at(fd, buf, 8, size - 512) && !memcmp(buf, "conectix", 8))
		return "VHD";
	return NULL;
}

int s2e_image_check_raw(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const char *format;

	if (fd < 0)
		return s2e_error_errno("cannot open %s", s2e_q(path));
	format = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? foreign_format(fd, st.st_size) : NULL;
	close(fd);
	if (format)
		return s2e_error("%s is a %s image, not a raw disk image: S2E runs raw images only; "
				 "convert it first with 'qemu-img convert -O raw %s DISK.raw'",
				 s2e_q(path), format, s2e_sq(path));
	return 0;
}
