/* The snapshot files of a VM directory (SPEC §2): disk.s2e.SNAP, one per
 * snapshot, found by the one scanner every command uses (list, info,
 * export, import, clone, runs) with one ordering rule, the order taken:
 *
 *   the recorded snapshots (those vm.config, or a package's metadata,
 *   lists) in their recorded order; the snapshots made by hand (copied in,
 *   extracted from a foreign package) oldest modification time first, then
 *   by name, each placed before the first recorded snapshot taken after it.
 *
 * A recorded snapshot counts as taken at its recorded `taken` time, or at
 * its file's modification time when none (or an unreadable one) is
 * recorded.  So a snapshot made by hand after the recorded ones comes
 * last, and one made by hand before a run recorded another comes first.
 *
 * Only regular files count (a symlink is not followed), and a name from disk
 * is checked as a typed snapshot name is (s2e_snap_name_check): one that
 * fails is left out and kept apart (bad), never returned as a snapshot.
 * Sorting costs O(n log n) in snapshots. */
#ifndef S2E_SNAPSHOT_H
#define S2E_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct s2e_meta;

struct s2e_snapfile {
	char *name; /* SNAP, without the "disk.s2e." prefix */
	struct timespec mtime;
	uint64_t size, allocated;
	size_t rank; /* its place in `recorded`, (size_t)-1 when made by hand */
};

struct s2e_snapfiles {
	struct s2e_snapfile *v;
	size_t n;
	/* files named disk.s2e.X whose X is no valid snapshot name, for the
	 * caller to report (file names as found on disk: escape them) */
	char **bad;
	size_t nbad;
};

/* One recorded snapshot: its name and when it was taken (as vm.config
 * writes times, s2e_time_parse(); may be NULL). */
struct s2e_snaprec {
	const char *name;
	const char *taken;
};

/* Scan vm_dir.  recorded (may be NULL when nrecorded is 0) gives the
 * recorded order.  An unreadable directory is an error naming it. */
int s2e_snapfiles_scan(const char *vm_dir, const struct s2e_snaprec *recorded,
		       size_t nrecorded, struct s2e_snapfiles *out);
/* The snapshot files of another disk file name, none recorded: s2e-env's
 * image.raw.s2e.SNAP (s2e/s2eenv.h); disk is a short constant. */
int s2e_snapfiles_scan_disk(const char *dir, const char *disk, struct s2e_snapfiles *out);
/* The same with the snapshots meta records. */
int s2e_snapfiles_scan_meta(const char *vm_dir, const struct s2e_meta *meta,
			    struct s2e_snapfiles *out);
/* Make meta's snapshot list the n files, in their order (the scan's): a
 * recorded one (rank into meta->snaps) keeps its record, one made by hand
 * is recorded as taken when its file was written; records of snapshots
 * not among the files are dropped.  O(n). */
int s2e_meta_snaps_match(struct s2e_meta *meta, const struct s2e_snapfile *files, size_t n);
void s2e_snapfiles_free(struct s2e_snapfiles *files);
/* The snapshot called name, or NULL. */
const struct s2e_snapfile *s2e_snapfiles_find(const struct s2e_snapfiles *files,
					      const char *name);

#endif
