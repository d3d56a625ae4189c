/* VM transactions (SPEC §5, §7): every command that changes a VM does it
 * through one of these, so that a VM appears, is replaced or disappears
 * whole, and the history records exactly what is on disk.
 *
 *   struct s2e_vmtx tx;
 *   if (s2e_vmtx_begin(&tx, root, name, force ? S2E_VMTX_FORCE : 0))
 *           return fail();                 // S2E_EEXISTS, S2E_EINVALID, ...
 *   ... build the VM in tx.staging (disk.s2e, disk.s2e.SNAP, vm.config) ...
 *   if (built_ok)
 *           rc = s2e_vmtx_commit(&tx, subject, body);
 *   s2e_vmtx_end(&tx);                     // aborts unless committed
 *
 * begin, in this order, touching nothing until the checks pass:
 *   - the name is checked as a typed name (s2e_vm_name_check) and as git
 *     checks paths (s2e_history_path_check: `GIT~1`, `.git.` ... are
 *     S2E_EINVALID);
 *   - S2EDIR is created on first use, its lock taken (S2E_ELOCKED after
 *     $S2E_LOCK_TIMEOUT), the history repository created on first use; a
 *     git lock file of another process is S2E_ELOCKED now, before any work;
 *   - existence: a new VM that exists is S2E_EEXISTS unless S2E_VMTX_FORCE;
 *     S2E_VMTX_DELETE and S2E_VMTX_UPDATE need the VM (S2E_ENOTFOUND);
 *   - a VM in use (a running `s2e vm run` holds its mark, s2e/inuse.h) is
 *     S2E_EINUSE for FORCE and DELETE;
 *   - a staging directory is made in S2EDIR/vm (same file system) for a
 *     new VM (not for DELETE or UPDATE).
 * The S2EDIR lock is inherited by the children started during the
 * transaction: a killed command's plumbing keeps it until it is gone, so the
 * next command never cleans up under a copy still running.
 *
 * commit:
 *   - new VM: staging is renamed to vm/NAME (an existing VM is swapped out
 *     with one atomic exchange, so vm/NAME is always the old VM or the new);
 *     DELETE: vm/NAME is renamed into S2EDIR/.s2e/trash/ (made in advance:
 *     deleting needs no free space; without it, or across file systems, the
 *     VM is removed in place; a symlinked VM directory is
 *     moved as the link); UPDATE: nothing moves (the caller changed files in
 *     place, see s2e_vmtx_set_aside());
 *   - ONE history commit of vm/NAME (plus `extra` paths) with subject/body;
 *   - a delete whose commit fails for want of space frees the deleted VM's
 *     images and tries once more (the VM itself is what frees the space);
 *   - if that commit fails, the renames are undone (the old VM back in place,
 *     the new one back in staging, removed by end) and the error is the
 *     commit's;
 *   - then what was replaced or deleted is removed.
 * end: removes the staging directory of an uncommitted transaction, undoes
 * set-asides, releases the lock.  The first error is kept across all of
 * this (struct s2e_error_state).  Anything a killed command leaves (staging,
 * trash) is removed by the next command that takes the lock.
 */
#ifndef S2E_VMTX_H
#define S2E_VMTX_H

#include <stddef.h>

#include "s2e/s2edir.h"

enum {
	S2E_VMTX_FORCE = 1 << 0,  /* replace an existing VM */
	S2E_VMTX_DELETE = 1 << 1, /* remove the VM */
	S2E_VMTX_UPDATE = 1 << 2, /* change an existing VM in place */
};

struct s2e_vmtx {
	char *root;    /* S2EDIR, absolute */
	char *name;    /* the VM */
	char *dir;     /* S2EDIR/vm/NAME */
	char *staging; /* build the new VM here; NULL for DELETE and UPDATE */
	int exists;    /* vm/NAME existed at begin (replaced, deleted or updated) */
	int flags;
	/* private */
	struct s2e_lock lock;
	char *trash; /* where the old VM went, once committed */
	struct s2e_vmtx_aside *aside;
	size_t naside;
	int moved, committed;
};

/* Start a transaction on VM `name` in S2EDIR `root` (resolved, e.g. by
 * porcelain_root()).  On failure nothing is held and tx needs no end. */
int s2e_vmtx_begin(struct s2e_vmtx *tx, const char *root, const char *name, int flags);

/* A name a VM can be created (or renamed) under: the name rules of
 * s2e/names.h and git's rules for the path vm/NAME/vm.config.  S2E_EINVALID,
 * with a message naming the name and the reason. */
int s2e_vmtx_name_check(const char *name);

/* A new VM whose name is known only once it is built (`s2e vm import FILE`
 * takes it from the package): begin with name NULL (not for DELETE or
 * UPDATE: S2E_ERROR), build in tx.staging, then name it here before commit.
 * The checks of begin are made now, under the lock: S2E_EINVALID,
 * S2E_EEXISTS (without FORCE), S2E_EINUSE; on failure the VM stays unnamed
 * and the transaction is still to be ended. */
int s2e_vmtx_name(struct s2e_vmtx *tx, const char *name);

/* UPDATE: move file `rel` of the VM (e.g. "disk.s2e.SNAP", "vm.config") out
 * of the way, into the trash, without copying; commit removes it, a failed
 * commit or an abort puts it back (over whatever replaced it).  Needs no
 * free space. */
int s2e_vmtx_set_aside(struct s2e_vmtx *tx, const char *rel);

/* UPDATE: keep the old contents of file `rel` (vm.config), which the caller
 * then replaces with an atomic write (s2e_write_file_atomic): a hard link in
 * the trash holds the old file, and `rel` itself stays in place, so that a
 * kill at any moment leaves the old file or the new, never none.  commit
 * removes the link, a failed commit or an abort puts it back over the new
 * file.  Needs no free space. */
int s2e_vmtx_keep_old(struct s2e_vmtx *tx, const char *rel);

/* Make it so, and record it: see above.  `extra` (may be NULL) lists more
 * paths relative to S2EDIR to record in the same commit. */
int s2e_vmtx_commit(struct s2e_vmtx *tx, const char *subject, const char *body,
		    const char *const *extra, size_t nextra);

/* UPDATE: set vm.config's `updated` to now (the old file set aside, so a
 * failed commit puts it back), so that `git log -- vm/NAME` shows an
 * operation that changed no tracked file.  A VM without vm.config is left so. */
int s2e_vmtx_touch_meta(struct s2e_vmtx *tx);

/* Abort unless committed, release everything.  Keeps the current error. */
void s2e_vmtx_end(struct s2e_vmtx *tx);

/* The in-use hook, over s2e/inuse.h: S2E_EINUSE when a running `s2e vm
 * run` holds VM `name`'s mark, 0 otherwise. */
int s2e_vm_in_use(const char *root, const char *name);
/* Take VM `name`'s mark (shared) until the returned descriptor is closed;
 * -1 with the error set.  (s2e_inuse_take() is the full interface.) */
int s2e_vm_use(const char *root, const char *name);

#endif
