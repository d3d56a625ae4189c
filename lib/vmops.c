/* create, clone, delete: see include/s2e/vmops.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/copy.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/vm.h"
#include "s2e/vmops.h"
#include "s2e/vmtx.h"

/* Copies running at once. */
#define CLONE_PARALLEL 4

void s2e_vm_step(const struct s2e_vm_report *r, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!r || !r->step)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->step(r->data, text);
}

/* Commit with a subject and body made by printf. */
static int commit_fmt(struct s2e_vmtx *tx, const char *subject, const char *body_fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int commit_fmt(struct s2e_vmtx *tx, const char *subject, const char *body_fmt, ...)
{
	char *body = NULL;
	va_list ap;
	int rc;

	va_start(ap, body_fmt);
	rc = vasprintf(&body, body_fmt, ap);
	va_end(ap);
	if (rc < 0 || !subject) {
		free(body);
		return s2e_error("out of memory");
	}
	rc = s2e_vmtx_commit(tx, subject, body, NULL, 0);
	free(body);
	return rc;
}

static const char *replaces(const struct s2e_vmtx *tx)
{
	return tx->exists ? "Replaces: the previous VM of that name\n" : "";
}

static int write_meta(const char *dir, const struct s2e_meta *meta)
{
	char *path = s2e_path_join(dir, S2E_VM_META);
	int rc = path ? s2e_meta_write(path, meta) : -1;

	free(path);
	return rc;
}

/* Metadata first, then the image from plumbing. */
static int create_build(struct s2e_vmtx *tx, const char *size_text, uint64_t size,
			char *label, const struct s2e_vm_report *r)
{
	struct s2e_meta meta = {.size = size};
	struct s2e_cmd cmd = S2E_CMD_INIT;
	char created[64], *disk;
	int rc;

	s2e_time_utc(created, sizeof(created));
	meta.size_label = label;
	meta.created = meta.updated = created;
	meta.origin = "created";
	if (write_meta(tx->staging, &meta))
		return -1;
	s2e_vm_step(r, "initialise VM");
	disk = s2e_path_join(tx->staging, S2E_VM_DISK);
	if (!disk || s2e_strv_add(&cmd.args, "s2e-mkimage") || s2e_strv_add(&cmd.args, disk) ||
	    s2e_strv_add(&cmd.args, size_text)) {
		s2e_cmd_clear(&cmd);
		free(disk);
		return -1;
	}
	cmd.err = -1;
	rc = s2e_cmd_run(&cmd);
	free(disk);
	if (rc == 0)
		s2e_vm_step(r, "create %s image", label);
	return rc;
}

int s2e_vm_create(const char *root, const char *name, const char *size_text, int flags,
		  const struct s2e_vm_report *r)
{
	struct s2e_vmtx tx;
	char label[64], *subject;
	uint64_t size;
	int rc;

	if (s2e_size_parse(size_text, &size) || s2e_size_label(size_text, label, sizeof(label)))
		return s2e_error_set(S2E_EUSAGE, "%s", s2e_error_last());
	rc = s2e_vmtx_begin(&tx, root, name, (flags & S2E_VMOP_FORCE) ? S2E_VMTX_FORCE : 0);
	if (rc)
		return rc;
	rc = create_build(&tx, size_text, size, label, r);
	if (rc == 0) {
		subject = s2e_asprintf("vm create %s%s %s", tx.exists ? "-f " : "", s2e_sq(name),
				       s2e_sq(size_text));
		rc = commit_fmt(&tx, subject, "VM: %s\nSize: %llu bytes (%s)\nOrigin: created\n%s",
				name, (unsigned long long)size, label, replaces(&tx));
		free(subject);
	}
	s2e_vmtx_end(&tx);
	return rc;
}

/* ---- clone ---- */

/* One file to copy: the disk image (snap == NULL) or a snapshot. */
struct copy {
	const char *snap;
	char *from, *to, *progress_arg, *jobs_arg;
	int finished;
	uint64_t data, done;
};

struct clone {
	const struct s2e_vm_report *r;
	const char *src;
	struct copy *files;
	size_t n, reported;
	int no_sync;
	struct s2e_progress *bar;
};

static uint64_t file_data(const char *path)
{
	uint64_t bytes = 0, size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;

	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	size = end > 0 ? (uint64_t)end : 0;
	if (s2e_data_bytes(fd, size, &bytes))
		bytes = 0;
	close(fd);
	return bytes;
}

/* "DONE TOTAL" lines from s2e-snapcp --progress=FD. */
static int copy_progress(struct s2e_cmd *cmd, const char *line, size_t len)
{
	struct copy *c = cmd->data;

	(void)len;
	sscanf(line, "%" SCNu64, &c->done);
	return 0;
}

/* `s2e-snapcp [--no-sync] [--progress=3] -j N FROM TO` */
static int copy_cmd(struct s2e_parallel *p, size_t i, struct s2e_cmd *cmd)
{
	struct clone *cl = p->data;
	struct copy *c = &cl->files[i];

	if (s2e_strv_add(&cmd->args, "s2e-snapcp") ||
	    (cl->no_sync && s2e_strv_add(&cmd->args, "--no-sync")) ||
	    (cl->bar && s2e_strv_add(&cmd->args, c->progress_arg)) ||
	    s2e_strv_add(&cmd->args, "-j") || s2e_strv_add(&cmd->args, c->jobs_arg) ||
	    s2e_strv_add(&cmd->args, c->from) || s2e_strv_add(&cmd->args, c->to))
		return -1;
	cmd->err = -1;
	if (cl->bar) {
		cmd->status = -1;
		cmd->on_status = copy_progress;
		cmd->data = c;
	}
	return 0;
}

/* Status lines in order, each once its copy (and those before it) is done;
 * the bar is erased first (it comes back on the next update). */
static int copy_done(struct s2e_parallel *p, size_t i, int rc)
{
	struct clone *cl = p->data;

	if (rc) {
		if (cl->files[i].snap)
			return s2e_error_prefix("cannot copy snapshot %s of VM %s",
						s2e_q(cl->files[i].snap), s2e_q(cl->src));
		return s2e_error_prefix("cannot copy the disk image of VM %s", s2e_q(cl->src));
	}
	cl->files[i].finished = 1;
	cl->files[i].done = cl->files[i].data;
	for (; cl->reported < cl->n && cl->files[cl->reported].finished; cl->reported++) {
		if (cl->bar && write(cl->r->progress_fd, "\r\033[K", 4) < 0) {
			/* nothing to do: the bar is cosmetic */
		}
		if (cl->files[cl->reported].snap)
			s2e_vm_step(cl->r, "copy snapshot: %s", cl->files[cl->reported].snap);
		else
			s2e_vm_step(cl->r, "copy disk image");
	}
	return 0;
}

static void copy_tick(struct s2e_parallel *p)
{
	struct clone *cl = p->data;
	uint64_t done = 0;

	for (size_t i = 0; i < cl->n; i++)
		done += cl->files[i].done;
	s2e_progress_update(cl->bar, done);
}

static int copy_all(struct clone *cl)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t parallel = cores < 2 ? 2 : cores > CLONE_PARALLEL ? CLONE_PARALLEL : (size_t)cores;
	struct s2e_parallel p = {cl->n, parallel, copy_cmd, copy_done, copy_tick, cl};
	int rc;

	if (cl->r && s2e_progress_tty(cl->r->progress_fd)) {
		uint64_t total = 0;
		for (size_t i = 0; i < cl->n; i++)
			total += cl->files[i].data = file_data(cl->files[i].from);
		cl->bar = s2e_progress_start(cl->r->progress_fd, "clone", total);
	}
	rc = s2e_run_parallel(&p);
	s2e_progress_finish(cl->bar);
	cl->bar = NULL;
	return rc;
}

