/* VM transactions: see include/s2e/vmtx.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/inuse.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/vmtx.h"

/* How the VM was moved, so that it can be moved back. */
enum moved {
	MOVED_NONE,
	MOVED_NEW,	 /* staging -> vm/NAME */
	MOVED_EXCHANGE,	 /* staging <-> vm/NAME: staging holds the old VM */
	MOVED_TWO,	 /* vm/NAME -> trash/NAME, staging -> vm/NAME */
	MOVED_TRASH,	 /* vm/NAME -> trash/NAME (delete) */
	MOVED_IN_PLACE,	 /* vm/NAME removed in place (delete, no trash) */
};

struct s2e_vmtx_aside {
	char *from, *to;
};

static int moved_of(const struct s2e_vmtx *tx)
{
	return tx->moved;
}

static void set_moved(struct s2e_vmtx *tx, enum moved m)
{
	tx->moved = (int)m;
}

int s2e_vm_in_use(const char *root, const char *name)
{
	switch (s2e_inuse_held(root, S2E_INUSE_VM, name)) {
	case 0:
		return 0;
	case 1:
		return s2e_error_set(S2E_EINUSE, "VM %s is in use by a running s2e vm run",
				     s2e_q(name));
	default:
		return -1;
	}
}

int s2e_vm_use(const char *root, const char *name)
{
	struct s2e_inuse mark;

	if (s2e_inuse_take(root, S2E_INUSE_VM, name, 0, &mark))
		return -1;
	return mark.fd;
}

int s2e_vmtx_name_check(const char *name)
{
	char *path;
	int rc;

	if (s2e_vm_name_check(name))
		return s2e_error_set(S2E_EINVALID, "%s", s2e_error_last());
	path = s2e_asprintf("vm/%s/" S2E_VM_META, name);
	if (!path)
		return -1;
	rc = s2e_history_path_check(path);
	free(path);
	if (rc)
		return s2e_error_set(S2E_EINVALID, "invalid VM name %s: %s", s2e_q(name),
				     s2e_error_last());
	return 0;
}

/* Everything about the name, before anything is touched.  A VM made by hand
 * under a name git refuses can still be deleted (it was never recorded). */
static int check_name(const char *name, int flags)
{
	if (flags & S2E_VMTX_DELETE)
		return s2e_vm_name_check(name) ? s2e_error_set(S2E_EINVALID, "%s", s2e_error_last())
					       : 0;
	return s2e_vmtx_name_check(name);
}

static int check_existing(struct s2e_vmtx *tx)
{
	struct stat st;

	if (lstat(tx->dir, &st) == 0)
		tx->exists = 1;
	else if (errno != ENOENT)
		return s2e_error_errno("cannot read VM %s", s2e_q(tx->name));
	if (tx->flags & (S2E_VMTX_DELETE | S2E_VMTX_UPDATE)) {
		if (!tx->exists)
			return s2e_error_set(S2E_ENOTFOUND, "no such VM %s", s2e_q(tx->name));
	} else if (tx->exists && !(tx->flags & S2E_VMTX_FORCE)) {
		return s2e_error_set(S2E_EEXISTS, "VM %s already exists (use -f to replace it)",
				     s2e_q(tx->name));
	}
	if (tx->exists && !(tx->flags & S2E_VMTX_UPDATE))
		return s2e_vm_in_use(tx->root, tx->name);
	return 0;
}

/* The name, its directory, and whether it exists. */
static int set_name(struct s2e_vmtx *tx, const char *name)
{
	int rc = check_name(name, tx->flags);

	if (rc)
		return rc;
	free(tx->name);
	free(tx->dir);
	tx->name = s2e_strdup(name);
	tx->dir = tx->name ? s2e_vm_dir(tx->root, name) : NULL;
	return tx->dir ? 0 : -1;
}

int s2e_vmtx_begin(struct s2e_vmtx *tx, const char *root, const char *name, int flags)
{
	int rc;

	memset(tx, 0, sizeof(*tx));
	tx->lock.fd = -1;
	tx->flags = flags;
	if (!name && (flags & (S2E_VMTX_DELETE | S2E_VMTX_UPDATE)))
		return s2e_error("a transaction on an existing VM needs its name");
	if (name && (rc = check_name(name, flags)))
		return rc;
	tx->root = s2e_strdup(root);
	if (!tx->root || (name && (rc = set_name(tx, name)))) {
		rc = -1;
		goto fail;
	}
	rc = s2e_lock(root, &tx->lock);
	if (rc || (rc = s2e_history_init(root)) || (rc = s2e_history_check_locks(root)) ||
	    (name && (rc = check_existing(tx))))
		goto fail;
	/* Our plumbing inherits the lock (see the header). */
	if (fcntl(tx->lock.fd, F_SETFD, 0)) {
		rc = s2e_error_errno("cannot share the S2EDIR lock");
		goto fail;
	}
	if (!(flags & (S2E_VMTX_DELETE | S2E_VMTX_UPDATE)) &&
	    !(tx->staging = s2e_staging_create(root))) {
		rc = -1;
		goto fail;
	}
	return 0;
fail:
	s2e_vmtx_end(tx);
	return rc < 0 ? rc : S2E_ERROR;
}

