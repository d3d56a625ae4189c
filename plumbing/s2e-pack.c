/* s2e-pack: write a VM directory as a package stream (SPEC §4, §4.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/output.h"
#include "s2e/package.h"
#include "s2e/parse-options.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/record.h"

static const char *const usage[] = {
	"s2e-pack [-o FILE|-] [--format=gzip|zstd|none] [-1...-9] [-j N] [-f] DIR",
	NULL,
	"Write the VM directory DIR (disk.s2e, its snapshots and a manifest) as a package:",
	"a pax tar with holes as sparse entries, compressed with gzip by default.",
	NULL,
};

struct pack {
	int verbose;
	FILE *status;
};

static void packed(void *ctx, const char *file, const char *digest)
{
	struct pack *p = ctx;

	if (p->verbose)
		fprintf(stderr, "s2e-pack: %s  %s\n", digest, file);
	if (p->status)
		s2e_record_write(p->status, "packed", digest, file, NULL);
}

static int die(const char *msg)
{
	fprintf(stderr, "s2e-pack: %s\n", msg);
	return 1;
}

static int opt_format(const struct s2e_option *opt, const char *value)
{
	static const char *const names[] = {[S2E_Z_GZIP] = "gzip", [S2E_Z_ZSTD] = "zstd",
					    [S2E_Z_NONE] = "none"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(value, names[i])) {
			*(enum s2e_zformat *)opt->value = (enum s2e_zformat)i;
			return 0;
		}
	return s2e_error("unknown format %s (gzip, zstd or none)", s2e_q(value));
}

/* The data bytes of DIR's members: the progress bar's total. */
static uint64_t data_total(const char *dir)
{
	char **files;
	size_t nfiles;
	uint64_t total = 0, a;

	if (s2e_package_members(dir, &files, &nfiles))
		return 0;
	for (size_t i = 0; i < nfiles; i++) {
		char *p = s2e_path_join(dir, files[i]);
		if (p && !s2e_allocated(p, &a))
			total += a;
		free(p);
	}
	s2e_package_members_free(files, nfiles);
	return total;
}

/* Pack, then put FILE in place.  The reader hears "compressed" first: if it
 * is gone (SIGPIPE), FILE is not created. */
static int pack(const char *dir, const char *output, int force, struct s2e_pack_opts *o,
		struct s2e_pack_result *res)
{
	struct pack *p = o->ctx;
	struct s2e_output out = {.fd = -1};
	int to_stdout = !strcmp(output, "-"), rc;

	if (to_stdout && isatty(1))
		return s2e_error("refusing to write a package to a terminal (use -o FILE)");
	if (!to_stdout && s2e_output_open(&out, output, force))
		return -1;
	rc = s2e_pack(dir, to_stdout ? 1 : out.fd, o, res);
	if (!rc && p->status && s2e_record_write(p->status, "compressed", NULL))
		rc = -1;
	if (!rc && !to_stdout)
		rc = s2e_output_commit(&out);
	s2e_output_abort(&out);
	return rc;
}

int main(int argc, char **argv)
{
	struct pack p = {0};
	struct s2e_pack_opts o = {.format = S2E_Z_GZIP, .packed = packed, .ctx = &p};
	struct s2e_pack_result res;
	const char *output = "-";
	int force = 0, progress = S2E_PROGRESS_NONE, status_fd = -1, rc;
#define LEVEL(d) {S2E_OPTION_SET_INT, '0' + d, NULL, &o.level, NULL, NULL, S2E_OPT_HIDDEN, NULL, d}
	const struct s2e_option options[] = {
		OPT_STRING('o', "output", &output, "FILE",
			   "write to FILE (complete or not at all), not standard output"),
		OPT_BOOL('f', "force", &force, "replace an existing FILE"),
		OPT_CALLBACK(0, "format", &o.format, "FORMAT", "gzip (default), zstd or none",
			     opt_format),
		OPT_SET_INT('1', NULL, &o.level, "fastest compression (... -9: best)", 1),
		LEVEL(2), LEVEL(3), LEVEL(4), LEVEL(5), LEVEL(6), LEVEL(7), LEVEL(8),
		OPT_SET_INT('9', NULL, &o.level, "best compression (default: gzip 6, zstd 3)", 9),
		OPT_JOBS(&o.threads),
		OPT_STRING(0, "name", &o.name, "NAME", "VM name for the manifest (default: DIR's)"),
		OPT_STRING(0, "exported-from", &o.exported_from, "TEXT",
			   "provenance for the manifest"),
		OPT_PROGRESS(&progress),
		OPT_STATUS_FD(&status_fd),
		OPT_VERBOSE(&p.verbose),
		OPT_END(),
	};
#undef LEVEL
	const struct s2e_command cmd = {"s2e-pack", usage, options,
					"expected one DIR", 1, 1};

	if (s2e_std_fds_open())
		return 1;
	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (status_fd >= 0 && !(p.status = fdopen(status_fd, "w")))
		return die("cannot use the --status-fd descriptor");
	if (progress != S2E_PROGRESS_NONE)
		o.progress = s2e_progress_start(progress == S2E_PROGRESS_BAR ? 2 : progress,
						"package", data_total(argv[0]));
	s2e_locale_utf8(); /* names in the manifest are UTF-8 */
	rc = pack(argv[0], output, force, &o, &res);
	s2e_progress_finish(o.progress);
	if (rc)
		return die(s2e_error_last());
	if (p.status) {
		char bytes[32], sha[80];
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)res.bytes);
		snprintf(sha, sizeof(sha), "sha256:%s", res.sha256);
		if (s2e_record_write(p.status, "package", sha, bytes, NULL) || fclose(p.status))
			return die("cannot write the status file descriptor");
	}
	if (p.verbose)
		fprintf(stderr, "s2e-pack: sha256:%s  %llu bytes\n", res.sha256,
			(unsigned long long)res.bytes);
	return 0;
}
