/* The snapshot scanner: see include/s2e/snapshot.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/snapshot.h"

struct ranked {
	const char *name;
	size_t rank;
};

static int cmp_ranked(const void *a, const void *b)
{
	return strcmp(((const struct ranked *)a)->name, ((const struct ranked *)b)->name);
}

/* Recorded ones first, by rank; then the others by time and name. */
static int cmp_snapfile(const void *pa, const void *pb)
{
	const struct s2e_snapfile *a = pa, *b = pb;
	int c;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	c = s2e_time_cmp(&a->mtime, &b->mtime);
	return c ? c : strcmp(a->name, b->name);
}

/* When a file was taken: its recorded time, else its modification time. */
static struct timespec taken(const struct s2e_snapfile *f, const struct s2e_snaprec *recorded)
{
	struct timespec ts;

	if (f->rank != (size_t)-1 && !s2e_time_parse(recorded[f->rank].taken, &ts))
		return ts;
	return f->mtime;
}

/* Merge the hand-made files (v[k..n), by time) into the recorded ones
 * (v[0..k), in recorded order): one pass. */
static int merge(struct s2e_snapfiles *out, size_t k, const struct s2e_snaprec *recorded)
{
	struct s2e_snapfile *v = out->v, *m;
	size_t i = 0, j = k, n = 0;

	if (k == 0 || k == out->n)
		return 0;
	if (!(m = calloc(out->n, sizeof(*m))))
		return s2e_error("out of memory");
	while (i < k || j < out->n) {
		struct timespec t = i < k ? taken(&v[i], recorded) : (struct timespec){0};
		if (j < out->n && (i == k || s2e_time_cmp(&v[j].mtime, &t) < 0))
			m[n++] = v[j++];
		else
			m[n++] = v[i++];
	}
	free(out->v);
	out->v = m;
	return 0;
}

/* Give each file its recorded rank (a sorted index and binary search), then sort. */
static int order(struct s2e_snapfiles *out, const struct s2e_snaprec *recorded, size_t nrecorded)
{
	struct ranked *index = NULL;
	size_t k = 0;

	if (nrecorded) {
		index = calloc(nrecorded, sizeof(*index));
		if (!index)
			return s2e_error("out of memory");
		for (size_t i = 0; i < nrecorded; i++)
			index[i] = (struct ranked){recorded[i].name, i};
		qsort(index, nrecorded, sizeof(*index), cmp_ranked);
	}
	for (size_t i = 0; i < out->n; i++) {
		struct ranked key = {out->v[i].name, 0}, *hit = NULL;
		if (index)
			hit = bsearch(&key, index, nrecorded, sizeof(*index), cmp_ranked);
		out->v[i].rank = hit ? hit->rank : (size_t)-1;
		k += !!hit;
	}
	free(index);
	if (out->n) /* qsort(NULL, 0, ...) is undefined */
		qsort(out->v, out->n, sizeof(*out->v), cmp_snapfile);
	return merge(out, k, recorded);
}

static int add(struct s2e_snapfiles *out, const char *name, const struct stat *st, size_t *alloc)
{
	struct s2e_snapfile *f;

	if (out->n == *alloc) {
		size_t grown_alloc = *alloc ? *alloc * 2 : 16;
		struct s2e_snapfile *grown = realloc(out->v, grown_alloc * sizeof(*grown));
		if (!grown)
			return s2e_error("out of memory");
		out->v = grown;
		*alloc = grown_alloc;
	}
	f = &out->v[out->n];
	memset(f, 0, sizeof(*f));
	f->name = s2e_strdup(name);
	if (!f->name)
		return -1;
	f->mtime = st->st_mtim;
	f->size = (uint64_t)st->st_size;
	f->allocated = (uint64_t)st->st_blocks * 512;
	out->n++;
	return 0;
}

static int add_bad(struct s2e_snapfiles *out, const char *file)
{
	char **grown = realloc(out->bad, (out->nbad + 1) * sizeof(*grown));

	if (!grown)
		return s2e_error("out of memory");
	out->bad = grown;
	if (!(grown[out->nbad] = s2e_strdup(file)))
		return -1;
	out->nbad++;
	return 0;
}

