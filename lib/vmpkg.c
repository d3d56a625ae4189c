/* s2e vm import and s2e vm export: see include/s2e/vmpkg.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/image.h"
#include "s2e/manifest.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/record.h"
#include "s2e/s2edir.h"
#include "s2e/s2eenv.h"
#include "s2e/snapshot.h"
#include "s2e/strv.h"
#include "s2e/vm.h"
#include "s2e/vmpkg.h"
#include "s2e/vmtx.h"

struct member {
	char *file;
	uint64_t size;
	char digest[S2E_DIGEST_LEN]; /* "" when unknown */
};

struct import {
	const struct s2e_pkg_report *r;
	const char *file, *name;
	int raw, named; /* named: NAME was given (else the manifest's) */
	struct member *files;
	size_t nfiles;
	/* The exporter's metadata, from s2e-unpack's records (checked; the new
	 * vm.config starts from the one s2e-unpack wrote into staging). */
	struct s2e_meta from;
	char *pkg_name, *exported_from;
	char sha[65], format[32];
	int complete; /* the last record ("package") arrived */
	struct s2e_strv taken; /* the snapshots in the order taken (owned) */
	struct s2e_strv run;   /* the run.* settings the package gave (owned) */
};

static void say(void (*fn)(void *, const char *), const struct s2e_pkg_report *r,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(void (*fn)(void *, const char *), const struct s2e_pkg_report *r,
		const char *fmt, ...)
{
	char text[1200];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fn(r->vm.data, text);
}

/* A descriptor for the plumbing's progress bar: report->progress_fd when
 * it is a terminal, duplicated above the ones the child's redirections use
 * (its stderr is captured); -1 for none.  The caller closes it. */
static int progress_fd(const struct s2e_pkg_report *r)
{
	if (!s2e_progress_tty(r->vm.progress_fd))
		return -1;
	s2e_progress_lent();
	return fcntl(r->vm.progress_fd, F_DUPFD, 10);
}

static int bad(const char *what)
{
	return s2e_error("malformed status record: %s", what);
}

static int add_member(struct import *im, const struct s2e_record *rec)
{
	const char *digest = rec->field[2], *file = rec->field[3], *snap;
	struct member *m;
	uint64_t size;

	if (s2e_record_u64(rec->field[1], &size))
		return -1;
	if (strcmp(digest, "-") && !s2e_digest_valid(digest))
		return bad("a digest");
	snap = s2e_package_snap(file);
	if (strcmp(file, S2E_VM_DISK) && (!snap || s2e_snap_name_check(snap)))
		return s2e_error("malformed status record: %s is not a VM file", s2e_q(file));
	for (size_t i = 0; i < im->nfiles; i++)
		if (!strcmp(im->files[i].file, file))
			return bad("a repeated member");
	m = realloc(im->files, (im->nfiles + 1) * sizeof(*m));
	if (!m)
		return s2e_error("out of memory");
	im->files = m;
	m += im->nfiles;
	m->size = size;
	strcpy(m->digest, strcmp(digest, "-") ? digest : "");
	if (!(m->file = s2e_strdup(file)))
		return -1;
	im->nfiles++;
	return 0;
}

static int set_once(char **field, const char *value)
{
	if (*field)
		return bad("a repeated field");
	return (*field = s2e_strdup(value)) ? 0 : -1;
}

/* The manifest's metadata: the size label and each snapshot's record. */
static int add_meta(struct import *im, const struct s2e_record *rec, int is_snapshot)
{
	const char *taken, *disk;

	if (!is_snapshot) {
		if (s2e_record_u64(rec->field[1], &im->from.size))
			return -1;
		return set_once(&im->from.size_label, rec->field[2]);
	}
	taken = rec->field[2];
	disk = rec->field[3];
	if (s2e_meta_find_snap(&im->from, rec->field[1]))
		return bad("a repeated snapshot");
	if (s2e_snap_name_check(rec->field[1]))
		return s2e_error_prefix("malformed status record");
	if (strcmp(disk, "-") && !s2e_digest_valid(disk))
		return bad("a digest");
	return s2e_meta_add_snap(&im->from, rec->field[1], strcmp(taken, "-") ? taken : NULL,
				 strcmp(disk, "-") ? disk : NULL);
}

static int package_done(struct import *im, const struct s2e_record *rec)
{
	const char *sha = rec->field[2];
	uint64_t bytes;

	if (strncmp(sha, "sha256:", 7) || strlen(sha + 7) != 64 ||
	    strlen(rec->field[1]) >= sizeof(im->format) || s2e_record_u64(rec->field[3], &bytes))
		return bad("the package record");
	strcpy(im->format, rec->field[1]);
	strcpy(im->sha, sha + 7);
	im->complete = 1;
	return 0;
}

/* One record of s2e-unpack (see s2e-unpack(1)). */
static int on_record(void *ctx, const struct s2e_record *rec)
{
	struct import *im = ctx;
	int is;

	if (im->complete)
		return bad("a record after the last one");
	if ((is = s2e_record_is(rec, "skipped", 1)) > 0)
		say(im->r->warn, im->r, "misformatted file: %s (skipping)",
		    s2e_printable(rec->field[1]));
	else if (!is && (is = s2e_record_is(rec, "extracted", 3)) > 0)
		return add_member(im, rec);
	else if (!is && (is = s2e_record_is(rec, "package-name", 1)) > 0)
		return set_once(&im->pkg_name, rec->field[1]);
	else if (!is && (is = s2e_record_is(rec, "exported-from", 1)) > 0)
		return set_once(&im->exported_from, rec->field[1]);
	else if (!is && (is = s2e_record_is(rec, "size-label", 2)) > 0)
		return add_meta(im, rec, 0);
	else if (!is && (is = s2e_record_is(rec, "snapshot", 3)) > 0)
		return add_meta(im, rec, 1);
	else if (!is && (is = s2e_record_is(rec, "package", 3)) > 0)
		return package_done(im, rec);
	else if (!is)
		return s2e_error("malformed status record: unknown %s", s2e_q(rec->field[0]));
	return is < 0 ? -1 : 0;
}

/* Status lines of a plumbing command, decoded as records for fn. */
struct records {
	s2e_record_fn fn;
	void *ctx;
};

static int on_status(struct s2e_cmd *cmd, const char *line, size_t len)
{
	const struct records *r = cmd->data;

	if (s2e_record_line(line, len, r->fn, r->ctx))
		return s2e_error_prefix("%s", cmd->args.v[0]);
	return 0;
}

/* Run the n words (NULL ones are left out) with --status-fd=3, its stderr
 * captured and its status records passed to fn.  tty: a terminal for its
 * progress bar, or -1; closed here. */
static int run_recorded(const char *const *words, size_t n, int tty, s2e_record_fn fn, void *ctx)
{
	struct s2e_cmd cmd = S2E_CMD_INIT;
	struct records r = {fn, ctx};
	char progress[32];
	int rc = 0;

	snprintf(progress, sizeof(progress), "--progress=%d", tty);
	for (size_t i = 0; i < n && !rc; i++)
		if (words[i])
			rc = s2e_strv_add(&cmd.args, words[i]);
	if (!rc && tty >= 0)
		rc = s2e_strv_add(&cmd.args, progress);
	if (!rc)
		rc = s2e_strv_add(&cmd.args, "--status-fd=3");
	if (rc) {
		s2e_cmd_clear(&cmd);
	} else {
		cmd.err = cmd.status = -1;
		cmd.on_status = on_status;
		cmd.data = &r;
		rc = s2e_cmd_run(&cmd);
	}
	if (tty >= 0)
		close(tty);
	return rc;
}

/* Run s2e-unpack into staging, following its status records. */
static int unpack(struct import *im, const char *staging)
{
	const char *words[] = {"s2e-unpack", im->raw ? "--raw" : NULL, "-C", staging, im->file};
	int rc = run_recorded(words, sizeof(words) / sizeof(words[0]), progress_fd(im->r),
			      on_record, im);

	if (!rc && !im->complete)
		return s2e_error("s2e-unpack: no package record");
	return rc;
}

/* Run argv (NULL-terminated), its stderr captured; its stdout into out. */
static int run(const char *const *argv, struct s2e_buf *out)
{
	struct s2e_cmd cmd = S2E_CMD_INIT;

	for (; *argv; argv++)
		if (s2e_strv_add(&cmd.args, *argv)) {
			s2e_cmd_clear(&cmd);
			return -1;
		}
	cmd.err = -1;
	if (out) {
		cmd.out = -1;
		cmd.out_buf = out;
	}
	return s2e_cmd_run(&cmd);
}

/* --raw from a file: s2e-snapcp (reflink or sparse copy), then s2e-digest. */
static int raw_copy(struct import *im, const char *staging)
{
	char *disk = s2e_path_join(staging, S2E_VM_DISK), size[32];
	struct s2e_buf out = S2E_BUF_INIT;
	struct stat st;
	int rc = -1;

	if (!disk || run((const char *const[]){"s2e-snapcp", im->file, disk, NULL}, NULL) ||
	    run((const char *const[]){"s2e-digest", disk, NULL}, &out))
		goto out;
	if (out.len < S2E_DIGEST_LEN || out.buf[S2E_DIGEST_LEN - 1] != ' ') {
		s2e_error("s2e-digest: unexpected output");
		goto out;
	}
	out.buf[S2E_DIGEST_LEN - 1] = '\0';
	if (stat(disk, &st)) {
		s2e_error_errno("cannot read %s", s2e_q(disk));
		goto out;
	}
	snprintf(size, sizeof(size), "%llu", (unsigned long long)st.st_size);
	rc = add_member(im, &(struct s2e_record){4, {"extracted", size, out.buf, S2E_VM_DISK}});
out:
	s2e_buf_free(&out);
	free(disk);
	return rc;
}

/* The snapshots in the order taken (s2e/snapshot.h): those the package's
 * metadata records, with their times, digests and settings, and the others
 * (made by hand) as taken when their files were written, the member times
 * s2e-unpack restored; records of snapshots the package does not hold are
 * dropped. */
static int order_snaps(const char *staging, struct s2e_meta *meta)
{
	struct s2e_snapfiles files;
	int rc = s2e_snapfiles_scan_meta(staging, meta, &files);

	if (!rc)
		rc = s2e_meta_snaps_match(meta, files.v, files.n);
	s2e_snapfiles_free(&files);
	return rc;
}

static const struct member *disk_member(const struct import *im)
{
	for (size_t i = 0; i < im->nfiles; i++)
		if (!strcmp(im->files[i].file, S2E_VM_DISK))
			return &im->files[i];
	return NULL;
}

/* A package of an s2e-env image directory: its image.json (which
 * s2e-unpack extracted, unparsed) mapped into the metadata, unless the
 * package carried metadata of its own (none: 1), and removed. */
static int env_settings(const char *staging, int none, const char *digest, struct s2e_meta *meta)
{
	char *json = s2e_path_join(staging, S2E_ENV_JSON);
	int rc = json ? 0 : -1;

	if (!rc && none == 1 && !access(json, F_OK))
		rc = s2e_env_json_apply(staging, *digest ? digest : NULL, meta);
	if (!rc && unlink(json) && errno != ENOENT)
		rc = s2e_error_errno("cannot remove %s", s2e_q(json));
	free(json);
	return rc;
}

/* vm.config of the new VM: what the package carries (s2e-unpack wrote it
 * into staging, settings and unknown keys included), with this import's
 * size, times, origin and digest. */
static int write_meta(struct import *im, const char *staging, const char *origin)
{
	const struct member *disk = disk_member(im);
	char *path = s2e_path_join(staging, S2E_VM_META), now[64];
	struct s2e_meta meta = {0};
	int rc = -1, carried;

	if (!disk || !path) {
		free(path);
		return disk ? -1 : s2e_error("s2e-unpack reported no disk.s2e");
	}
	if ((carried = s2e_meta_read(path, &meta)) < 0)
		goto out;
	s2e_time_utc(now, sizeof(now));
	if (meta.size != disk->size && s2e_meta_set(&meta.size_label, NULL))
		goto out;
	meta.size = disk->size;
	if (!order_snaps(staging, &meta) && !env_settings(staging, carried, disk->digest, &meta) &&
	    !s2e_meta_set(&meta.created, now) &&
	    !s2e_meta_set(&meta.updated, now) && !s2e_meta_set(&meta.origin, origin) &&
	    !s2e_meta_set(&meta.digest, disk->digest[0] ? disk->digest : NULL))
		rc = s2e_meta_write(path, &meta);
	for (size_t i = 0; !rc && i < meta.nsnaps; i++)
		rc = s2e_strv_add_dup(&im->taken, meta.snaps[i].name);
	for (size_t i = 0; !rc && i < meta.extra.n; i++) {
		const struct s2e_config_entry *e = &meta.extra.entries[i];
		char *key = e->key && s2e_config_in(e, "run", NULL)
				? s2e_asprintf("run.%s", e->key) : NULL;
		if (key && !s2e_strv_has(&im->run, key))
			rc = s2e_strv_add_dup(&im->run, key);
		free(key);
	}
out:
	free(path);
	s2e_meta_free(&meta);
	return rc;
}

/* The commit: subject and body (malloc'd). */
static int describe(const struct import *im, const char *origin, int replaced, char **subject,
		    char **body)
{
	size_t len = 0;
	FILE *f = open_memstream(body, &len);

	*subject = s2e_asprintf("vm import %s%s%s%s%s", im->raw ? "--raw " : "",
				replaced ? "-f " : "", s2e_sq(im->file), im->named ? " " : "",
				im->named ? s2e_sq(im->name) : "");
	if (!f || !*subject)
		return f ? fclose(f), -1 : s2e_error("out of memory");
	fprintf(f, "VM: %s\n%s: %s\n", im->name, im->raw ? "Raw image" : "Package", im->file);
	if (im->raw)
		fprintf(f, "Image digest: %s\n", im->files[0].digest);
	else
		fprintf(f, "Package digest: sha256:%s\nPackage format: %s\n", im->sha, im->format);
	fprintf(f, "Origin: %s\n", origin);
	if (im->exported_from)
		fprintf(f, "Exported from: %s\n", s2e_printable(im->exported_from));
	else if (im->pkg_name)
		fprintf(f, "Exported from: VM %s\n", s2e_printable(im->pkg_name));
	for (size_t i = 0; i < im->nfiles; i++)
		fprintf(f, "File: %s %llu bytes %s\n", im->files[i].file,
			(unsigned long long)im->files[i].size, im->files[i].digest);
	if (replaced)
		fputs("Replaces: the previous VM of that name\n", f);
	return fclose(f) ? s2e_error("out of memory") : 0;
}

/* Fill the staging directory: the VM files, then vm.config. */
static int build(struct import *im, const char *staging, char **origin)
{
	char *manifest;
	int rc;

	say(im->r->vm.step, im->r, "initialise VM");
	if (im->raw && strcmp(im->file, "-") ? raw_copy(im, staging) : unpack(im, staging))
		return -1;
	if (!im->raw) {
		say(im->r->vm.step, im->r, "decompress package");
		say(im->r->vm.step, im->r, "scan package");
	}
	/* The manifest was read and checked by s2e-unpack; it is not kept. */
	manifest = s2e_path_join(staging, S2E_MANIFEST_NAME);
	if (!manifest || (unlink(manifest) && errno != ENOENT)) {
		rc = manifest ? s2e_error_errno("cannot remove %s", s2e_q(manifest)) : -1;
		free(manifest);
		return rc;
	}
	free(manifest);
	*origin = im->raw ? s2e_asprintf("raw import of %s (%s)", im->file, im->files[0].digest)
			  : s2e_asprintf("import of %s (sha256:%s)", im->file, im->sha);
	return *origin ? write_meta(im, staging, *origin) : -1;
}

static void done(const struct import *im)
{
	say(im->r->vm.step, im->r, im->raw ? "copy disk image" : "extract disk image");
	for (size_t i = 0; !im->raw && i < im->taken.n; i++)
		say(im->r->vm.step, im->r, "extract snapshot: %s", im->taken.v[i]);
	if (!im->raw)
		say(im->r->vm.step, im->r, "clean up");
	/* What vm run will use from now on came from the package: say so. */
	if (im->run.n) {
		char keys[512] = "";
		for (size_t i = 0, len = 0; i < im->run.n && len < sizeof(keys); i++)
			len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s%s",
						i ? ", " : "", im->run.v[i]);
		say(im->r->info, im->r, "the package sets %s (see s2e vm config --list %s)",
		    keys, s2e_sq(im->name));
	}
}

