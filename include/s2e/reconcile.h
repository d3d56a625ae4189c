/* What differs between the VMs on disk and the history (SPEC §7, "hand-made
 * changes"), the way `git status` compares a work tree with HEAD, and
 * recording those differences.
 *
 * The scan costs file stats and one small metadata read per VM; it never
 * hashes an image and never takes the S2EDIR lock.  It finds:
 *
 *   untracked VM        vm/NAME on disk, not in the history (copied by hand,
 *                       or left by a command killed after its rename)
 *   deleted VM          in the history, gone from disk
 *   metadata changed    vm/NAME/vm.config differs from the history
 *   disk missing        a recorded VM whose disk.s2e is gone
 *   new snapshot        disk.s2e.SNAP on disk, not in vm.config
 *   deleted snapshot    in vm.config, its file gone
 *   bad name            a file or directory whose name s2e would refuse
 *   leftover            staging or trash of a command that died
 *   interrupted         an experiment recorded as running whose s2e is gone
 *   unrecorded experiment   an experiment whose record differs from the
 *                       history (its s2e was killed between write and commit)
 *   in use              a VM a running `s2e vm run` holds (not a change)
 *
 * Recording (with the S2EDIR lock held): one commit per VM that brings its
 * metadata in line with the disk, and one per interrupted experiment, which
 * is marked interrupted.  Leftovers are removed by taking the lock. */
#ifndef S2E_RECONCILE_H
#define S2E_RECONCILE_H

#include <stddef.h>

enum s2e_change_kind {
	S2E_CHANGE_UNTRACKED_VM,
	S2E_CHANGE_DELETED_VM,
	S2E_CHANGE_META_CHANGED,
	S2E_CHANGE_DISK_MISSING,
	S2E_CHANGE_NEW_SNAPSHOT,
	S2E_CHANGE_DELETED_SNAPSHOT,
	S2E_CHANGE_BAD_NAME,
	S2E_CHANGE_LEFTOVER,
	S2E_CHANGE_INTERRUPTED,
	S2E_CHANGE_UNRECORDED_RUN, /* an experiment's files differ from the history */
	S2E_CHANGE_IN_USE,
};

struct s2e_change {
	enum s2e_change_kind kind;
	char *vm;   /* the VM (NULL for leftovers); for experiments, the VM run */
	char *item; /* snapshot, experiment, leftover or bad name; NULL for VMs */
};

struct s2e_changes {
	struct s2e_change *v;
	size_t n, alloc;
};

/* Scan S2EDIR; names (may be NULL) limits the VM checks to those VMs. */
int s2e_reconcile_scan(const char *root, const char *const *names, size_t nnames,
		       struct s2e_changes *out);
/* Record every recordable change of `ch`.  The caller holds the lock. */
int s2e_reconcile_record(const char *root, const struct s2e_changes *ch);
void s2e_changes_free(struct s2e_changes *ch);
/* "untracked VM", "new snapshot", ...; and "untracked_vm", ... for JSON. */
const char *s2e_change_label(enum s2e_change_kind kind);
const char *s2e_change_key(enum s2e_change_kind kind);
/* 1 when `s2e vm status --record` can record it. */
int s2e_change_recordable(enum s2e_change_kind kind);

#endif
