/* s2e vm import [--raw] [-f] FILE|- NAME
 *
 * Runs s2e-unpack into a staging directory under the S2EDIR lock; s2e-unpack
 * treats the package as untrusted and verifies it (SPEC §4.1) before it
 * exits 0.  Only then are the steps reported, vm.config written (origin,
 * snapshot order, digests, the exporter's metadata when the package has a
 * manifest) and the staging directory renamed into place.  --raw copies a
 * raw image as disk.s2e with s2e-snapcp (reflink or a sparse copy) and
 * digests it with s2e-digest; from standard input, s2e-unpack --raw copies
 * it (zero blocks become holes) and digests it on the way. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/image.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/manifest.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/size.h"
#include "s2e/vm.h"

static const char usage[] =
    "usage: s2e vm import [--raw] [-f] [--s2edir DIR] FILE|- NAME\n"
    "   or: s2e vm import --s2e-env [-f] DIR [NAME]\n"
    "\n"
    "Create VM NAME from the package FILE ('-': standard input), made by 's2e vm\n"
    "export' or by tar (gzip, zstd, xz or uncompressed).\n"
    "\n"
    "  --raw           FILE is a raw disk image: it becomes NAME's disk.s2e\n"
    "  --s2e-env       DIR is an s2e-env image directory (image.raw.s2e, its\n"
    "                  snapshots and image.json); NAME defaults to its name\n"
    "  -f, --force     replace an existing VM NAME, once the new one is complete\n"
    "  --s2edir DIR    use DIR instead of $S2EDIR\n"
    "  -h, --help      show this help\n";

struct extracted {
	char *file;
	uint64_t size;
	char digest[S2E_DIGEST_LEN];
};

struct import {
	struct s2e_status *st;
	struct extracted *files;
	size_t nfiles;
	char sha[65];
	char format[32];
};

static int add_file(struct import *im, const char *line)
{
	unsigned long long size;
	char digest[S2E_DIGEST_LEN + 1];
	int used = 0;
	struct extracted *g;

	if (sscanf(line, "%llu %75s %n", &size, digest, &used) != 2 || !used)
		return 0;
	g = realloc(im->files, (im->nfiles + 1) * sizeof(*g));
	if (!g)
		return s2e_error("out of memory");
	im->files = g;
	g += im->nfiles;
	g->size = size;
	g->digest[0] = '\0';
	if (strcmp(digest, "-") && strlen(digest) < sizeof(g->digest))
		memcpy(g->digest, digest, strlen(digest) + 1);
	if (!(g->file = s2e_strdup(line + used)))
		return -1;
	/* s2e-unpack writes '%' and control bytes as %XX. */
	for (char *r = g->file, *w = g->file;; r++, w++) {
		unsigned hex;
		if (r[0] == '%' && sscanf(r + 1, "%2x", &hex) == 1) {
			*w = (char)hex;
			r += 2;
		} else if (!(*w = *r)) {
			break;
		}
	}
	im->nfiles++;
	return 0;
}