static void import_free(struct import *im)
{
	for (size_t i = 0; i < im->nfiles; i++)
		free(im->files[i].file);
	free(im->files);
	s2e_meta_free(&im->from);
	s2e_strv_clear_owned(&im->taken);
	s2e_strv_clear_owned(&im->run);
	free(im->pkg_name);
	free(im->exported_from);
}

/* The input is checked before anything is touched. */
static int check_input(const char *file)
{
	struct stat st;

	if (!strcmp(file, "-"))
		return isatty(0) ? s2e_error("refusing to read a package from a terminal") : 0;
	if (stat(file, &st))
		return s2e_error_errno("cannot read %s", s2e_q(file));
	if (S_ISDIR(st.st_mode))
		return s2e_error("%s is a directory, not a package", s2e_q(file));
	return 0;
}

/* No NAME given: the one the package's manifest holds (checked, as every
 * field, by s2e-unpack's manifest parser, which hands names on escaped for
 * display: a name that needed escaping is refused with the others that
 * break the VM name rules).  Then the transaction's checks, under its lock. */
static int name_from_package(struct import *im, struct s2e_vmtx *tx)
{
	const char *name = im->pkg_name;
	int rc;

	if (!name)
		return s2e_error_set(S2E_EUSAGE, "%s names no VM (it has no manifest): give NAME",
				     s2e_q(im->file));
	if (strchr(name, '\\') || s2e_vm_name_check(name))
		return s2e_error_set(S2E_EINVALID,
				     "the manifest of %s names the VM '%s', which is not a valid VM "
				     "name: give NAME",
				     s2e_q(im->file), s2e_printable(name));
	if ((rc = s2e_vmtx_name(tx, name)))
		return rc == S2E_EEXISTS ? s2e_error_set(rc, "VM %s (named by the package) already "
							     "exists (use -f to replace it, or give NAME)",
							 s2e_q(name))
					 : rc;
	im->name = name;
	return 0;
}

