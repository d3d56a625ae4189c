/* The S2EDIR tree (SPEC §2): where it is, the lock that serialises mutating
 * commands (SPEC §7), and staging directories that become VMs by rename(2).
 *
 *   S2EDIR/vm/NAME/           a VM (disk.s2e, disk.s2e.SNAP, vm.config)
 *   S2EDIR/vm/.s2e-staging-*  a VM being built; never listed
 *   S2EDIR/vm/.s2e-trash-*    a VM being removed (older commands); never listed
 *   S2EDIR/.s2e/lock          flock(2)ed by mutating commands
 *   S2EDIR/.s2e/trash/        what a delete or replace moved aside (made in
 *                             advance, so that deleting needs no free space)
 */
#ifndef S2E_S2EDIR_H
#define S2E_S2EDIR_H

#define S2E_VM_DISK "disk.s2e"
#define S2E_VM_META "vm.config"
#define S2E_STAGING_PREFIX ".s2e-staging-"
#define S2E_TRASH_PREFIX ".s2e-trash-"
#define S2E_TRASH_DIR ".s2e/trash"

/* --s2edir DIR (opt, may be NULL), else $S2EDIR, else $HOME/s2e; absolute, malloc'd. */
char *s2e_dir_resolve(const char *opt);
/* mkdir -p S2EDIR/vm and S2EDIR/.s2e.  Does not touch the history. */
int s2e_dir_prepare(const char *root);

char *s2e_vm_dir(const char *root, const char *name);
char *s2e_vm_file(const char *root, const char *name, const char *snap /* NULL: disk */);

struct s2e_lock {
	int fd;
};
/* Take the S2EDIR lock, waiting up to $S2E_LOCK_TIMEOUT seconds (default 30;
 * then S2E_ELOCKED), then remove staging and trash left by commands that
 * died, and the temporaries of their atomic writes (vm/NAME/vm.config.tmp.*,
 * experiments/NAME/record.conf.tmp.* and s2e-config.lua.tmp.*). */
int s2e_lock(const char *root, struct s2e_lock *lock);
void s2e_unlock(struct s2e_lock *lock);

/* mkdtemp a staging directory under S2EDIR/vm (same file system as the VMs). */
char *s2e_staging_create(const char *root);
/* Transitional (struct s2e_vmtx does this and records it): move the staging
 * directory to vm/NAME.  With replace, an existing VM is
 * swapped out atomically (renameat2 RENAME_EXCHANGE) and then removed; without
 * it an existing VM is an error and nothing moves. */
int s2e_staging_commit(const char *root, const char *staging, const char *name, int replace);

#endif