/* Run s2e-unpack, following its --status-fd lines. */
static int unpack(struct import *im, const char *file, const char *staging, int raw, int in_fd)
{
	struct s2e_child child = {.pid = -1, .err_fd = -1};
	char fdarg[16], line[8192], progress_arg[32];
	const char *args[16];
	int pfd[2], n = 0, rc = 0, tty_fd;
	FILE *events;

	if (pipe(pfd))
		return s2e_error_errno("cannot create a pipe");
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
	args[n++] = "s2e-unpack";
	if (raw)
		args[n++] = "--raw";
	args[n++] = "--status-fd";
	args[n++] = fdarg;
	/* The progress bar goes to our terminal through its own descriptor. */
	tty_fd = isatty(2) ? fcntl(2, F_DUPFD, 3) : -1;
	snprintf(progress_arg, sizeof(progress_arg), "--progress=%d", tty_fd);
	if (tty_fd >= 0)
		args[n++] = progress_arg; /* its stderr is captured */
	args[n++] = "-C";
	args[n++] = staging;
	args[n++] = in_fd >= 0 ? "-" : file;
	args[n] = NULL;
	rc = s2e_spawn(args, in_fd, -1, S2E_RUN_CAPTURE_STDERR, &child);
	if (tty_fd >= 0)
		close(tty_fd);
	if (rc) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	close(pfd[1]);
	events = fdopen(pfd[0], "r");
	if (!events) {
		close(pfd[0]);
		s2e_wait(&child);
		return s2e_error("out of memory");
	}
	while (fgets(line, sizeof(line), events)) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "skipped ", 8))
			s2e_status_warn(im->st, "misformatted file: %s (skipping)", line + 8);
		else if (!strncmp(line, "extracted ", 10) && !rc)
			rc = add_file(im, line + 10);
		else if (!strncmp(line, "package ", 8))
			sscanf(line + 8, "%31s sha256:%64s", im->format, im->sha);
	}
	fclose(events);
	if (s2e_wait(&child))
		return -1;
	return rc;
}

/* --raw from a file: s2e-snapcp, then s2e-digest for the metadata. */
static int raw_copy(struct import *im, const char *file, const char *staging)
{
	char *disk = s2e_path_join(staging, S2E_VM_DISK), line[4096];
	struct s2e_child child = {.pid = -1, .err_fd = -1};
	struct extracted *f;
	struct stat st;
	int pfd[2] = {-1, -1}, rc = -1;
	ssize_t n = 0, got;

	if (!disk)
		return -1;
	if (s2e_run((const char *const[]){"s2e-snapcp", file, disk, NULL}, S2E_RUN_CAPTURE_STDERR))
		goto out;
	if (pipe2(pfd, O_CLOEXEC)) {
		s2e_error_errno("cannot create a pipe");
		goto out;
	}
	if (s2e_spawn((const char *const[]){"s2e-digest", disk, NULL}, -1, pfd[1],
		      S2E_RUN_CAPTURE_STDERR, &child))
		goto out;
	close(pfd[1]);
	pfd[1] = -1;
	while ((got = read(pfd[0], line + n, sizeof(line) - 1 - (size_t)n)) > 0)
		n += got;
	line[n] = '\0';
	if (s2e_wait(&child) || stat(disk, &st))
		goto out;
	if (!(im->files = calloc(1, sizeof(*im->files))) ||
	    !(im->files[0].file = s2e_strdup(S2E_VM_DISK))) {
		s2e_error("out of memory");
		goto out;
	}
	im->nfiles = 1;
	f = &im->files[0];
	f->size = (uint64_t)st.st_size;
	if ((size_t)n >= S2E_DIGEST_LEN - 1 && !strncmp(line, S2E_DIGEST_PREFIX, 10)) {
		memcpy(f->digest, line, S2E_DIGEST_LEN - 1);
		f->digest[S2E_DIGEST_LEN - 1] = '\0';
	}
	rc = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(disk);
	return rc;
}

