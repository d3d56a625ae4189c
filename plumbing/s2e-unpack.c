/* s2e-unpack: read a package stream safely; extract it, or only list or
 * check it (SPEC §4, §4.1). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/package.h"
#include "s2e/parse-options.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/record.h"
#include "s2e/s2edir.h"
#include "s2e/size.h"

static const char *const usage[] = {
	"s2e-unpack [-C DIR] [--list | --check] [--raw] [--no-sync] [--max-size SIZE]",
	"           [--max-total SIZE] [--max-snapshots N] [-j N] FILE|-",
	NULL,
	"Read the package FILE ('-': standard input) as untrusted input and extract its",
	"VM files into DIR, or only list or verify them.",
	NULL,
};

struct unpack {
	int verbose;
	FILE *status;
};

static void event(void *ctx, enum s2e_unpack_event ev, const char *name, uint64_t size,
		  const char *digest)
{
	struct unpack *u = ctx;
	char bytes[32];

	if (ev == S2E_UNPACK_SKIPPED && u->verbose)
		fprintf(stderr, "s2e-unpack: skipping %s: not a VM file\n", s2e_q(name));
	if (!u->status)
		return;
	if (ev == S2E_UNPACK_SKIPPED) {
		s2e_record_write(u->status, "skipped", name, NULL);
		return;
	}
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)size);
	s2e_record_write(u->status, "extracted", bytes, digest ? digest : "-", name, NULL);
}

static int opt_size(const struct s2e_option *opt, const char *value)
{
	return s2e_size_parse(value, opt->value);
}

/* A positive count (--max-snapshots). */
static int opt_count(const struct s2e_option *opt, const char *value)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (*value < '1' || *value > '9' || *end || errno || v > 1000000000)
		return s2e_error("invalid count %s: expected a number from 1 to 1000000000",
				 s2e_q(value));
	*(unsigned *)opt->value = (unsigned)v;
	return 0;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "s2e-unpack: cannot open %s%s: %s\n", what, s2e_q(path), strerror(errno));
	return 1;
}

/* The VM metadata a package carries: the vm.config its manifest holds (the
 * manifest's own sections left out), else its vm.config member; both were
 * parsed by s2e_unpack(), with the hardened reader.  1: none. */
static int package_meta(struct s2e_unpack_result *res, struct s2e_meta *meta)
{
	const struct s2e_config *m = &res->manifest.config;
	struct s2e_config cfg = {0};
	int rc = 0;

	memset(meta, 0, sizeof(*meta));
	if (!res->has_manifest) {
		if (!res->has_vmconfig)
			return 1;
		*meta = res->vmmeta;
		memset(&res->vmmeta, 0, sizeof(res->vmmeta));
		return 0;
	}
	for (size_t i = 0; i < m->n && !rc; i++)
		if (strcasecmp(m->entries[i].section, "package") &&
		    strcasecmp(m->entries[i].section, "member"))
			rc = s2e_config_add(&cfg, m->entries[i].section, m->entries[i].subsection,
					    m->entries[i].key, m->entries[i].value);
	if (!rc)
		rc = s2e_meta_from_config(&cfg, S2E_MANIFEST_NAME, meta);
	s2e_config_free(&cfg);
	return rc;
}

/* The metadata the package carries, as records on status (may be NULL; see
 * s2e-unpack(1)), and as DIR/vm.config, which the importer starts from. */
static int package_records(FILE *status, const char *dir, struct s2e_unpack_result *res)
{
	const struct s2e_manifest *m = &res->manifest;
	struct s2e_meta meta;
	char *path = NULL, size[32];
	int rc = 0, none;

	if (status && m->name)
		rc |= s2e_record_write(status, "package-name", m->name, NULL);
	if (status && m->exported_from)
		rc |= s2e_record_write(status, "exported-from", m->exported_from, NULL);
	if ((none = package_meta(res, &meta)) < 0)
		return -1;
	if (none)
		return rc ? -1 : 0;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)meta.size);
	if (status && meta.size_label && *meta.size_label)
		rc |= s2e_record_write(status, "size-label", size, meta.size_label, NULL);
	for (size_t i = 0; status && i < meta.nsnaps; i++) {
		const struct s2e_meta_snap *sn = &meta.snaps[i];
		rc |= s2e_record_write(status, "snapshot", sn->name,
				       sn->taken && *sn->taken ? sn->taken : "-",
				       sn->disk_digest && *sn->disk_digest ? sn->disk_digest : "-",
				       NULL);
	}
	if (!rc && (!(path = s2e_path_join(dir, S2E_VM_META)) || s2e_meta_write(path, &meta)))
		rc = -1;
	free(path);
	s2e_meta_free(&meta);
	return rc ? -1 : 0;
}