int s2e_vm_import(const char *root, const char *file, const char *name, int flags,
		  const struct s2e_pkg_report *r)
{
	struct import im = {.r = r, .file = file, .name = name, .raw = !!(flags & S2E_PKG_RAW),
			    .named = !!name};
	char *origin = NULL, *subject = NULL, *body = NULL;
	struct s2e_vmtx tx;
	int rc;

	if (!name && im.raw)
		return s2e_error_set(S2E_EUSAGE, "a raw image names no VM: give NAME");
	if ((rc = check_input(file)))
		return rc;
	if (im.raw && strcmp(file, "-") && s2e_image_check_raw(file))
		return -1; /* a qcow2, VMDK, ... image: S2E runs raw ones only */
	rc = s2e_vmtx_begin(&tx, root, name, (flags & S2E_PKG_FORCE) ? S2E_VMTX_FORCE : 0);
	if (rc)
		return rc;
	rc = build(&im, tx.staging, &origin);
	if (!rc && !name)
		rc = name_from_package(&im, &tx);
	if (!rc)
		rc = describe(&im, origin, tx.exists, &subject, &body);
	if (!rc)
		rc = s2e_vmtx_commit(&tx, subject, body, NULL, 0);
	s2e_vmtx_end(&tx);
	if (!rc)
		done(&im);
	free(origin);
	free(subject);
	free(body);
	import_free(&im);
	return rc;
}

