/* s2e-digest: the content digest of SPEC §4.2, in the manner of sha256sum. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/pgzip.h"
#include "s2e/quote.h"

static const char usage[] =
    "usage: s2e-digest [-j N] FILE...\n"
    "   or: s2e-digest -c [-q] [-j N] LIST\n"
    "\n"
    "Print 'sha256-1m:HEX  FILE' for each FILE ('-': standard input).\n"
    "\n"
    "  -c, --check      read such lines from LIST ('-': standard input) and check them\n"
    "  -q, --quiet      with -c, print only the files that fail\n"
    "  -j, --jobs N     hash on N threads (default: all cores)\n"
    "  -h, --help       show this help\n";

static unsigned threads;

static int digest_path(const char *path, char out[S2E_DIGEST_LEN])
{
	if (strcmp(path, "-"))
		return s2e_digest_file(path, threads, out);
	struct s2e_digest_stream *d = s2e_digest_stream_new();
	static char buf[1 << 20];
	ssize_t n;

	if (!d)
		return -1;
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s2e_digest_stream_free(d);
			return s2e_error_errno("cannot read standard input");
		}
		s2e_digest_stream_data(d, buf, (size_t)n);
	}
	s2e_digest_stream_finish(d, out);
	s2e_digest_stream_free(d);
	return 0;
}

static int check(const char *list, int quiet)
{
	FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int bad = 0, failed = 0, lineno = 0, checked = 0;

	if (!f) {
		fprintf(stderr, "s2e-digest: cannot open %s: %s\n", s2e_q(list), strerror(errno));
		return 1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		char got[S2E_DIGEST_LEN];
		const char *name;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if ((size_t)len < S2E_DIGEST_LEN + 1 ||
		    strncmp(line, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX)) ||
		    line[S2E_DIGEST_LEN - 1] != ' ' || line[S2E_DIGEST_LEN] != ' ') {
			fprintf(stderr, "s2e-digest: %s: line %d is not 'sha256-1m:HEX  FILE'\n",
				list, lineno);
			bad++;
			continue;
		}
		line[S2E_DIGEST_LEN - 1] = '\0';
		name = line + S2E_DIGEST_LEN + 1;
		checked++;
		if (digest_path(name, got)) {
			fprintf(stderr, "s2e-digest: %s\n", s2e_error_last());
			printf("%s: FAILED open or read\n", name);
			failed++;
		} else if (strcmp(got, line)) {
			printf("%s: FAILED\n", name);
			failed++;
		} else if (!quiet) {
			printf("%s: OK\n", name);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (failed)
		fprintf(stderr, "s2e-digest: WARNING: %d computed digest%s did NOT match\n", failed,
			failed == 1 ? "" : "s");
	if (!checked && !bad)
		fprintf(stderr, "s2e-digest: %s: no digest lines found\n", list);
	fflush(stdout);
	return failed || bad || !checked ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"check", no_argument, NULL, 'c'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, check_mode = 0, quiet = 0, rc = 0;

	while ((c = getopt_long(argc, argv, "+cqj:h", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			check_mode = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			if (s2e_parse_jobs(optarg, &threads)) {
				fprintf(stderr, "s2e-digest: %s\n%s", s2e_error_last(), usage);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind == argc || (check_mode && argc - optind != 1)) {
		fprintf(stderr, "s2e-digest: expected %s\n%s", check_mode ? "one LIST" : "FILE...",
			usage);
		return 2;
	}
	if (check_mode)
		return check(argv[optind], quiet);
	for (int i = optind; i < argc; i++) {
		char out[S2E_DIGEST_LEN];
		if (digest_path(argv[i], out)) {
			fprintf(stderr, "s2e-digest: %s\n", s2e_error_last());
			rc = 1;
			continue;
		}
		printf("%s  %s\n", out, argv[i]);
	}
	if (fflush(stdout))
		rc = 1;
	return rc;
}
