/* s2e-unchunk: rebuild a file from a casync index and chunk store (SPEC §8.1). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/chunkio.h"
#include "s2e/error.h"
#include "s2e/parse-options.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/store.h"

static const char *const usage[] = {
	"s2e-unchunk (--store STORE | --chunks CHUNKSTORE) [--size BYTES] [-j N] [-v] INDEX OUT",
	NULL,
	"Rebuild OUT from the casync index INDEX ('-': standard input) and the chunks",
	"of STORE (STORE/chunks/) or of a bare casync chunk store (casync --store=DIR).",
	"Every chunk is checked against its ID; all-zero chunks become holes and are",
	"never fetched.  OUT appears complete, or not at all.  STORE is a directory,",
	"file://PATH, http(s)://URL or s3://BUCKET/PREFIX.",
	NULL,
};

int main(int argc, char **argv)
{
	const char *store = NULL, *chunks = NULL, *endpoint = NULL, *size = NULL;
	int verbose = 0, no_sync = 0, progress = S2E_PROGRESS_NONE;
	struct s2e_chunk_options o = {.expect_size = S2E_CAINDEX_ANY_SIZE};
	const struct s2e_option options[] = {
		OPT_STRING(0, "store", &store, "STORE", "the store holding the chunks"),
		OPT_STRING(0, "chunks", &chunks, "CHUNKSTORE", "a bare casync chunk store instead"),
		OPT_STRING(0, "s3-endpoint", &endpoint, "URL",
			   "S3 endpoint (default: $S2E_S3_ENDPOINT, else AWS)"),
		OPT_STRING(0, "size", &size, "BYTES", "refuse an index that does not describe BYTES bytes"),
		OPT_BOOL(0, "no-sync", &no_sync, "do not fsync OUT before renaming it into place"),
		OPT_JOBS_DEFAULT(&o.jobs, "all cores, twice that for HTTP and S3"),
		OPT_PROGRESS(&progress),
		OPT_VERBOSE(&verbose),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e-unchunk", usage, options, "expected INDEX and OUT", 2, 2};
	struct s2e_store_options so = {.s3_endpoint = NULL};
	struct s2e_chunk_stats stats;
	struct s2e_store *st;
	int fd = 0, rc;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (!store == !chunks)
		return s2e_usage_fail(&cmd, stderr, "expected one of --store and --chunks");
	if (size) {
		char *end;
		unsigned long long v = strtoull(size, &end, 10);
		if (!*size || *end || size[0] == '-')
			return s2e_usage_fail(&cmd, stderr, "--size takes a number of bytes");
		o.expect_size = v;
	}
	so.s3_endpoint = endpoint;
	so.chunk_prefix = chunks ? "" : NULL;
	o.no_sync = no_sync;
	if (!(st = s2e_store_open(chunks ? chunks : store, &so))) {
		fprintf(stderr, "s2e-unchunk: %s\n", s2e_error_last());
		return 1;
	}
	if (strcmp(argv[0], "-") && (fd = open(argv[0], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "s2e-unchunk: cannot open %s: %m\n", s2e_q(argv[0]));
		s2e_store_close(st);
		return 1;
	}
	if (progress != S2E_PROGRESS_NONE)
		o.progress = s2e_progress_start(progress == S2E_PROGRESS_BAR ? 2 : progress, "unchunk",
						o.expect_size == S2E_CAINDEX_ANY_SIZE ? 0 : o.expect_size);
	rc = s2e_unchunk_file(st, fd, argv[0], argv[1], &o, &stats);
	s2e_progress_finish(o.progress);
	if (rc)
		fprintf(stderr, "s2e-unchunk: %s\n", s2e_error_last());
	else if (verbose) {
		char bytes[32], fetched[32];
		s2e_size_human(stats.bytes, bytes, sizeof(bytes));
		s2e_size_human(stats.fetched_bytes, fetched, sizeof(fetched));
		fprintf(stderr,
			"s2e-unchunk: %s: %s, %llu chunks (%llu zero); fetched %llu chunks, %s; %s\n",
			argv[1], bytes, (unsigned long long)stats.chunks,
			(unsigned long long)stats.zero, (unsigned long long)stats.fetched, fetched,
			stats.digest[0] ? stats.digest : "no sha256-1m digest (not 1 MiB chunks)");
	}
	if (fd > 0)
		close(fd);
	s2e_store_close(st);
	return rc ? 1 : 0;
}
