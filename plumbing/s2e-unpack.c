/* s2e-unpack: read a package stream safely; extract it, or only list or
 * check it (SPEC §4, §4.1). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/package.h"
#include "s2e/pgzip.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/size.h"

static const char usage[] =
    "usage: s2e-unpack [-C DIR] [--list | --check] [--raw] [--no-sync] [--max-size SIZE]\n"
    "                  [--max-total SIZE] [--max-snapshots N] [-j N] FILE|-\n"
    "\n"
    "  -C, --directory DIR   extract into DIR (default: the current directory)\n"
    "  -l, --list            list the VM files (size and name) without extracting\n"
    "  -c, --check           read and verify everything without writing\n"
    "      --max-size SIZE   refuse a file larger than SIZE (default 4T)\n"
    "      --max-total SIZE  refuse files larger than SIZE in all (default 64T)\n"
    "      --max-snapshots N refuse more than N snapshots (default 1024)\n"
    "  -j, --jobs N          decompress on N threads (default: all cores)\n"
    "      --progress[=FD]   show a progress bar on standard error (or FD) when\n"
    "                        it is a terminal\n"
    "      --raw             FILE is a raw disk image: copy it as disk.s2e\n"
    "      --status-fd FD    write 'skipped NAME', 'extracted SIZE DIGEST NAME' and\n"
    "                        'package FORMAT sha256:HEX BYTES' lines to FD\n"
    "  -v, --verbose         say what was skipped and each file's digest\n"
    "  -h, --help            show this help\n";

static int verbose;

/* A bad option value: the message, the usage, exit status 2. */
static int bad_arg(void)
{
	fprintf(stderr, "s2e-unpack: %s\n%s", s2e_error_last(), usage);
	return 2;
}
static FILE *status;

/* A positive count (--max-snapshots). */
static int parse_count(const char *text, unsigned *n)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (*text < '1' || *text > '9' || *end || errno || v > 1000000000)
		return s2e_error("invalid count %s: expected a number from 1 to 1000000000",
				 s2e_q(text));
	*n = (unsigned)v;
	return 0;
}

/* Names from a package may hold anything: %XX for control bytes and '%'. */
static void put_name(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
}

static void event(void *ctx, enum s2e_unpack_event ev, const char *name, uint64_t size,
		  const char *digest)
{
	(void)ctx;
	if (ev == S2E_UNPACK_SKIPPED && verbose)
		fprintf(stderr, "s2e-unpack: skipping %s: not a VM file\n", s2e_q(name));
	if (!status)
		return;
	if (ev == S2E_UNPACK_SKIPPED)
		fputs("skipped ", status);
	else
		fprintf(status, "extracted %llu %s ", (unsigned long long)size,
			digest ? digest : "-");
	put_name(status, name);
	fputc('\n', status);
	fflush(status);
}

