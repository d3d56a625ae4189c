/* The snapshot scanner: see include/s2e/snapshot.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2e/error.h"
#include "s2e/fs.h"
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

static int cmp_snapfile(const void *pa, const void *pb)
{
	const struct s2e_snapfile *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Give each file its recorded rank (a sorted index and binary search), then sort. */
static int order(struct s2e_snapfiles *out, const char *const *recorded, size_t nrecorded)
{
	struct ranked *index = NULL;

	if (nrecorded) {
		index = calloc(nrecorded, sizeof(*index));
		if (!index)
			return s2e_error("out of memory");
		for (size_t i = 0; i < nrecorded; i++)
			index[i] = (struct ranked){recorded[i], i};
		qsort(index, nrecorded, sizeof(*index), cmp_ranked);
	}
	for (size_t i = 0; i < out->n; i++) {
		struct ranked key = {out->v[i].name, 0}, *hit = NULL;
		if (index)
			hit = bsearch(&key, index, nrecorded, sizeof(*index), cmp_ranked);
		out->v[i].rank = hit ? hit->rank : (size_t)-1;
	}
	free(index);
	if (out->n) /* qsort(NULL, 0, ...) is undefined */
		qsort(out->v, out->n, sizeof(*out->v), cmp_snapfile);
	return 0;
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

int s2e_snapfiles_scan(const char *vm_dir, const char *const *recorded, size_t nrecorded,
		       struct s2e_snapfiles *out)
{
	static const char prefix[] = S2E_VM_DISK ".";
	const size_t plen = sizeof(prefix) - 1;
	DIR *d = opendir(vm_dir);
	struct dirent *de;
	size_t alloc = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!d)
		return s2e_error_errno("cannot read VM directory %s", s2e_q(vm_dir));
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;
		if (strncmp(de->d_name, prefix, plen) || !de->d_name[plen])
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (s2e_snap_name_check(de->d_name + plen)) {
			out->nbad++;
			continue;
		}
		rc = add(out, de->d_name + plen, &st, &alloc);
	}
	closedir(d);
	if (rc == 0)
		rc = order(out, recorded, nrecorded);
	if (rc)
		s2e_snapfiles_free(out);
	else
		s2e_error_clear();
	return rc;
}

void s2e_snapfiles_free(struct s2e_snapfiles *files)
{
	for (size_t i = 0; i < files->n; i++)
		free(files->v[i].name);
	free(files->v);
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