/* vm.config of the new VM, from the package's manifest when it has one. */
static int write_meta(struct import *im, const char *staging, const char *origin, int raw)
{
	char *mpath = s2e_path_join(staging, S2E_MANIFEST_NAME);
	char *cpath = s2e_path_join(staging, S2E_VM_META);
	struct s2e_meta from = {0}, meta = {0};
	char now[64];
	int rc = -1, have = 0;

	if (!mpath || !cpath)
		goto out;
	if (!raw && !access(mpath, F_OK)) {
		if (s2e_meta_read(mpath, &from) < 0)
			goto out;
		have = 1;
		if (unlink(mpath)) {
			s2e_error_errno("cannot remove %s", s2e_q(mpath));
			goto out;
		}
	}
	s2e_time_utc(now, sizeof(now));
	meta.created = now;
	meta.updated = now;
	meta.origin = (char *)origin;
	for (size_t i = 0; i < im->nfiles; i++)
		if (!strcmp(im->files[i].file, S2E_VM_DISK)) {
			meta.size = im->files[i].size;
			meta.digest = im->files[i].digest[0] ? im->files[i].digest : NULL;
		}
	if (have && from.size == meta.size)
		meta.size_label = from.size_label;
	/* Snapshots in the order the exporter recorded, then in package order. */
	for (size_t i = 0; have && i < from.nsnaps; i++)
		for (size_t j = 0; j < im->nfiles; j++) {
			const char *snap = s2e_package_snap(im->files[j].file);
			if (snap && !strcmp(snap, from.snaps[i].name) &&
			    s2e_meta_add_snap(&meta, snap, from.snaps[i].taken,
					      from.snaps[i].disk_digest))
				goto out_snaps;
		}
	for (size_t j = 0; j < im->nfiles; j++) {
		const char *snap = s2e_package_snap(im->files[j].file);
		if (snap && !s2e_meta_find_snap(&meta, snap) &&
		    s2e_meta_add_snap(&meta, snap, NULL, NULL))
			goto out_snaps;
	}
	rc = s2e_meta_write(cpath, &meta);
out_snaps:
	for (size_t i = 0; i < meta.nsnaps; i++) {
		free(meta.snaps[i].name);
		free(meta.snaps[i].taken);
		free(meta.snaps[i].disk_digest);
	}
	free(meta.snaps);
out:
	s2e_meta_free(&from);
	free(mpath);
	free(cpath);
	return rc;
}

/* The exporter's provenance line from the manifest, if any (malloc'd). */
static char *exported_from(const char *staging)
{
	char *path = s2e_path_join(staging, S2E_MANIFEST_NAME), *text = NULL, *out = NULL;
	struct s2e_manifest m;
	size_t len;

	if (path && !access(path, F_OK) && !s2e_read_file(path, &text, &len) &&
	    !s2e_manifest_parse(text, len, &m)) {
		if (m.exported_from)
			out = s2e_strdup(m.exported_from);
		else if (m.name)
			out = s2e_asprintf("VM %s", m.name);
		s2e_manifest_free(&m);
	}
	free(text);
	free(path);
	return out;
}

static int record(const char *root, const char *name, const char *file, struct import *im,
		  const char *origin, const char *from, int raw, int replaced)
{
	char *path = s2e_asprintf("vm/%s", name), *subject, *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	int rc = -1;

	subject = s2e_asprintf("vm import %s%s%s %s", raw ? "--raw " : "", replaced ? "-f " : "",
			       s2e_sq(file), s2e_sq(name));
	if (!f || !path || !subject)
		goto out;
	fprintf(f, "VM: %s\n%s: %s\n", name, raw ? "Raw image" : "Package", file);
	if (raw)
		fprintf(f, "Image digest: %s\n", im->nfiles ? im->files[0].digest : "");
	else
		fprintf(f, "Package digest: sha256:%s\n", im->sha);
	if (!raw)
		fprintf(f, "Package format: %s\n", im->format);
	fprintf(f, "Origin: %s\n", origin);
	if (from)
		fprintf(f, "Exported from: %s\n", from);
	for (size_t i = 0; i < im->nfiles; i++)
		fprintf(f, "File: %s %llu bytes %s\n", im->files[i].file,
			(unsigned long long)im->files[i].size, im->files[i].digest);
	if (replaced)
		fputs("Replaces: the previous VM of that name\n", f);
	if (fclose(f)) {
		f = NULL;
		s2e_error("out of memory");
		goto out;
	}
	f = NULL;
	rc = s2e_history_commit(root, (const char *const[]){path}, 1, subject, body, NULL);
out:
	if (f)
		fclose(f);
	free(path);
	free(subject);
	free(body);
	return rc;
}