/* ---- export ---- */

int s2e_pkg_format_check(const char *format)
{
	if (strcmp(format, "gzip") && strcmp(format, "zstd") && strcmp(format, "none"))
		return s2e_error_set(S2E_EUSAGE, "unknown format %s", s2e_q(format));
	return 0;
}

/* The format a file name's suffix asks for, NULL for none we know. */
static const char *suffix_format(const char *file)
{
	static const struct {
		const char *suffix, *format;
	} suffixes[] = {{".tar.gz", "gzip"}, {".tgz", "gzip"}, {".tar.zst", "zstd"},
			{".tzst", "zstd"},   {".tar", "none"}};
	size_t len = strlen(file);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t n = strlen(suffixes[i].suffix);
		if (len > n && !strcmp(file + len - n, suffixes[i].suffix))
			return suffixes[i].format;
	}
	return NULL;
}

/* --format (NULL when not given) and FILE's suffix agree: the format to
 * write; a suffix that says otherwise is a usage error naming both. */
static int export_format(const char *file, const char **format)
{
	struct stat st;
	const char *by_suffix = file && strcmp(file, "-") && !(!stat(file, &st) && S_ISDIR(st.st_mode))
					? suffix_format(file)
					: NULL;

	if (*format && s2e_pkg_format_check(*format))
		return -1;
	if (*format && by_suffix && strcmp(*format, by_suffix))
		return s2e_error_set(S2E_EUSAGE, "--format %s contradicts the suffix of %s (%s)",
				     *format, s2e_q(file), by_suffix);
	if (!*format)
		*format = by_suffix ? by_suffix : "gzip";
	return 0;
}