int s2e_vmtx_name(struct s2e_vmtx *tx, const char *name)
{
	int rc;

	if (tx->name)
		return s2e_error("the transaction's VM is already named %s", s2e_q(tx->name));
	if ((rc = set_name(tx, name)) || (rc = check_existing(tx))) {
		free(tx->name);
		free(tx->dir);
		tx->name = tx->dir = NULL;
		tx->exists = 0;
	}
	return rc;
}

static char *trash_of(const struct s2e_vmtx *tx, const char *leaf)
{
	return s2e_asprintf("%s/" S2E_TRASH_DIR "/%s", tx->root, leaf);
}

static int sync_vmdir(const struct s2e_vmtx *tx)
{
	char *vmdir = s2e_path_join(tx->root, "vm");
	int rc = vmdir ? s2e_fsync_dir(vmdir) : -1;

	free(vmdir);
	return rc;
}

/* Put the new VM in place (or the old one out). */
static int move_in(struct s2e_vmtx *tx)
{
	if (tx->staging && s2e_fsync_dir(tx->staging))
		return -1;
	if (tx->flags & S2E_VMTX_UPDATE)
		return 0;
	if (tx->flags & S2E_VMTX_DELETE) {
		if (rename(tx->dir, tx->trash) == 0) {
			set_moved(tx, MOVED_TRASH);
		} else {
			/* No trash (made where there was room): remove in place. */
			if (s2e_remove_tree(tx->dir))
				return -1;
			set_moved(tx, MOVED_IN_PLACE);
		}
		return sync_vmdir(tx);
	}
	if (!tx->exists) {
		/* NOREPLACE: never clobber a VM that appeared meanwhile. */
		if (renameat2(AT_FDCWD, tx->staging, AT_FDCWD, tx->dir, RENAME_NOREPLACE)) {
			if (errno == EEXIST || errno == ENOTEMPTY)
				return s2e_error_set(S2E_EEXISTS, "VM %s already exists",
						     s2e_q(tx->name));
			return s2e_error_errno("cannot move %s into place as %s",
					       s2e_q(tx->staging), s2e_q(tx->dir));
		}
		set_moved(tx, MOVED_NEW);
	} else if (renameat2(AT_FDCWD, tx->staging, AT_FDCWD, tx->dir, RENAME_EXCHANGE) == 0) {
		set_moved(tx, MOVED_EXCHANGE);
	} else if (errno != EINVAL && errno != ENOSYS) {
		return s2e_error_errno("cannot replace VM %s", s2e_q(tx->name));
	} else {
		/* No exchange on this file system: two renames, old one first. */
		if (rename(tx->dir, tx->trash))
			return s2e_error_errno("cannot replace VM %s", s2e_q(tx->name));
		if (rename(tx->staging, tx->dir)) {
			int rc = s2e_error_errno("cannot replace VM %s", s2e_q(tx->name));
			rename(tx->trash, tx->dir);
			return rc;
		}
		set_moved(tx, MOVED_TWO);
	}
	return sync_vmdir(tx);
}

/* Undo move_in after a failed history commit. */
static int move_back(struct s2e_vmtx *tx)
{
	int rc = 0;

	switch (moved_of(tx)) {
	case MOVED_NEW:
		rc = rename(tx->dir, tx->staging);
		break;
	case MOVED_EXCHANGE:
		rc = renameat2(AT_FDCWD, tx->staging, AT_FDCWD, tx->dir, RENAME_EXCHANGE);
		break;
	case MOVED_TWO:
		rc = rename(tx->dir, tx->staging) || rename(tx->trash, tx->dir);
		break;
	case MOVED_TRASH:
		rc = rename(tx->trash, tx->dir);
		break;
	case MOVED_IN_PLACE:
		return s2e_error("VM %s was removed but its removal is not recorded",
				 s2e_q(tx->name));
	}
	set_moved(tx, MOVED_NONE);
	if (rc)
		return s2e_error_errno("cannot move VM %s back", s2e_q(tx->name));
	return sync_vmdir(tx);
}

/* After the commit: remove what was replaced or deleted. */
static int drop_old(struct s2e_vmtx *tx)
{
	int rc = 0;

	switch (moved_of(tx)) {
	case MOVED_EXCHANGE:
		rc = s2e_remove_tree(tx->staging);
		break;
	case MOVED_TWO:
	case MOVED_TRASH:
		rc = s2e_remove_tree(tx->trash);
		break;
	}
	for (size_t i = 0; i < tx->naside; i++)
		if (unlink(tx->aside[i].to) && errno != ENOENT)
			rc = s2e_error_errno("cannot remove %s", s2e_q(tx->aside[i].to));
	return rc;
}

static void undo_asides(struct s2e_vmtx *tx)
{
	for (size_t i = tx->naside; i-- > 0;) {
		rename(tx->aside[i].to, tx->aside[i].from);
		free(tx->aside[i].from);
		free(tx->aside[i].to);
	}
	tx->naside = 0;
}

