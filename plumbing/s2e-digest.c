/* s2e-digest: the content digest of SPEC §4.2, in the manner of sha256sum. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/parse-options.h"
#include "s2e/quote.h"

static const char *const usage[] = {
	"s2e-digest [-j N] FILE...",
	"s2e-digest -c [-q] [-j N] LIST",
	NULL,
	"Print 'sha256-1m:HEX  FILE' for each FILE ('-': standard input); with -c, read",
	"such lines from LIST ('-': standard input) and check them.",
	NULL,
};

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
	int check_mode = 0, quiet = 0, rc = 0;
	const struct s2e_option options[] = {
		OPT_BOOL('c', "check", &check_mode, "check the digests listed in LIST"),
		OPT_BOOL('q', "quiet", &quiet, "with -c, print only the files that fail"),
		OPT_JOBS(&threads),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e-digest", .usage = usage, .options = options};

	if (s2e_std_fds_open())
		return 1;
	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (!argc || (check_mode && argc != 1))
		return s2e_usage_fail(&cmd, stderr, "expected %s",
				      check_mode ? "one LIST" : "FILE...");
	if (check_mode)
		return check(argv[0], quiet);
	for (int i = 0; i < argc; i++) {
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
