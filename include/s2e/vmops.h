/* The VM-changing operations of `s2e vm create|clone|delete|rename`, each one
 * transaction (s2e/vmtx.h): the porcelain parses, calls one of these, and
 * reports.  Nothing here prints: each step done is passed to report->step
 * (the porcelain prints it as "[ OK ] TEXT"), and a progress bar is drawn
 * only on report->progress_fd when that is a terminal.
 *
 * Errors: S2E_EINVALID (a name refused), S2E_EEXISTS (without FORCE),
 * S2E_ENOTFOUND (no such VM or snapshot), S2E_ELOCKED (S2EDIR or the
 * history locked), S2E_EINUSE (the VM is running), S2E_ERROR otherwise. */
#ifndef S2E_VMOPS_H
#define S2E_VMOPS_H

struct s2e_vm_report {
	void (*step)(void *data, const char *text);
	void *data;
	int progress_fd; /* -1: no progress bar */
};
/* Report one step done ("[ OK ] text" in the porcelain), printf-style. */
void s2e_vm_step(const struct s2e_vm_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum {
	S2E_VMOP_FORCE = 1 << 0,   /* replace an existing VM (the new one complete first) */
	S2E_VMOP_NO_SYNC = 1 << 1, /* clone: do not wait for the data to reach the disk */
};

/* A VM with an empty sparse image of size_text (as typed; "5120M"). */
int s2e_vm_create(const char *root, const char *name, const char *size_text, int flags,
		  const struct s2e_vm_report *report);
/* Copy VM src with its snapshots to dst, one s2e-snapcp per file, a few at
 * a time. */
int s2e_vm_clone(const char *root, const char *src, const char *dst, int flags,
		 const struct s2e_vm_report *report);
/* Remove VM name (a symlinked VM directory: the link).  Needs no free space. */
int s2e_vm_delete(const char *root, const char *name, const struct s2e_vm_report *report);
/* Rename VM `from` to `to`: one rename of its directory (never over an
 * existing VM: S2E_EEXISTS) and one history commit "vm rename FROM TO" that
 * removes vm/FROM and adds the same files as vm/TO (so `git log --follow`
 * and `s2e log --vm TO` follow it); vm.config is left unchanged, for git to
 * see an exact rename.  Refused while the VM is in use (S2E_EINUSE); a
 * failed commit renames it back. */
int s2e_vm_rename(const char *root, const char *from, const char *to,
		  const struct s2e_vm_report *report);
/* Whether s2e_vm_delete (snap NULL) or s2e_vm_delete_snapshot would find
 * what it deletes: S2E_ENOTFOUND (no such VM or snapshot), S2E_EINUSE (a VM
 * being run).  Takes no lock: for checking several before deleting any. */
int s2e_vm_delete_check(const char *root, const char *name, const char *snap);
/* Remove snapshot snap of VM name and its record. */
int s2e_vm_delete_snapshot(const char *root, const char *name, const char *snap,
			   const struct s2e_vm_report *report);

#endif