/* The files of the clone, and each copy's arguments. */
static int clone_files(struct clone *cl, const char *root, const struct s2e_vm_info *info,
		       const char *staging)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t busy = cl->n < CLONE_PARALLEL ? cl->n : CLONE_PARALLEL;
	long jobs = cores / (long)busy > 1 ? cores / (long)busy : 1;

	cl->files = calloc(cl->n, sizeof(*cl->files));
	if (!cl->files)
		return s2e_error("out of memory");
	for (size_t i = 0; i < cl->n; i++) {
		struct copy *c = &cl->files[i];
		char *leaf;
		c->snap = i ? info->snaps[i - 1].name : NULL;
		c->from = s2e_vm_file(root, cl->src, c->snap);
		leaf = c->snap ? s2e_asprintf("%s.%s", S2E_VM_DISK, c->snap)
			       : s2e_strdup(S2E_VM_DISK);
		c->to = leaf ? s2e_path_join(staging, leaf) : NULL;
		free(leaf);
		c->progress_arg = s2e_asprintf("--progress=%d", S2E_CMD_STATUS_FD);
		c->jobs_arg = s2e_asprintf("%ld", jobs);
		if (!c->from || !c->to || !c->progress_arg || !c->jobs_arg)
			return -1;
	}
	return 0;
}

