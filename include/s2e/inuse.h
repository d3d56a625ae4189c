/* In-use marks (SPEC §9): a VM being run, and each running experiment, is
 * marked by an flock(2) that the running `s2e` holds, so the mark vanishes
 * with the process however it dies.  Nothing is ever "stale".
 *
 *   S2EDIR/.s2e/inuse/vm/NAME     shared by sym runs (which never write the
 *                                 disk), exclusive for kvm and prep runs
 *   S2EDIR/.s2e/inuse/run/EXP     exclusive, for the whole of experiment EXP
 *
 * The files themselves are never removed: an unlocked file means "not in
 * use".  Commands that would replace or remove a VM ask s2e_inuse_held()
 * first (and take the S2EDIR lock, so no run can start in between). */
#ifndef S2E_INUSE_H
#define S2E_INUSE_H

#define S2E_INUSE_VM  "vm"
#define S2E_INUSE_RUN "run"

struct s2e_inuse {
	int fd;
};

/* Take the mark of `name` of `kind` without waiting.  Fails with S2E_EINUSE
 * semantics (error "… is in use") when a conflicting holder exists. */
int s2e_inuse_take(const char *root, const char *kind, const char *name, int exclusive,
		   struct s2e_inuse *mark);
void s2e_inuse_release(struct s2e_inuse *mark);
/* 1 when someone (this process included, through another mark) holds the
 * mark, 0 when nobody does, -1 with the error set. */
int s2e_inuse_held(const char *root, const char *kind, const char *name);
/* An error "VM NAME is in use by a running s2e vm run" when held, for the
 * commands that must refuse; 0 when free. */
int s2e_inuse_refuse(const char *root, const char *name);

#endif
