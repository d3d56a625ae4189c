/* s2e-chunk: cut files into a casync-compatible chunk store and index
 * (SPEC §8.1). */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/chunkio.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/parse-options.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/store.h"

static const char *const usage[] = {
	"s2e-chunk [--store STORE] [-o INDEX | --index-dir DIR] [-j N] [-v] FILE...",
	NULL,
	"Cut each FILE into 1 MiB chunks, write the chunks STORE lacks (zstd, named by",
	"their SHA-256 under STORE/chunks/) and the casync index FILE.caibx (or INDEX,",
	"or DIR/NAME.caibx).  STORE is a directory, file://PATH or s3://BUCKET/PREFIX.",
	"The index is byte-identical to the one `casync make --digest=sha256",
	"--compression=zstd --chunk-size=1048576:1048576:1048576` writes.",
	NULL,
};

struct args {
	const char *store, *output, *index_dir, *endpoint;
	unsigned jobs;
	int verbose, progress, level;
};

/* Where FILE's index goes; malloc'd. */
static char *index_path(const struct args *a, const char *file)
{
	char *copy, *path;

	if (a->output)
		return s2e_strdup(a->output);
	if (!a->index_dir)
		return s2e_asprintf("%s.caibx", file);
	if (!(copy = s2e_strdup(file)))
		return NULL;
	path = s2e_asprintf("%s/%s.caibx", a->index_dir, basename(copy));
	free(copy);
	return path;
}

static void summary(const char *file, const struct s2e_chunk_stats *s, int with_store)
{
	char size[32], stored[32];

	s2e_size_human(s->bytes, size, sizeof(size));
	s2e_size_human(s->stored_bytes, stored, sizeof(stored));
	fprintf(stderr, "s2e-chunk: %s: %s, %llu chunks (%llu zero)", file, size,
		(unsigned long long)s->chunks, (unsigned long long)s->zero);
	if (with_store)
		fprintf(stderr, "; wrote %llu chunks, %s; %llu already in the store",
			(unsigned long long)s->stored, stored, (unsigned long long)s->present);
	fprintf(stderr, "; %s\n", s->digest);
}

/* Chunk one file; the index appears complete or not at all. */
static int chunk_file(struct s2e_store *st, const struct args *a, const char *file)
{
	struct s2e_chunk_options o = {.jobs = a->jobs, .level = a->level};
	struct s2e_chunk_stats stats;
	char *index = index_path(a, file), *tmp = index ? s2e_asprintf("%s.tmp.XXXXXX", index) : NULL;
	int fd = -1, ifd = -1, rc = -1;

	if (!tmp)
		goto out;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		s2e_error_errno("cannot open %s", s2e_q(file));
		goto out;
	}
	if ((ifd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		s2e_error_errno("cannot create %s", s2e_q(tmp));
		goto out;
	}
	if (a->progress != S2E_PROGRESS_NONE)
		o.progress = s2e_progress_start(a->progress == S2E_PROGRESS_BAR ? 2 : a->progress,
						"chunk", (uint64_t)lseek(fd, 0, SEEK_END));
	rc = s2e_chunk_fd(st, fd, file, ifd, &o, &stats);
	s2e_progress_finish(o.progress);
	if (rc == 0 && st)
		rc = s2e_store_sync(st);
	if (rc == 0 && (fchmod(ifd, 0644) || close(ifd) || rename(tmp, index)))
		rc = s2e_error_errno("cannot write %s", s2e_q(index));
	else if (rc == 0 && a->verbose)
		summary(file, &stats, st != NULL);
	if (rc == 0)
		ifd = -1;
out:
	if (ifd >= 0) {
		close(ifd);
		unlink(tmp);
	}
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(index);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {.progress = S2E_PROGRESS_NONE};
	const struct s2e_option options[] = {
		OPT_STRING(0, "store", &a.store, "STORE", "write the chunks the store lacks into STORE"),
		OPT_STRING(0, "s3-endpoint", &a.endpoint, "URL",
			   "S3 endpoint (default: $S2E_S3_ENDPOINT, else AWS)"),
		OPT_STRING('o', "output", &a.output, "INDEX", "the index of the one FILE"),
		OPT_STRING(0, "index-dir", &a.index_dir, "DIR", "write indexes as DIR/NAME.caibx"),
		OPT_JOBS_DEFAULT(&a.jobs, "all cores, twice that for S3"),
		OPT_PROGRESS(&a.progress),
		OPT_VERBOSE(&a.verbose),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e-chunk", usage, options, "expected FILE...", 1, -1};
	struct s2e_store_options so = {0};
	struct s2e_store *st = NULL;
	int rc = 0;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (a.output && (a.index_dir || argc != 1))
		return s2e_usage_fail(&cmd, stderr, "-o takes one FILE and no --index-dir");
	so.s3_endpoint = a.endpoint;
	if (a.store && !(st = s2e_store_open(a.store, &so))) {
		fprintf(stderr, "s2e-chunk: %s\n", s2e_error_last());
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		if (chunk_file(st, &a, argv[i])) {
			fprintf(stderr, "s2e-chunk: %s\n", s2e_error_last());
			rc = 1;
		}
	}
	s2e_store_close(st);
	return rc;
}
