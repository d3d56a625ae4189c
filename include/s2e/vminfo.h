/* Everything about one VM, for `s2e vm info`: what s2e_vm_describe() finds
 * on disk and in vm.config (sizes, origin, snapshots in the product's order
 * with their times and digests), the VM's settings (s2e/vmconfig.h), its
 * last history commit, whether a run holds it, and its last experiments
 * from the history (s2e/log.h: the newest state of each, newest first,
 * followed back through renames).  Reads only; takes no lock.  The strings
 * come from vm.config, the history and file names: untrusted, for the
 * caller to escape. */
#ifndef S2E_VMINFO_H
#define S2E_VMINFO_H

#include <stddef.h>

#include "s2e/config.h"
#include "s2e/vm.h"

struct s2e_vm_run_summary {
	char *name, *snapshot, *mode, *state, *started, *ended; /* any may be NULL */
	int exit_status; /* -1: QEMU did not exit (or not yet) */
	char commit[41]; /* the commit of this state */
};

struct s2e_vm_details {
	struct s2e_vm_info vm;
	uint64_t allocated_total; /* disk and snapshots */
	uint64_t size_total;	  /* apparent, disk and snapshots */
	struct s2e_config settings; /* vm.config's entries outside [vm] and [snapshot] */
	char last_commit[41];	    /* "" when the VM was never recorded */
	int in_use;
	struct s2e_vm_run_summary *runs;
	size_t nruns;
};

/* S2E_ENOTFOUND for no such VM; at most max_runs experiments. */
int s2e_vm_details_read(const char *root, const char *name, size_t max_runs,
			struct s2e_vm_details *d);
void s2e_vm_details_free(struct s2e_vm_details *d);

#endif