static const char *package_suffix(const char *format)
{
	if (!strcmp(format, "zstd"))
		return ".tar.zst";
	if (!strcmp(format, "none"))
		return ".tar";
	return ".tar.gz";
}

/* Absolute path of FILE without requiring FILE to exist. */
static char *absolute(const char *file)
{
	char *dir, *slash, *real, *out;

	if (file[0] == '/')
		return s2e_strdup(file);
	dir = s2e_strdup(file);
	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	real = realpath(!slash ? "." : *dir ? dir : "/", NULL);
	if (!real)
		s2e_error_errno("cannot use directory %s", s2e_q(slash ? dir : "."));
	out = real ? s2e_path_join(real, slash ? slash + 1 : file) : NULL;
	free(real);
	free(dir);
	return out;
}

struct export {
	const struct s2e_pkg_report *r;
	const char *name, *format;
	char *file;   /* as the user sees it: "-", FILE, DIR/NAME.tar.gz */
	char *target; /* absolute path, NULL for standard output */
	char *from;   /* provenance: "VM NAME at commit C" */
	char sha[65];
	uint64_t bytes;
	int complete;
};

/* No FILE, or a directory: NAME.tar.gz (.tar.zst, .tar) there, as cp(1)
 * puts a file into a directory. */
static int export_target(struct export *ex, const char *file, int force)
{
	struct stat st;

	if (file && !strcmp(file, "-")) {
		ex->file = s2e_strdup("-");
		if (ex->file && isatty(1))
			return s2e_error("refusing to write a package to a terminal");
		return ex->file ? 0 : -1;
	}
	if (!file || (!stat(file, &st) && S_ISDIR(st.st_mode)))
		ex->file = file ? s2e_asprintf("%s/%s%s", file, ex->name, package_suffix(ex->format))
				: s2e_asprintf("%s%s", ex->name, package_suffix(ex->format));
	else
		ex->file = s2e_strdup(file);
	if (!ex->file || !(ex->target = absolute(ex->file)))
		return -1;
	if (!force && !lstat(ex->target, &st))
		return s2e_error("%s already exists (use -f to replace it)", s2e_q(ex->file));
	return 0;
}

