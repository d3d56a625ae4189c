/* The snapshot files of a VM directory (SPEC §2): disk.s2e.SNAP, one per
 * snapshot, found by one scanner with one ordering rule:
 *
 *   recorded order first (the order vm.config, or a package's manifest,
 *   lists the snapshots: the order they were taken), then snapshots made by
 *   hand, oldest modification time first, then by name.
 *
 * Only regular files count (a symlink is not followed), and a name from disk
 * is checked as a typed snapshot name is (s2e_snap_name_check): one that
 * fails is left out and counted, never returned.  Sorting costs
 * O(n log n) in snapshots. */
#ifndef S2E_SNAPSHOT_H
#define S2E_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct s2e_snapfile {
	char *name; /* SNAP, without the "disk.s2e." prefix */
	struct timespec mtime;
	uint64_t size, allocated;
	size_t rank; /* its place in `recorded`, (size_t)-1 when made by hand */
};

struct s2e_snapfiles {
	struct s2e_snapfile *v;
	size_t n;
	size_t nbad; /* files named disk.s2e.X whose X is no valid snapshot name */
};

/* Scan vm_dir.  recorded (may be NULL when nrecorded is 0) gives the
 * recorded order.  An unreadable directory is an error naming it. */
int s2e_snapfiles_scan(const char *vm_dir, const char *const *recorded, size_t nrecorded,
		       struct s2e_snapfiles *out);
void s2e_snapfiles_free(struct s2e_snapfiles *files);
/* The snapshot called name, or NULL. */
const struct s2e_snapfile *s2e_snapfiles_find(const struct s2e_snapfiles *files,
					      const char *name);

#endif
