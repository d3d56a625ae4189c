/* s2e-snapcp: copy one disk image or snapshot file, copy-on-write where the
 * file system can, holes kept always.  See s2e-snapcp(1). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/copy.h"
#include "s2e/error.h"
#include "s2e/progress.h"
#include "s2e/size.h"

static const char usage_text[] =
    "usage: s2e-snapcp [--reflink=auto|always|never] [--progress] [--no-sync] [-f] [-v] SRC DST\n"
    "\n"
    "Copy the image or snapshot file SRC to the new file DST: a reflink when the\n"
    "file system can, else a copy of the data that keeps holes.  DST appears\n"
    "complete or not at all.\n"
    "\n"
    "  --reflink=WHEN     auto (default): reflink if possible; always: reflink or\n"
    "                     fail; never: copy the bytes\n"
    "  --progress         show a progress bar on a terminal (stderr)\n"
    "  --progress=FD      write \"DONE TOTAL\" byte counts, one line per step, to FD\n"
    "                     (--progress-fd=FD is the same)\n"
    "  --no-sync          do not wait for the data to reach the disk (like cp)\n"
    "  -j, --threads=N    copy with N threads (at most 4 are used)\n"
    "  -f, --force        replace an existing DST\n"
    "  -v, --verbose      say how the file was copied\n"
    "  -h, --help         show this text\n";

static const char *prog = "s2e-snapcp";

struct progress_state {
	struct s2e_progress *bar;
	FILE *fd_out;
	uint64_t total;
};

static void on_progress(void *arg, uint64_t done)
{
	struct progress_state *ps = arg;

	s2e_progress_update(ps->bar, done);
	if (ps->fd_out) {
		fprintf(ps->fd_out, "%" PRIu64 " %" PRIu64 "\n", done, ps->total);
		fflush(ps->fd_out);
	}
}

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	return errno || end == text || *end || *text == '-' || *out > max ? -1 : 0;
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

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"reflink", required_argument, NULL, 'r'},
	    {"progress", optional_argument, NULL, 'p'},
	    {"progress-fd", required_argument, NULL, 'P'},
	    {"threads", required_argument, NULL, 'j'},
	    {"no-sync", no_argument, NULL, 'S'},
	    {"force", no_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct s2e_copy_options opt;
	struct s2e_copy_result result;
	struct progress_state ps = {NULL, NULL, 0};
	int c, verbose = 0, show_bar = 0, progress_fd = -1, rc;
	unsigned long n;

	s2e_copy_options_init(&opt);
	while ((c = getopt_long(argc, argv, "+fvhj:", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (s2e_reflink_parse(optarg, &opt.reflink))
				return usage("%s", s2e_error_last());
			break;
		case 'p':
			if (!optarg) {
				show_bar = 1;
				break;
			}
			/* --progress=FD is --progress-fd=FD */
			/* fall through */
		case 'P':
			if (parse_uint(optarg, 1024 * 1024, &n))
				return usage("invalid file descriptor '%s'", optarg);
			progress_fd = (int)n;
			break;
		case 'j':
			if (parse_uint(optarg, 64, &n) || n == 0)
				return usage("invalid thread count '%s' (1 to 64)", optarg);
			opt.threads = (unsigned)n;
			break;
		case 'S':
			opt.no_sync = 1;
			break;
		case 'f':
			opt.force = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (argc - optind != 2)
		return usage("%s",
			     argc - optind < 2 ? "expected SRC and DST" : "too many arguments");
	const char *src = argv[optind], *dst = argv[optind + 1];

	if (progress_fd >= 0) {
		ps.fd_out = fdopen(progress_fd, "w");
		if (!ps.fd_out) {
			fprintf(stderr, "%s: cannot use --progress-fd=%d: %s\n", prog, progress_fd,
				strerror(errno));
			return 2;
		}
	}
	if (show_bar || ps.fd_out) {
		ps.total = data_total(src);
		if (show_bar) {
			char *copy = strdup(src);
			ps.bar = s2e_progress_start(STDERR_FILENO, copy ? basename(copy) : src,
						    ps.total);
			free(copy);
		}
		opt.progress = on_progress;
		opt.progress_arg = &ps;
	}
	rc = s2e_copy_file(src, dst, &opt, &result);
	s2e_progress_finish(ps.bar);
	if (ps.fd_out)
		fclose(ps.fd_out);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, s2e_error_last());
		return 1;
	}
	if (verbose) {
		char size[32], data[32];
		s2e_size_human(result.size, size, sizeof(size));
		s2e_size_human(result.data, data, sizeof(data));
		fprintf(stderr, "%s: %s -> %s: %s, %s (%s of data)\n", prog, src, dst,
			s2e_copy_method_name(result.method), size, data);
	}
	return 0;
}