/* One record of s2e-pack (see s2e-pack(1)). */
static int on_pack_record(void *ctx, const struct s2e_record *rec)
{
	struct export *ex = ctx;
	const char *snap;
	int is;

	if (ex->complete)
		return bad("a record after the last one");
	if ((is = s2e_record_is(rec, "packed", 2)) > 0) {
		if ((snap = s2e_package_snap(rec->field[2])))
			say(ex->r->vm.step, ex->r, "package snapshot: %s", s2e_printable(snap));
		else
			say(ex->r->vm.step, ex->r, "package disk image");
	} else if (!is && (is = s2e_record_is(rec, "compressed", 0)) > 0) {
		return 0;
	} else if (!is && (is = s2e_record_is(rec, "package", 2)) > 0) {
		if (strncmp(rec->field[1], "sha256:", 7) || strlen(rec->field[1] + 7) != 64 ||
		    s2e_record_u64(rec->field[2], &ex->bytes))
			return bad("the package record");
		strcpy(ex->sha, rec->field[1] + 7);
		ex->complete = 1;
	} else if (!is) {
		return s2e_error("malformed status record: unknown %s", s2e_q(rec->field[0]));
	}
	return is < 0 ? -1 : 0;
}

/* Run s2e-pack on the VM directory, following its status records; with no
 * target it writes to our standard output. */