/* What was read: the list, the digests, the status record. */
static int report(const struct unpack *u, enum s2e_unpack_mode mode, const char *dir,
		  struct s2e_unpack_result *res)
{
	char bytes[32], sha[80];

	for (size_t i = 0; i < res->nfiles; i++) {
		if (mode == S2E_UNPACK_LIST)
			printf("%llu\t%s\n", (unsigned long long)res->files[i].size,
			       res->files[i].file);
		else if (u->verbose)
			fprintf(stderr, "s2e-unpack: %s  %s\n", res->files[i].digest,
				res->files[i].file);
	}
	if (u->verbose)
		fprintf(stderr, "s2e-unpack: %s package, %s manifest, sha256:%s, %llu bytes\n",
			res->compression, res->has_manifest ? "with" : "without", res->sha256,
			(unsigned long long)res->bytes);
	if (mode == S2E_UNPACK_EXTRACT && package_records(u->status, dir, res)) {
		fprintf(stderr, "s2e-unpack: %s\n", s2e_error_last());
		return 1;
	}
	if (u->status) {
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)res->bytes);
		snprintf(sha, sizeof(sha), "sha256:%s", res->sha256);
		if (s2e_record_write(u->status, "package", res->compression, sha, bytes, NULL) ||
		    fclose(u->status))
			return 1;
	}
	return fflush(stdout) ? 1 : 0;
}

static int run(const char *input, const char *dir, int raw, int progress,
	       struct s2e_unpack_opts *o, struct s2e_unpack_result *res)
{
	int in_fd = 0, dir_fd = -1, rc;
	struct stat st;

	if (strcmp(input, "-") && (in_fd = open(input, O_RDONLY | O_CLOEXEC)) < 0)
		return fail("", input);
	if (!strcmp(input, "-") && isatty(0)) {
		fprintf(stderr, "s2e-unpack: refusing to read a package from a terminal\n");
		return 1;
	}
	if (o->mode == S2E_UNPACK_EXTRACT &&
	    (dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail("directory ", dir);
	if (progress != S2E_PROGRESS_NONE)
		o->progress = s2e_progress_start(
		    progress == S2E_PROGRESS_BAR ? 2 : progress, "unpack",
		    !fstat(in_fd, &st) && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
	rc = raw ? s2e_unpack_raw(in_fd, dir_fd, o, res) : s2e_unpack(in_fd, dir_fd, o, res);
	s2e_progress_finish(o->progress);
	if (rc)
		fprintf(stderr, "s2e-unpack: %s: %s\n", strcmp(input, "-") ? input : "(stdin)",
			s2e_error_last());
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct unpack u = {0};
	struct s2e_unpack_opts o = {.mode = S2E_UNPACK_EXTRACT, .event = event, .ctx = &u};
	struct s2e_unpack_result res = {0};
	const char *dir = ".";
	int progress = S2E_PROGRESS_NONE, status_fd = -1, raw = 0, rc;
	const struct s2e_option options[] = {
		OPT_STRING('C', "directory", &dir, "DIR", "extract into DIR (default: .)"),
		OPT_SET_INT('l', "list", &o.mode, "list the VM files (size, name) only",
			    S2E_UNPACK_LIST),
		OPT_SET_INT('c', "check", &o.mode, "read and verify everything, write nothing",
			    S2E_UNPACK_CHECK),
		OPT_BOOL(0, "raw", &raw, "FILE is a raw disk image: copy it as disk.s2e"),
		OPT_BOOL(0, "no-sync", &o.no_sync, "do not wait for the data to reach the disk"),
		OPT_CALLBACK(0, "max-size", &o.max_size, "SIZE",
			     "refuse a file larger than SIZE (default 4T)", opt_size),
		OPT_CALLBACK(0, "max-total", &o.max_total, "SIZE",
			     "refuse files larger than SIZE in all (default 64T)", opt_size),
		OPT_CALLBACK(0, "max-snapshots", &o.max_snapshots, "N",
			     "refuse more than N snapshots (default 1024)", opt_count),
		OPT_JOBS(&o.threads),
		OPT_PROGRESS(&progress),
		OPT_STATUS_FD(&status_fd),
		OPT_VERBOSE(&u.verbose),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e-unpack", usage, options,
					"expected one FILE (or - for standard input)", 1, 1};

	if (s2e_std_fds_open())
		return 1;
	s2e_locale_utf8();
	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (raw && o.mode == S2E_UNPACK_LIST)
		return s2e_usage_fail(&cmd, stderr, "--raw and --list do not go together");
	if (status_fd >= 0 && !(u.status = fdopen(status_fd, "w"))) {
		fprintf(stderr, "s2e-unpack: cannot use the --status-fd descriptor\n");
		return 1;
	}
	rc = run(argv[0], dir, raw, progress, &o, &res);
	if (!rc)
		rc = report(&u, o.mode, dir, &res);
	s2e_unpack_result_free(&res);
	return rc;
}