static void clone_free(struct clone *cl)
{
	for (size_t i = 0; cl->files && i < cl->n; i++) {
		free(cl->files[i].from);
		free(cl->files[i].to);
		free(cl->files[i].progress_arg);
		free(cl->files[i].jobs_arg);
	}
	free(cl->files);
}

/* Keys s2e does not manage itself (settings, hand-written keys). */
static int copy_extra(struct s2e_config *to, const struct s2e_config *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct s2e_config_entry *e = &from->entries[i];
		if (s2e_config_add(to, e->section, e->subsection, e->key, e->value))
			return -1;
	}
	return 0;
}

/* The clone's vm.config: the source's metadata and settings, snapshots in
 * the order the source lists them (with the settings they remember), a new
 * creation time and the origin. */
static int clone_meta(const char *staging, const struct s2e_vm_info *src, const char *origin)
{
	struct s2e_meta meta;
	char now[64];
	int rc = -1;

	memset(&meta, 0, sizeof(meta));
	s2e_time_utc(now, sizeof(now));
	meta.size = src->size;
	if (s2e_meta_set(&meta.created, now) || s2e_meta_set(&meta.updated, now) ||
	    s2e_meta_set(&meta.origin, origin))
		goto out;
	if (src->meta.size_label && s2e_meta_set(&meta.size_label, src->meta.size_label))
		goto out;
	if (src->meta.digest && src->meta.size == src->size &&
	    s2e_meta_set(&meta.digest, src->meta.digest))
		goto out;
	for (size_t i = 0; i < src->nsnaps; i++) {
		const struct s2e_snap_info *snap = &src->snaps[i];
		const struct s2e_meta_snap *rec =
		    s2e_meta_find_snap((struct s2e_meta *)&src->meta, snap->name);
		char taken[64];
		/* A snapshot made by hand is recorded as taken when its file
		 * was last written. */
		if (!rec || !rec->taken)
			s2e_time_utc_of(&snap->mtime, taken, sizeof(taken));
		if (s2e_meta_add_snap(&meta, snap->name, rec && rec->taken ? rec->taken : taken,
				      rec ? rec->disk_digest : NULL) ||
		    (rec && copy_extra(&s2e_meta_find_snap(&meta, snap->name)->extra, &rec->extra)))
			goto out;
	}
	if (copy_extra(&meta.extra, &src->meta.extra))
		goto out;
	rc = write_meta(staging, &meta);
out:
	s2e_meta_free(&meta);
	return rc;
}

/* "clone of SRC at COMMIT", or "clone of SRC" for a VM made by hand. */
static char *clone_origin(const char *root, const char *src)
{
	char *meta = s2e_asprintf("vm/%s/%s", src, S2E_VM_META), oid[41], *origin = NULL;

	if (!meta)
		return NULL;
	switch (s2e_history_last(root, meta, oid)) {
	case 0:
		origin = s2e_asprintf("clone of %s at %s", src, oid);
		break;
	case 1:
		origin = s2e_asprintf("clone of %s", src);
		break;
	}
	free(meta);
	return origin;
}