static int pack(struct export *ex, const char *dir, int force)
{
	const char *words[] = {"s2e-pack", "--format", ex->format, "--name", ex->name,
			       "--exported-from", ex->from, force ? "-f" : NULL,
			       ex->target ? "-o" : NULL, ex->target, dir};
	int rc = run_recorded(words, sizeof(words) / sizeof(words[0]), progress_fd(ex->r),
			      on_pack_record, ex);

	if (!rc && !ex->complete)
		return s2e_error("s2e-pack: no package record");
	return rc;
}

/* "VM NAME at commit C": the VM's last commit, for the manifest. */
static char *provenance(const char *root, const char *name)
{
	char commit[41] = "", *path = s2e_asprintf("vm/%s", name);

	if (!path || s2e_history_last(root, path, commit) < 0)
		commit[0] = '\0';
	free(path);
	return commit[0] ? s2e_asprintf("VM %s at commit %s", name, commit)
			 : s2e_asprintf("VM %s", name);
}

/* vm.config's `updated`, so that `git log -- vm/NAME` shows the export; a
 * failed commit puts the old vm.config back.  A VM without vm.config (made
 * by hand) is left so. */
int s2e_vmtx_touch_meta(struct s2e_vmtx *tx)
{
	char *path = s2e_path_join(tx->dir, S2E_VM_META), now[64];
	struct s2e_meta meta;
	int rc = path ? s2e_meta_read(path, &meta) : -1;

	if (rc == 0) {
		s2e_time_utc(now, sizeof(now));
		rc = s2e_meta_set(&meta.updated, now);
		if (!rc)
			rc = s2e_vmtx_keep_old(tx, S2E_VM_META);
		if (!rc)
			rc = s2e_meta_write(path, &meta);
		s2e_meta_free(&meta);
	}
	free(path);
	return rc < 0 ? rc : 0;
}

/* Under the lock: the VM must still exist; then vm.config and the commit. */
static int export_record(const char *root, const struct export *ex)
{
	char *subject = s2e_asprintf("vm export %s %s", s2e_sq(ex->name), s2e_sq(ex->file));
	char *body = s2e_asprintf("VM: %s\nPackage: %s\nPackage digest: sha256:%s\n"
				  "Package size: %llu bytes\nExported from: %s\n",
				  ex->name, ex->file, ex->sha, (unsigned long long)ex->bytes,
				  ex->from);
	struct s2e_vmtx tx;
	int rc = subject && body ? 0 : -1;

	if (!rc && (rc = s2e_vmtx_begin(&tx, root, ex->name, S2E_VMTX_UPDATE)) == S2E_ENOTFOUND)
		s2e_error_set(rc, "no VM named %s (deleted during the export)", s2e_q(ex->name));
	if (!rc) {
		rc = s2e_vmtx_touch_meta(&tx);
		if (!rc)
			rc = s2e_vmtx_commit(&tx, subject, body, NULL, 0);
		s2e_vmtx_end(&tx);
	}
	free(subject);
	free(body);
	return rc;
}

/* Let the reader of standard output see the end of the package now. */
static void close_stdout(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	fflush(stdout);
	if (null >= 0) {
		dup2(null, 1);
		close(null);
	}
}

int s2e_vm_export(const char *root, const char *name, const char *file, const char *format,
		  int flags, const struct s2e_pkg_report *r)
{
	struct export ex = {.r = r, .name = name};
	char *dir = NULL;
	int rc = s2e_vm_name_check(name);

	if (!rc)
		rc = export_format(file, &format);
	ex.format = format;
	if (!rc)
		rc = export_target(&ex, file, flags & S2E_PKG_FORCE);
	if (!rc && (rc = s2e_vm_exists(root, name)) == 0)
		rc = s2e_error_set(S2E_ENOTFOUND, "no VM named %s", s2e_q(name));
	if (rc == 1 && (!(dir = s2e_vm_dir(root, name)) || !(ex.from = provenance(root, name))))
		rc = -1;
	if (rc == 1) {
		say(r->info, r, "exporting to %s", ex.target ? ex.target : "standard output");
		rc = pack(&ex, dir, flags & S2E_PKG_FORCE);
	}
	if (!rc) {
		say(r->vm.step, r, "compress package");
		if (!ex.target)
			close_stdout();
		rc = export_record(root, &ex);
	}
	if (!rc)
		say(r->vm.step, r, "clean up");
	free(dir);
	free(ex.file);
	free(ex.target);
	free(ex.from);
	return rc;
}
