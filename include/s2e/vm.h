/* What a VM directory holds, as `s2e vm list` shows it: the metadata merged
 * with what is really on disk (VMs and snapshots made by hand included). */
#ifndef S2E_VM_H
#define S2E_VM_H

#include <stdint.h>
#include <time.h>

#include "s2e/meta.h"

struct s2e_snap_info {
	char *name;
	uint64_t size;
	uint64_t allocated;
	int recorded; /* present in vm.config */
	size_t recorded_pos; /* its position there, SIZE_MAX when not recorded */
	const char *disk_digest; /* from the metadata, may be NULL */
	struct timespec mtime;
};

struct s2e_vm_info {
	char *name;
	int defunct; /* no disk.s2e */
	uint64_t size;
	uint64_t allocated;
	struct timespec created;
	struct s2e_meta meta;
	int has_meta;
	struct s2e_snap_info *snaps; /* in the order taken */
	size_t nsnaps, snaps_cap;
	/* disk.s2e.* files whose suffix is not a valid snapshot name (a newline,
	 * a bidi override...): never listed or recorded, for the caller to report. */
	char **bad_files;
	size_t nbad;
};

/* Describe vm/NAME; an error if it is not a directory.  Costs O(n log n) in
 * the number of snapshots. */
int s2e_vm_describe(const char *root, const char *name, struct s2e_vm_info *info);
void s2e_vm_info_free(struct s2e_vm_info *info);
/* Record the snapshots as listed: info->meta's snapshot list becomes
 * info->snaps, in that order (s2e_meta_snaps_match(), s2e/snapshot.h). */
int s2e_vm_record_snaps(struct s2e_vm_info *info);

/* All VMs in creation order (staging and other dot entries are skipped). */
int s2e_vm_list(const char *root, struct s2e_vm_info **vms, size_t *n);
void s2e_vm_list_free(struct s2e_vm_info *vms, size_t n);

/* "ready, base" (or "none"), for commit bodies; malloc'd. */
char *s2e_vm_snap_names(const struct s2e_vm_info *vm);

int s2e_vm_exists(const char *root, const char *name);

#endif