static int clone_record(struct s2e_vmtx *tx, const char *src, const struct s2e_vm_info *info,
			const char *origin)
{
	char *snaps = s2e_vm_snap_names(info), mib[32], *subject;
	int rc;

	s2e_size_mib(info->size, mib, sizeof(mib));
	subject = s2e_asprintf("vm clone %s%s %s", tx->exists ? "-f " : "", s2e_sq(src),
			       s2e_sq(tx->name));
	rc = snaps ? commit_fmt(tx, subject,
				"VM: %s\nCloned from: %s\nOrigin: %s\nSize: %" PRIu64
				" bytes (%s)\nSnapshots: %s\n%s",
				tx->name, src, origin, info->size, mib, snaps, replaces(tx))
		   : -1;
	free(subject);
	free(snaps);
	return rc;
}

static int clone_into(struct s2e_vmtx *tx, const char *root, const char *src,
		      const struct s2e_vm_info *info, int flags, const struct s2e_vm_report *r)
{
	struct clone cl = {.r = r, .src = src, .n = 1 + info->nsnaps,
			   .no_sync = !!(flags & S2E_VMOP_NO_SYNC)};
	char *origin = clone_origin(root, src);
	int rc = -1;

	if (!origin)
		return -1;
	s2e_vm_step(r, "initialise VM");
	if (clone_files(&cl, root, info, tx->staging) == 0 && copy_all(&cl) == 0 &&
	    clone_meta(tx->staging, info, origin) == 0)
		rc = clone_record(tx, src, info, origin);
	clone_free(&cl);
	free(origin);
	return rc;
}

int s2e_vm_clone(const char *root, const char *src, const char *dst, int flags,
		 const struct s2e_vm_report *r)
{
	struct s2e_vm_info info;
	struct s2e_vmtx tx;
	int rc;

	if (s2e_vm_name_check(src))
		return s2e_error_set(S2E_EINVALID, "%s", s2e_error_last());
	rc = s2e_vmtx_begin(&tx, root, dst, (flags & S2E_VMOP_FORCE) ? S2E_VMTX_FORCE : 0);
	if (rc)
		return rc;
	rc = s2e_vm_describe(root, src, &info);
	if (rc == 0) {
		if (info.defunct)
			rc = s2e_error("VM %s is defunct: it has no %s", s2e_q(src), S2E_VM_DISK);
		else
			rc = clone_into(&tx, root, src, &info, flags, r);
		s2e_vm_info_free(&info);
	}
	s2e_vmtx_end(&tx);
	return rc;
}

/* ---- delete ---- */

static char *delete_body(const char *root, const char *name)
{
	struct s2e_vm_info vm;
	char *body = NULL, *snaps;

	/* A VM whose metadata cannot be read can still be deleted. */
	if (s2e_vm_describe(root, name, &vm))
		return s2e_asprintf("VM: %s (unreadable: %s)\n", name, s2e_error_last());
	snaps = s2e_vm_snap_names(&vm);
	if (snaps && vm.defunct)
		body = s2e_asprintf("VM: %s (defunct: no disk image)\nSnapshots: %s\n", name, snaps);
	else if (snaps)
		body = s2e_asprintf("VM: %s\nSize: %llu bytes\nSnapshots: %s\n", name,
				    (unsigned long long)vm.size, snaps);
	free(snaps);
	s2e_vm_info_free(&vm);
	return body;
}

int s2e_vm_delete(const char *root, const char *name, const struct s2e_vm_report *r)
{
	struct s2e_vmtx tx;
	char *body, *subject;
	int rc = s2e_vmtx_begin(&tx, root, name, S2E_VMTX_DELETE);

	if (rc)
		return rc;
	body = delete_body(root, name);
	subject = s2e_asprintf("vm delete %s", s2e_sq(name));
	rc = body && subject ? s2e_vmtx_commit(&tx, subject, body, NULL, 0) : -1;
	free(body);
	free(subject);
	s2e_vmtx_end(&tx);
	if (rc == 0)
		s2e_vm_step(r, "delete %s", name);
	return rc;
}

