/* libFuzzer harness: the bytes are a package stream, read by s2e_unpack() in
 * list or check mode; a stream that passes the check is also extracted into
 * a scratch directory, which is emptied again afterwards. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/package.h"

static int memfd = -1, dir_fd = -1;
static char dir[] = "/tmp/s2e-fuzz-unpack.XXXXXX";

static void empty_dir(void)
{
	DIR *d = fdopendir(dup(dir_fd));
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dir_fd, e->d_name, 0);
	closedir(d);
}

static void cleanup(void)
{
	empty_dir();
	rmdir(dir);
}

static int run(const uint8_t *data, size_t size, enum s2e_unpack_mode mode)
{
	/* Small bounds: digesting holes costs a hash per MiB of apparent size,
	 * and the fuzzer would spend its time there. */
	struct s2e_unpack_opts o = {.mode = mode,
				    .threads = 1,
				    .no_sync = 1,
				    .max_size = 64 << 20,
				    .max_total = 256 << 20,
				    .max_snapshots = 64};
	struct s2e_unpack_result res;
	int fd, rc;

	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	fd = dup(memfd);
	if (fd < 0 || lseek(fd, 0, SEEK_SET))
		abort();
	rc = s2e_unpack(fd, dir_fd, &o, &res);
	close(fd);
	s2e_unpack_result_free(&res);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("package", MFD_CLOEXEC);
	if (memfd < 0 || !mkdtemp(dir) || (dir_fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One pass per input (each costs a few MiB of fresh buffers under ASan):
	 * list one input in four, check the others, extract what checks. */
	if (size % 4 == 0)
		run(data, size, S2E_UNPACK_LIST);
	else if (run(data, size, S2E_UNPACK_CHECK) == 0) {
		run(data, size, S2E_UNPACK_EXTRACT);
		empty_dir();
	}
	s2e_error_clear();
	return 0;
}