int cmd_vm_import(int argc, char **argv)
{
	enum { OPT_RAW = 0x100 };
	static const struct option options[] = {
	    {"raw", no_argument, NULL, OPT_RAW},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    S2EDIR_LONGOPT,
	    {NULL, 0, NULL, 0},
	};
	const char *s2edir = NULL, *file, *name;
	char *root = NULL, *staging = NULL, *origin = NULL, *from = NULL;
	struct s2e_status st;
	struct s2e_lock lock = {-1};
	struct import im = {.st = &st};
	int c, force = 0, raw = 0, exists = 0, rc = 1, in_fd = -1;
	struct stat sb;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--s2e-env"))
			return cmd_vm_import_s2e_env(argc, argv);
	while ((c = getopt_long(argc, argv, "+fh", options, NULL)) != -1) {
		switch (c) {
		case OPT_RAW:
			raw = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			return usage_help(usage);
		case S2EDIR_OPTION:
			s2edir = optarg;
			break;
		default:
			return usage_error(usage, NULL);
		}
	}
	if (argc - optind != 2)
		return usage_error(usage, "'vm import' takes a FILE (or -) and a NAME");
	file = argv[optind];
	name = argv[optind + 1];
	if (s2e_vm_name_check(name))
		return fail("vm import");
	s2e_status_init(&st, stdout);
	if (!strcmp(file, "-")) {
		if (isatty(0)) {
			s2e_error("refusing to read a package from a terminal");
			return fail("vm import");
		}
		in_fd = 0;
	} else if (stat(file, &sb)) {
		s2e_error_errno("cannot read %s", s2e_q(file));
		return fail("vm import");
	} else if (S_ISDIR(sb.st_mode)) {
		s2e_error("%s is a directory, not a package", s2e_q(file));
		return fail("vm import");
	} else if (raw && s2e_image_check_raw(file)) {
		return fail("vm import");
	}
	if (porcelain_lock(s2edir, &root, &lock))
		goto out;
	exists = s2e_vm_exists(root, name);
	if (exists < 0)
		goto out;
	if (exists && !force) {
		s2e_error("VM %s already exists (use -f to replace it)", s2e_q(name));
		goto out;
	}
	staging = s2e_staging_create(root);
	if (!staging)
		goto out;
	s2e_status_ok(&st, "initialise VM");
	if (raw && in_fd < 0 ? raw_copy(&im, file, staging)
			     : unpack(&im, file, staging, raw, in_fd))
		goto out;
	if (!raw) {
		s2e_status_ok(&st, "decompress package");
		s2e_status_ok(&st, "scan package");
	}
	from = raw ? NULL : exported_from(staging);
	origin = raw ? s2e_asprintf("raw import of %s (%s)", in_fd >= 0 ? "-" : file,
				    im.nfiles ? im.files[0].digest : "")
		     : s2e_asprintf("import of %s (sha256:%s)", in_fd >= 0 ? "-" : file, im.sha);
	if (!origin || write_meta(&im, staging, origin, raw) ||
	    s2e_staging_commit(root, staging, name, force))
		goto out;
	free(staging);
	staging = NULL;
	if (raw)
		s2e_status_ok(&st, "copy disk image");
	else
		s2e_status_ok(&st, "extract disk image");
	for (size_t i = 0; !raw && i < im.nfiles; i++) {
		const char *snap = s2e_package_snap(im.files[i].file);
		if (snap)
			s2e_status_ok(&st, "extract snapshot: %s", snap);
	}
	if (record(root, name, file, &im, origin, from, raw, exists))
		goto out;
	if (!raw)
		s2e_status_ok(&st, "clean up");
	rc = 0;
out:
	if (staging)
		s2e_remove_tree(staging);
	s2e_unlock(&lock);
	for (size_t i = 0; i < im.nfiles; i++)
		free(im.files[i].file);
	free(im.files);
	free(root);
	free(staging);
	free(origin);
	free(from);
	return rc ? fail("vm import") : 0;
}