int s2e_vm_delete_check(const char *root, const char *name, const char *snap)
{
	struct stat st;
	char *file;
	int rc;

	if ((rc = s2e_vm_exists(root, name)) != 1)
		return rc < 0 ? rc : s2e_error_set(S2E_ENOTFOUND, "no such VM %s", s2e_q(name));
	if (!snap)
		return s2e_vm_in_use(root, name);
	if (!(file = s2e_vm_file(root, name, snap)))
		return -1;
	rc = lstat(file, &st) || !S_ISREG(st.st_mode)
		     ? s2e_error_set(S2E_ENOTFOUND, "VM %s has no snapshot %s", s2e_q(name), s2e_q(snap))
		     : 0;
	free(file);
	return rc;
}

/* Metadata for a VM made by hand, from what is on disk. */
static int adopt(const char *dir, struct s2e_meta *meta)
{
	char *disk = s2e_path_join(dir, S2E_VM_DISK);
	struct stat st;
	int rc = -1;

	if (disk) {
		meta->size = stat(disk, &st) == 0 ? (uint64_t)st.st_size : 0;
		rc = s2e_meta_set(&meta->origin, "made by hand");
	}
	free(disk);
	return rc;
}

/* Move the snapshot aside and keep the old metadata (s2e_vmtx_keep_old():
 * vm.config stays in place until the new one replaces it), write the new. */
static int drop_snapshot(struct s2e_vmtx *tx, const char *snap, int *recorded)
{
	char *leaf = s2e_asprintf("%s.%s", S2E_VM_DISK, snap);
	char *meta_path = s2e_path_join(tx->dir, S2E_VM_META), now[64];
	struct s2e_meta meta;
	int rc = -1, found;

	memset(&meta, 0, sizeof(meta));
	if (!leaf || !meta_path || (found = s2e_meta_read(meta_path, &meta)) < 0)
		goto out;
	if ((found == 1 && adopt(tx->dir, &meta)) || s2e_vmtx_set_aside(tx, leaf) ||
	    (found == 0 && s2e_vmtx_keep_old(tx, S2E_VM_META)))
		goto out;
	*recorded = s2e_meta_remove_snap(&meta, snap);
	s2e_time_utc(now, sizeof(now));
	if (s2e_meta_set(&meta.updated, now) || s2e_meta_write(meta_path, &meta))
		goto out;
	rc = 0;
out:
	s2e_meta_free(&meta);
	free(leaf);
	free(meta_path);
	return rc;
}

int s2e_vm_delete_snapshot(const char *root, const char *name, const char *snap,
			   const struct s2e_vm_report *r)
{
	struct s2e_vmtx tx;
	struct stat st;
	char *file = NULL, *ref = NULL, *subject = NULL;
	int rc, recorded = 0;

	if (s2e_snap_name_check(snap))
		return s2e_error_set(S2E_EINVALID, "%s", s2e_error_last());
	rc = s2e_vmtx_begin(&tx, root, name, S2E_VMTX_UPDATE);
	if (rc)
		return rc;
	file = s2e_vm_file(root, name, snap);
	if (!file || lstat(file, &st) || !S_ISREG(st.st_mode)) {
		rc = file ? s2e_error_set(S2E_ENOTFOUND, "VM %s has no snapshot %s", s2e_q(name),
					  s2e_q(snap))
			  : -1;
		goto out;
	}
	ref = s2e_asprintf("%s:%s", name, snap);
	subject = ref ? s2e_asprintf("vm delete %s", s2e_sq(ref)) : NULL;
	rc = subject ? drop_snapshot(&tx, snap, &recorded) : -1;
	if (rc == 0)
		rc = commit_fmt(&tx, subject, "VM: %s\nDeleted snapshot: %s (%llu bytes)%s\n", name,
				snap, (unsigned long long)st.st_size,
				recorded ? "" : "\nThe snapshot had been made by hand (not recorded).");
	if (rc == 0)
		s2e_vm_step(r, "delete snapshot %s:%s", name, snap);
out:
	s2e_vmtx_end(&tx);
	free(file);
	free(ref);
	free(subject);
	return rc;
}
