/* Which files of a VM directory are package members, and in what order:
 * shared by the package writer and reader (include/s2e/package.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/package.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/snapshot.h"

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

int s2e_package_members(const char *dir, char ***files, size_t *n)
{
	char *path = s2e_path_join(dir, S2E_VM_META);
	struct s2e_meta meta = {0};
	struct s2e_snapfiles snaps = {0};
	struct stat st;
	int rc = -1;

	*files = NULL;
	*n = 0;
	if (!path)
		return -1;
	if (s2e_meta_read(path, &meta) < 0)
		goto out;
	free(path);
	if (!(path = s2e_path_join(dir, S2E_VM_DISK)))
		goto out;
	if (lstat(path, &st)) {
		errno == ENOENT ? s2e_error("%s has no %s", s2e_q(dir), S2E_VM_DISK)
				: s2e_error_errno("cannot stat %s", s2e_q(path));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		s2e_error("%s in %s is not a regular file", S2E_VM_DISK, s2e_q(dir));
		goto out;
	}
	/* The disk first, then the snapshots in the order taken. */
	if (s2e_snapfiles_scan_meta(dir, &meta, &snaps))
		goto out;
	if (!(*files = calloc(snaps.n + 1, sizeof(char *))) ||
	    !((*files)[0] = s2e_strdup(S2E_VM_DISK))) {
		s2e_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < snaps.n; i++)
		if (!((*files)[i + 1] = s2e_asprintf("%s.%s", S2E_VM_DISK, snaps.v[i].name)))
			goto out;
	*n = snaps.n + 1;
	rc = 0;
out:
	if (rc && *files) {
		s2e_package_members_free(*files, snaps.n + 1);
		*files = NULL;
	}
	s2e_snapfiles_free(&snaps);
	s2e_meta_free(&meta);
	free(path);
	return rc;
}
