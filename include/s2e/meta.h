/* The per-VM metadata file, S2EDIR/vm/NAME/vm.config, in git-config syntax
 * (`git config -f vm.config --list` reads it).  It is what the history
 * repository tracks for a VM:
 *
 *   [vm]
 *           size = 8053063680
 *           sizeLabel = 7680MiB
 *           created = 2026-11-28T10:00:00.123456789Z
 *           origin = created
 *           updated = 2026-11-28T10:05:00.000000000Z
 *   [snapshot "ready"]
 *           taken = 2026-11-28T10:05:00.000000000Z
 *           disk = sha256-1m:...        (digest of disk.s2e when taken)
 *
 * Snapshot sections appear in the order the snapshots were taken.  Every
 * operation on a VM sets `updated`, so that `git log -- vm/NAME` shows all of
 * them, even one that changed only files git does not track.
 *
 * The file is read with the hardened git-config reader (s2e/config.h): a
 * malformed file, an include, or a snapshot section whose name is not a valid
 * snapshot name (s2e_snap_name_check) is an error naming the file and line.
 * Keys and sections s2e does not know are kept and written back in place
 * ([vm] keys after the known ones, snapshot keys in their snapshot's
 * section, other sections at the end), so hand-made or newer settings
 * survive every rewrite.  The writer refuses invalid snapshot names and
 * values it cannot write (control characters other than newline and tab). */
#ifndef S2E_META_H
#define S2E_META_H

#include <stddef.h>
#include <stdint.h>

#include "s2e/config.h"

struct s2e_meta_snap {
	char *name;
	char *taken;       /* may be NULL */
	char *disk_digest; /* may be NULL */
	struct s2e_config extra; /* keys s2e does not know, in file order */
};

struct s2e_meta {
	uint64_t size;
	char *size_label; /* may be NULL */
	char *created;    /* may be NULL */
	char *updated;    /* last change made through s2e; may be NULL */
	char *origin;     /* may be NULL: "created", "clone of X at C", "import of P", "raw import of P" */
	char *digest;     /* digest of disk.s2e when last known, may be NULL */
	struct s2e_meta_snap *snaps;
	size_t nsnaps, snaps_cap; /* grown by doubling: 20 000 snapshots stay cheap */
	struct s2e_config extra; /* unknown [vm] keys and sections, in file order */
};

/* A missing file is not an error: *meta is left empty and 1 is returned. */
int s2e_meta_read(const char *path, struct s2e_meta *meta);
int s2e_meta_write(const char *path, const struct s2e_meta *meta);
void s2e_meta_free(struct s2e_meta *meta);
/* The same from an already parsed config (e.g. the VM metadata carried in a
 * package manifest); what names it in messages. */
int s2e_meta_from_config(const struct s2e_config *cfg, const char *what, struct s2e_meta *meta);

int s2e_meta_set(char **field, const char *value);
struct s2e_meta_snap *s2e_meta_find_snap(struct s2e_meta *meta, const char *name);
int s2e_meta_add_snap(struct s2e_meta *meta, const char *name, const char *taken, const char *digest);
/* Returns 1 when the snapshot was recorded and is now removed, 0 when absent. */
int s2e_meta_remove_snap(struct s2e_meta *meta, const char *name);

#endif