/* The files disk.SNAP of dir. */
static int scan(const char *vm_dir, const char *disk, const struct s2e_snaprec *recorded,
		size_t nrecorded, struct s2e_snapfiles *out)
{
	char prefix[64];
	const size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%s.", disk);
	DIR *d = opendir(vm_dir);
	struct dirent *de;
	struct s2e_error_state before;
	size_t alloc = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!d)
		return s2e_error_errno("cannot read VM directory %s", s2e_q(vm_dir));
	/* Names refused below set messages of their own: not ours to keep. */
	s2e_error_save(&before);
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;
		if (strncmp(de->d_name, prefix, plen) || !de->d_name[plen])
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (s2e_fault("vm-scan"))
			rc = -1;
		else if (s2e_snap_name_check(de->d_name + plen))
			rc = add_bad(out, de->d_name);
		else
			rc = add(out, de->d_name + plen, &st, &alloc);
	}
	closedir(d);
	if (rc == 0)
		rc = order(out, recorded, nrecorded);
	if (rc)
		s2e_snapfiles_free(out);
	else
		s2e_error_restore(&before);
	return rc;
}

int s2e_snapfiles_scan(const char *vm_dir, const struct s2e_snaprec *recorded,
		       size_t nrecorded, struct s2e_snapfiles *out)
{
	return scan(vm_dir, S2E_VM_DISK, recorded, nrecorded, out);
}

int s2e_snapfiles_scan_disk(const char *dir, const char *disk, struct s2e_snapfiles *out)
{
	return scan(dir, disk, NULL, 0, out);
}

int s2e_snapfiles_scan_meta(const char *vm_dir, const struct s2e_meta *meta,
			    struct s2e_snapfiles *out)
{
	struct s2e_snaprec *rec = calloc(meta->nsnaps + 1, sizeof(*rec));
	int rc;

	if (!rec)
		return s2e_error("out of memory");
	for (size_t i = 0; i < meta->nsnaps; i++)
		rec[i] = (struct s2e_snaprec){meta->snaps[i].name, meta->snaps[i].taken};
	rc = s2e_snapfiles_scan(vm_dir, rec, meta->nsnaps, out);
	free(rec);
	return rc;
}

int s2e_meta_snaps_match(struct s2e_meta *meta, const struct s2e_snapfile *files, size_t n)
{
	struct s2e_meta old = {.snaps = meta->snaps, .nsnaps = meta->nsnaps};
	struct s2e_meta_snap *snaps = calloc(n + 1, sizeof(*snaps));
	char taken[64];
	int rc = 0;

	if (!snaps)
		return s2e_error("out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct s2e_snapfile *f = &files[i];
		if (f->rank < old.nsnaps && old.snaps[f->rank].name) {
			snaps[i] = old.snaps[f->rank];
			memset(&old.snaps[f->rank], 0, sizeof(*old.snaps));
		} else if (!(snaps[i].name = s2e_strdup(f->name))) {
			rc = -1;
		}
		s2e_time_utc_of(&f->mtime, taken, sizeof(taken));
		if (!snaps[i].taken && s2e_meta_set(&snaps[i].taken, taken))
			rc = -1;
	}
	meta->snaps = snaps;
	meta->nsnaps = meta->snaps_cap = n;
	s2e_meta_free(&old);
	return rc;
}

void s2e_snapfiles_free(struct s2e_snapfiles *files)
{
	for (size_t i = 0; i < files->n; i++)
		free(files->v[i].name);
	free(files->v);
	for (size_t i = 0; i < files->nbad; i++)
		free(files->bad[i]);
	free(files->bad);
	memset(files, 0, sizeof(*files));
}

const struct s2e_snapfile *s2e_snapfiles_find(const struct s2e_snapfiles *files,
					      const char *name)
{
	for (size_t i = 0; i < files->n; i++)
		if (!strcmp(files->v[i].name, name))
			return &files->v[i];
	return NULL;
}
