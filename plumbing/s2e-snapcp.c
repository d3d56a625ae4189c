/* s2e-snapcp: copy one disk image or snapshot file, copy-on-write where the
 * file system can, holes kept always.  See s2e-snapcp(1). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/copy.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/parse-options.h"
#include "s2e/progress.h"
#include "s2e/size.h"

static const char *const usage[] = {
	"s2e-snapcp [--reflink=auto|always|never] [--progress[=FD]] [--no-sync] [-j N] [-f] [-v] SRC DST",
	NULL,
	"Copy the image or snapshot file SRC to the new file DST: a reflink when the",
	"file system can, else a copy of the data that keeps holes.  DST appears",
	"complete or not at all.",
	NULL,
};

static const char *prog = "s2e-snapcp";

/* A bar on a terminal; "DONE TOTAL" records on any other --progress=FD. */
struct progress_state {
	struct s2e_progress *bar;
	FILE *records;
	uint64_t total;
};

static void on_progress(void *arg, uint64_t done)
{
	struct progress_state *ps = arg;

	s2e_progress_update(ps->bar, done);
	if (ps->records) {
		fprintf(ps->records, "%" PRIu64 " %" PRIu64 "\n", done, ps->total);
		fflush(ps->records);
	}
}

static int opt_reflink(const struct s2e_option *opt, const char *value)
{
	return s2e_reflink_parse(value, opt->value);
}

/* The total for the progress: bytes of data in SRC. */
static uint64_t data_total(const char *src)
{
	struct stat st;
	uint64_t bytes = 0;
	int fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || s2e_data_bytes(fd, (uint64_t)st.st_size, &bytes))
		bytes = 0;
	close(fd);
	return bytes;
}

/* Set up the progress output for --progress[=FD]; -1 if FD is unusable. */
static int progress_open(struct progress_state *ps, int fd, const char *src)
{
	char *copy;

	ps->total = data_total(src);
	if (fd == S2E_PROGRESS_BAR || isatty(fd)) {
		copy = strdup(src);
		ps->bar = s2e_progress_start(fd == S2E_PROGRESS_BAR ? STDERR_FILENO : fd,
					     copy ? basename(copy) : src, ps->total);
		free(copy);
		return 0;
	}
	if (!(ps->records = fdopen(fd, "w"))) {
		fprintf(stderr, "%s: cannot use --progress=%d: %s\n", prog, fd, strerror(errno));
		return -1;
	}
	return 0;
}

static void verbose_report(const char *src, const char *dst, const struct s2e_copy_result *r)
{
	char size[32], data[32];

	s2e_size_human(r->size, size, sizeof(size));
	s2e_size_human(r->data, data, sizeof(data));
	fprintf(stderr, "%s: %s -> %s: %s, %s (%s of data)\n", prog, src, dst,
		s2e_copy_method_name(r->method), size, data);
}

int main(int argc, char **argv)
{
	struct s2e_copy_options opt;
	struct s2e_copy_result result;
	struct progress_state ps = {NULL, NULL, 0};
	int verbose = 0, progress = S2E_PROGRESS_NONE, rc;

	s2e_copy_options_init(&opt);
	const struct s2e_option options[] = {
		OPT_CALLBACK(0, "reflink", &opt.reflink, "WHEN",
			     "auto (default): reflink if possible; always: or fail; never: copy",
			     opt_reflink),
		OPT_PROGRESS(&progress),
		OPT_BOOL(0, "no-sync", &opt.no_sync, "do not wait for the data to reach the disk"),
		OPT_JOBS(&opt.threads),
		OPT_BOOL('f', "force", &opt.force, "replace an existing DST"),
		OPT_VERBOSE(&verbose),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = prog, .usage = usage, .options = options};

	if (s2e_std_fds_open())
		return 1;
	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (argc != 2)
		return s2e_usage_fail(&cmd, stderr, "%s",
				      argc < 2 ? "expected SRC and DST" : "too many arguments");
	if (progress != S2E_PROGRESS_NONE) {
		if (progress_open(&ps, progress, argv[0]))
			return 2;
		opt.progress = on_progress;
		opt.progress_arg = &ps;
	}
	rc = s2e_copy_file(argv[0], argv[1], &opt, &result);
	s2e_progress_finish(ps.bar);
	if (ps.records)
		fclose(ps.records);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, s2e_error_last());
		return 1;
	}
	if (verbose)
		verbose_report(argv[0], argv[1], &result);
	return 0;
}