/* Move file `rel` into the trash, or with keep, link it there and leave it
 * in place for an atomic write to replace (the file never goes missing). */
static int aside(struct s2e_vmtx *tx, const char *rel, int keep)
{
	struct s2e_vmtx_aside *grown, *a;
	char leaf[64];
	int failed;

	grown = realloc(tx->aside, (tx->naside + 1) * sizeof(*grown));
	if (!grown)
		return s2e_error("out of memory");
	tx->aside = grown;
	a = &tx->aside[tx->naside];
	snprintf(leaf, sizeof(leaf), "aside-%ld-%zu", (long)getpid(), tx->naside);
	a->from = s2e_path_join(tx->dir, rel);
	a->to = trash_of(tx, leaf);
	failed = !a->from || !a->to;
	if (!failed && keep) /* a link of an earlier process with our pid */
		failed = (unlink(a->to) && errno != ENOENT) || link(a->from, a->to);
	else if (!failed)
		failed = rename(a->from, a->to);
	if (failed) {
		int rc = a->from && a->to ? s2e_error_errno("cannot move %s aside", s2e_q(a->from))
					  : -1;
		free(a->from);
		free(a->to);
		return rc;
	}
	tx->naside++;
	return 0;
}

int s2e_vmtx_set_aside(struct s2e_vmtx *tx, const char *rel)
{
	return aside(tx, rel, 0);
}

int s2e_vmtx_keep_old(struct s2e_vmtx *tx, const char *rel)
{
	return aside(tx, rel, 1);
}

static int record(struct s2e_vmtx *tx, const char *subject, const char *body,
		  const char *const *extra, size_t nextra)
{
	const char **paths = calloc(nextra + 1, sizeof(*paths));
	char *vm_path = s2e_asprintf("vm/%s", tx->name);
	int rc = -1;

	if (paths && vm_path) {
		paths[0] = vm_path;
		for (size_t i = 0; i < nextra; i++)
			paths[i + 1] = extra[i];
		rc = s2e_history_commit(tx->root, paths, nextra + 1, subject, body, NULL);
	} else {
		s2e_error("out of memory");
	}
	free(paths);
	free(vm_path);
	return rc;
}

/* Whether a failed commit failed for want of space. */
static int out_of_space(void)
{
	const char *msg = s2e_error_last();

	return strstr(msg, strerror(ENOSPC)) || strstr(msg, strerror(EDQUOT));
}

/* A delete on a full disk: the commit needs a few blocks, which only the
 * deleted VM can give.  Its images go first (the user asked for them to go);
 * should the commit fail even so, what comes back is the VM without them. */
static int free_images(const struct s2e_vmtx *tx)
{
	struct stat st;
	struct dirent *de;
	DIR *dir;

	if (lstat(tx->trash, &st) || !S_ISDIR(st.st_mode) || !(dir = opendir(tx->trash)))
		return -1;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, S2E_VM_DISK, strlen(S2E_VM_DISK)))
			unlinkat(dirfd(dir), de->d_name, 0);
	closedir(dir);
	return 0;
}

int s2e_vmtx_commit(struct s2e_vmtx *tx, const char *subject, const char *body,
		    const char *const *extra, size_t nextra)
{
	struct s2e_error_state saved;
	int rc;

	if (!tx->name)
		return s2e_error("the new VM has no name yet");
	if (tx->committed)
		return s2e_error("the transaction on VM %s is already committed", s2e_q(tx->name));
	tx->trash = trash_of(tx, tx->name);
	if (!tx->trash)
		return -1;
	rc = s2e_fault("vmtx-build");
	if (rc || (rc = move_in(tx)))
		return rc;
	rc = record(tx, subject, body, extra, nextra);
	if (rc && moved_of(tx) == MOVED_TRASH && out_of_space() && free_images(tx) == 0)
		rc = record(tx, subject, body, extra, nextra);
	if (rc) {
		/* The history must not lie: put things back as they were. */
		s2e_error_save(&saved);
		move_back(tx);
		undo_asides(tx);
		return s2e_error_restore(&saved);
	}
	rc = drop_old(tx);
	tx->committed = 1;
	if (rc)
		return s2e_error_prefix("recorded, but cannot remove what it replaced");
	return 0;
}

void s2e_vmtx_end(struct s2e_vmtx *tx)
{
	struct s2e_error_state saved;

	s2e_error_save(&saved);
	if (!tx->committed) {
		if (moved_of(tx))
			move_back(tx);
		undo_asides(tx);
	}
	if (tx->staging && !tx->committed)
		s2e_remove_tree(tx->staging);
	for (size_t i = 0; i < tx->naside; i++) {
		free(tx->aside[i].from);
		free(tx->aside[i].to);
	}
	s2e_unlock(&tx->lock);
	free(tx->aside);
	free(tx->trash);
	free(tx->staging);
	free(tx->dir);
	free(tx->name);
	free(tx->root);
	memset(tx, 0, sizeof(*tx));
	tx->lock.fd = -1;
	s2e_error_restore(&saved);
}
