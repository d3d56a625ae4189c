/* Snapshot bookkeeping of kvm/prep runs (see include/s2e/experiment.h):
 * what QEMU's savevm/delvm did to the VM directory goes into the record and
 * into vm.config. */
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/s2edir.h"

static int same_time(const struct s2e_snapfile *a, const struct s2e_snapfile *b)
{
	return a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* A snapshot that is new, or whose file was written again. */
static int note_taken(struct s2e_meta *meta, struct s2e_experiment *e,
		      const struct s2e_snapfile *now, const struct s2e_snapfile *old)
{
	struct s2e_meta_snap *rec;
	char taken[64];

	s2e_time_utc_of(&now->mtime, taken, sizeof(taken));
	if (s2e_strv_add_dup(old ? &e->snaps_retaken : &e->snaps_added, now->name))
		return -1;
	rec = s2e_meta_find_snap(meta, now->name);
	if (!rec)
		return s2e_meta_add_snap(meta, now->name, taken, e->disk_after);
	if (s2e_meta_set(&rec->taken, taken) || s2e_meta_set(&rec->disk_digest, e->disk_after))
		return -1;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct s2e_snapfile *const *)a)->name,
		      (*(const struct s2e_snapfile *const *)b)->name);
}

/* Pointers to the files, sorted by name (for binary search); NULL when empty
 * or out of memory (*oom set). */
static const struct s2e_snapfile **name_index(const struct s2e_snapfiles *files, int *oom)
{
	const struct s2e_snapfile **index;

	if (!files->n)
		return NULL;
	index = calloc(files->n, sizeof(*index));
	if (!index) {
		*oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < files->n; i++)
		index[i] = &files->v[i];
	qsort(index, files->n, sizeof(*index), by_name);
	return index;
}

static const struct s2e_snapfile *lookup(const struct s2e_snapfile **index, size_t n,
					 const struct s2e_snapfile *key)
{
	const struct s2e_snapfile *const *hit;

	if (!index)
		return NULL;
	hit = bsearch(&key, index, n, sizeof(*index), by_name);
	return hit ? *hit : NULL;
}

/* O(n log n) in snapshots: each side looked up in the other's name index. */
static int compare(struct s2e_meta *meta, struct s2e_experiment *e,
		   const struct s2e_snapfiles *before, const struct s2e_snapfiles *after)
{
	int oom = 0, rc = -1;
	const struct s2e_snapfile **old_index = name_index(before, &oom),
				  **new_index = name_index(after, &oom);

	if (oom) {
		s2e_error("out of memory");
		goto out;
	}
	/* after is in taken order, which is what vm.config keeps. */
	for (size_t i = 0; i < after->n; i++) {
		const struct s2e_snapfile *old = lookup(old_index, before->n, &after->v[i]);
		if (old && same_time(old, &after->v[i]))
			continue;
		if (note_taken(meta, e, &after->v[i], old))
			goto out;
	}
	for (size_t i = 0; i < before->n; i++) {
		if (lookup(new_index, after->n, &before->v[i]))
			continue;
		if (s2e_strv_add_dup(&e->snaps_removed, before->v[i].name) ||
		    s2e_meta_remove_snap(meta, before->v[i].name) < 0)
			goto out;
	}
	rc = 0;
out:
	free(old_index);
	free(new_index);
	return rc;
}

int s2e_experiment_note_snapshots(const char *root, struct s2e_experiment *e,
				  const struct s2e_snapfiles *before,
				  const struct s2e_snapfiles *after)
{
	char *dir = s2e_vm_dir(root, e->vm), *path = NULL;
	struct s2e_meta meta = {0};
	int rc = -1;

	if (!dir)
		return -1;
	path = s2e_path_join(dir, S2E_VM_META);
	if (!path || s2e_meta_read(path, &meta) < 0 || compare(&meta, e, before, after))
		goto out;
	if (e->disk_after && s2e_meta_set(&meta.digest, e->disk_after))
		goto out;
	rc = 0;
	if (e->snaps_added.n || e->snaps_removed.n || e->snaps_retaken.n || e->disk_changed > 0)
		rc = s2e_meta_write(path, &meta);
out:
	s2e_meta_free(&meta);
	free(path);
	free(dir);
	return rc;
}
