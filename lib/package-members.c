/* Which files of a VM directory are package members, and in what order:
 * shared by the package writer and reader (include/s2e/package.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2e/config.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

const char *s2e_package_snap(const char *file)
{
	size_t n = strlen(S2E_VM_DISK);

	if (strncmp(file, S2E_VM_DISK, n))
		return NULL;
	if (file[n] == '.')
		return file + n + 1;
	return NULL;
}

void s2e_package_members_free(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

struct cand {
	char *file;
	size_t rank; /* position in vm.config, or SIZE_MAX */
	struct timespec mtime;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->file, y->file);
}

/* The snapshots vm.config records, by name, with their position. */
static int recorded(const char *dir, struct s2e_config *cfg, struct s2e_name_pos **pos,
		    size_t *n)
{
	char *path = s2e_path_join(dir, S2E_VM_META);
	size_t k = 0;
	int rc;

	*pos = NULL;
	*n = 0;
	if (!path)
		return -1;
	rc = s2e_config_read_file(path, cfg);
	free(path);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (!(*pos = calloc(cfg->n + 1, sizeof(**pos))))
		return s2e_error("out of memory");
	for (size_t i = 0; i < cfg->n; i++)
		if (cfg->entries[i].subsection &&
		    s2e_config_in(&cfg->entries[i], "snapshot", cfg->entries[i].subsection)) {
			(*pos)[k].name = cfg->entries[i].subsection;
			(*pos)[k++].pos = i;
		}
	s2e_name_pos_sort(*pos, k);
	*n = k;
	return 0;
}

static int add_cand(struct cand **c, size_t *nc, const char *file, const struct stat *st,
		    size_t rank)
{
	struct cand *grown = realloc(*c, (*nc + 1) * sizeof(**c));

	if (!grown)
		return s2e_error("out of memory");
	*c = grown;
	grown[*nc].file = s2e_strdup(file);
	if (!grown[*nc].file)
		return -1;
	grown[*nc].mtime = st->st_mtim;
	grown[*nc].rank = rank;
	(*nc)++;
	return 0;
}

int s2e_package_members(const char *dir, char ***files, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct cand *c = NULL;
	struct s2e_config cfg = {0};
	struct s2e_name_pos *pos = NULL;
	size_t nc = 0, npos = 0;
	int rc = -1, have_disk = 0;

	*files = NULL;
	*n = 0;
	if (!d)
		return s2e_error_errno("cannot open %s", s2e_q(dir));
	if (recorded(dir, &cfg, &pos, &npos))
		goto out;
	while ((e = readdir(d))) {
		const char *snap = s2e_package_snap(e->d_name);
		struct stat st;
		size_t rank;

		if (strcmp(e->d_name, S2E_VM_DISK) && (!snap || s2e_snap_name_check(snap)))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			s2e_error_errno("cannot stat %s", s2e_q(e->d_name));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			s2e_error("%s in %s is not a regular file", s2e_q(e->d_name), s2e_q(dir));
			goto out;
		}
		/* The disk first (rank 0), then recorded snapshots, then the others. */
		rank = snap ? s2e_name_pos_find(pos, npos, snap) : 0;
		if (add_cand(&c, &nc, e->d_name, &st, snap && rank != SIZE_MAX ? rank + 1 : rank))
			goto out;
		have_disk |= !snap;
	}
	if (!have_disk) {
		s2e_error("%s has no %s", s2e_q(dir), S2E_VM_DISK);
		goto out;
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	if (!(*files = calloc(nc, sizeof(char *)))) {
		s2e_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < nc; i++) {
		(*files)[i] = c[i].file;
		c[i].file = NULL;
	}
	*n = nc;
	rc = 0;
out:
	for (size_t i = 0; i < nc; i++)
		free(c[i].file);
	free(c);
	free(pos);
	s2e_config_free(&cfg);
	closedir(d);
	return rc;
}