int main(int argc, char **argv)
{
	enum {
		OPT_MAX = 0x100,
		OPT_MAX_TOTAL,
		OPT_MAX_SNAPS,
		OPT_PROGRESS,
		OPT_STATUS_FD,
		OPT_RAW,
		OPT_NO_SYNC
	};
	static const struct option options[] = {
	    {"directory", required_argument, NULL, 'C'},
	    {"list", no_argument, NULL, 'l'},
	    {"check", no_argument, NULL, 'c'},
	    {"max-size", required_argument, NULL, OPT_MAX},
	    {"max-total", required_argument, NULL, OPT_MAX_TOTAL},
	    {"max-snapshots", required_argument, NULL, OPT_MAX_SNAPS},
	    {"jobs", required_argument, NULL, 'j'},
	    {"progress", optional_argument, NULL, OPT_PROGRESS},
	    {"status-fd", required_argument, NULL, OPT_STATUS_FD},
	    {"raw", no_argument, NULL, OPT_RAW},
	    {"no-sync", no_argument, NULL, OPT_NO_SYNC},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct s2e_unpack_opts o = {.mode = S2E_UNPACK_EXTRACT, .event = event};
	struct s2e_unpack_result res;
	const char *dir = ".", *input;
	int c, progress = -1, raw = 0, in_fd = 0, dir_fd = -1, rc;

	/* Member names are UTF-8: let libarchive see a UTF-8 locale. */
	setlocale(LC_CTYPE, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8"))
		setlocale(LC_CTYPE, "C.UTF-8");
	while ((c = getopt_long(argc, argv, "+C:lcj:vh", options, NULL)) != -1) {
		switch (c) {
		case 'C':
			dir = optarg;
			break;
		case 'l':
			o.mode = S2E_UNPACK_LIST;
			break;
		case 'c':
			o.mode = S2E_UNPACK_CHECK;
			break;
		case OPT_MAX:
		case OPT_MAX_TOTAL:
			if (s2e_size_parse(optarg, c == OPT_MAX ? &o.max_size : &o.max_total))
				return bad_arg();
			break;
		case OPT_MAX_SNAPS:
			if (parse_count(optarg, &o.max_snapshots))
				return bad_arg();
			break;
		case 'j':
			if (s2e_parse_jobs(optarg, &o.threads))
				return bad_arg();
			break;
		case OPT_PROGRESS:
			progress = 2;
			if (optarg && s2e_parse_fd(optarg, &progress))
				return bad_arg();
			break;
		case OPT_RAW:
			raw = 1;
			break;
		case OPT_NO_SYNC:
			o.no_sync = 1;
			break;
		case OPT_STATUS_FD:
			if (!(status = s2e_fdopen_arg(optarg, "w")))
				return bad_arg();
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "s2e-unpack: expected one FILE (or - for standard input)\n%s",
			usage);
		return 2;
	}
	input = argv[optind];
	if (strcmp(input, "-")) {
		in_fd = open(input, O_RDONLY | O_CLOEXEC);
		if (in_fd < 0) {
			fprintf(stderr, "s2e-unpack: cannot open %s: %s\n", s2e_q(input),
				strerror(errno));
			return 1;
		}
	} else if (isatty(0)) {
		fprintf(stderr, "s2e-unpack: refusing to read a package from a terminal\n");
		return 1;
	}
	if (o.mode == S2E_UNPACK_EXTRACT) {
		dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd < 0) {
			fprintf(stderr, "s2e-unpack: cannot open directory %s: %s\n", s2e_q(dir),
				strerror(errno));
			return 1;
		}
	}
	if (progress >= 0) {
		struct stat st;
		uint64_t total =
		    !fstat(in_fd, &st) && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
		o.progress = s2e_progress_start(progress, "unpack", total);
	}
	if (raw && o.mode == S2E_UNPACK_LIST) {
		fprintf(stderr, "s2e-unpack: --raw and --list do not go together\n%s", usage);
		return 2;
	}
	rc = raw ? s2e_unpack_raw(in_fd, dir_fd, &o, &res) : s2e_unpack(in_fd, dir_fd, &o, &res);
	s2e_progress_finish(o.progress);
	if (rc) {
		fprintf(stderr, "s2e-unpack: %s: %s\n", strcmp(input, "-") ? input : "(stdin)",
			s2e_error_last());
		s2e_unpack_result_free(&res);
		return 1;
	}
	for (size_t i = 0; i < res.nfiles; i++) {
		if (o.mode == S2E_UNPACK_LIST)
			printf("%llu\t%s\n", (unsigned long long)res.files[i].size,
			       res.files[i].file);
		else if (verbose)
			fprintf(stderr, "s2e-unpack: %s  %s\n", res.files[i].digest,
				res.files[i].file);
	}
	if (verbose)
		fprintf(stderr, "s2e-unpack: %s package, %s manifest, sha256:%s, %llu bytes\n",
			res.compression, res.has_manifest ? "with" : "without", res.sha256,
			(unsigned long long)res.bytes);
	if (status) {
		fprintf(status, "package %s sha256:%s %llu\n", res.compression, res.sha256,
			(unsigned long long)res.bytes);
		fclose(status);
	}
	s2e_unpack_result_free(&res);
	if (fflush(stdout))
		return 1;
	return 0;
}
