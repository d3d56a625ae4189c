#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/snapshot.h"
#include "s2e/vm.h"

/* When a VM made by hand was made: its directory's birth time where the file
 * system keeps one, else its modification time. */
static void dir_birth(const char *path, const struct stat *st, struct timespec *ts)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BTIME, &stx) == 0 && (stx.stx_mask & STATX_BTIME)) {
		ts->tv_sec = stx.stx_btime.tv_sec;
		ts->tv_nsec = stx.stx_btime.tv_nsec;
		return;
	}
	*ts = st->st_mtim;
}

/* The files, in the order taken (s2e/snapshot.h), with what vm.config
 * records of them. */
static int scan_snapshots(const char *dirpath, struct s2e_vm_info *info)
{
	struct s2e_snapfiles files;
	struct s2e_meta *meta = &info->meta;

	if (s2e_snapfiles_scan_meta(dirpath, meta, &files))
		return -1;
	info->snaps = calloc(files.n + 1, sizeof(*info->snaps));
	if (!info->snaps) {
		s2e_snapfiles_free(&files);
		return s2e_error("out of memory");
	}
	for (size_t i = 0; i < files.n; i++) {
		struct s2e_snapfile *f = &files.v[i];
		struct s2e_snap_info *snap = &info->snaps[i];
		snap->name = f->name;
		f->name = NULL;
		snap->size = f->size;
		snap->allocated = f->allocated;
		snap->mtime = f->mtime;
		snap->recorded = f->rank != (size_t)-1;
		snap->recorded_pos = snap->recorded ? f->rank : SIZE_MAX;
		if (snap->recorded)
			snap->disk_digest = meta->snaps[f->rank].disk_digest;
	}
	info->nsnaps = info->snaps_cap = files.n;
	info->bad_files = files.bad;
	info->nbad = files.nbad;
	files.bad = NULL;
	files.nbad = 0;
	s2e_snapfiles_free(&files);
	return 0;
}

int s2e_vm_describe(const char *root, const char *name, struct s2e_vm_info *info)
{
	char *dir = s2e_vm_dir(root, name), *disk = NULL, *meta = NULL;
	struct stat st;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	if (!dir)
		return -1;
	if (stat(dir, &st)) {
		if (errno == ENOENT)
			rc = s2e_error_set(S2E_ENOTFOUND, "no such VM %s", s2e_q(name));
		else
			s2e_error_errno("cannot read VM %s", s2e_q(name));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		s2e_error("VM %s is not a directory: %s", s2e_q(name), s2e_q(dir));
		goto out;
	}
	if (!(info->name = s2e_strdup(name)))
		goto out;
	dir_birth(dir, &st, &info->created);
	disk = s2e_path_join(dir, S2E_VM_DISK);
	meta = s2e_path_join(dir, S2E_VM_META);
	if (!disk || !meta)
		goto out;
	if (stat(disk, &st) == 0 && S_ISREG(st.st_mode)) {
		info->size = (uint64_t)st.st_size;
		info->allocated = (uint64_t)st.st_blocks * 512;
	} else {
		info->defunct = 1;
	}
	switch (s2e_meta_read(meta, &info->meta)) {
	case 0:
		info->has_meta = 1;
		s2e_time_parse(info->meta.created, &info->created);
		break;
	case 1:
		break;
	default:
		goto out;
	}
	rc = scan_snapshots(dir, info);
out:
	free(dir);
	free(disk);
	free(meta);
	if (rc)
		s2e_vm_info_free(info);
	return rc;
}

int s2e_vm_record_snaps(struct s2e_vm_info *info)
{
	struct s2e_snapfile *files = calloc(info->nsnaps + 1, sizeof(*files));
	int rc;

	if (!files)
		return s2e_error("out of memory");
	for (size_t i = 0; i < info->nsnaps; i++)
		files[i] = (struct s2e_snapfile){.name = info->snaps[i].name,
						 .mtime = info->snaps[i].mtime,
						 .rank = info->snaps[i].recorded_pos};
	rc = s2e_meta_snaps_match(&info->meta, files, info->nsnaps);
	for (size_t i = 0; i < info->nsnaps; i++) {
		info->snaps[i].recorded = !rc;
		info->snaps[i].recorded_pos = rc ? SIZE_MAX : i;
		info->snaps[i].disk_digest = rc ? NULL : info->meta.snaps[i].disk_digest;
	}
	free(files);
	return rc;
}

void s2e_vm_info_free(struct s2e_vm_info *info)
{
	for (size_t i = 0; i < info->nsnaps; i++)
		free(info->snaps[i].name);
	free(info->snaps);
	for (size_t i = 0; i < info->nbad; i++)
		free(info->bad_files[i]);
	free(info->bad_files);
	free(info->name);
	s2e_meta_free(&info->meta);
	memset(info, 0, sizeof(*info));
}

static int cmp_vm(const void *pa, const void *pb)
{
	const struct s2e_vm_info *a = pa, *b = pb;
	int c = s2e_time_cmp(&a->created, &b->created);

	return c ? c : strcmp(a->name, b->name);
}

int s2e_vm_list(const char *root, struct s2e_vm_info **vms, size_t *n)
{
	char *vmdir = s2e_path_join(root, "vm");
	DIR *dir;
	struct dirent *de;
	struct s2e_vm_info *list = NULL;
	size_t count = 0;
	int rc = 0;

	*vms = NULL;
	*n = 0;
	if (!vmdir)
		return -1;
	dir = opendir(vmdir);
	if (!dir) {
		rc = errno == ENOENT ? 0 : s2e_error_errno("cannot read %s", s2e_q(vmdir));
		free(vmdir);
		return rc;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		struct s2e_vm_info *grown;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) || !S_ISDIR(st.st_mode))
			continue;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown) {
			rc = s2e_error("out of memory");
			break;
		}
		list = grown;
		rc = s2e_vm_describe(root, de->d_name, &list[count]);
		if (rc == S2E_ENOTFOUND) {
			rc = 0;
			continue; /* deleted while we listed */
		}
		if (rc)
			break;
		count++;
	}
	closedir(dir);
	free(vmdir);
	if (rc) {
		s2e_vm_list_free(list, count);
		return rc;
	}
	if (count)
		qsort(list, count, sizeof(*list), cmp_vm);
	*vms = list;
	*n = count;
	return 0;
}

void s2e_vm_list_free(struct s2e_vm_info *vms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s2e_vm_info_free(&vms[i]);
	free(vms);
}

int s2e_vm_exists(const char *root, const char *name)
{
	char *dir = s2e_vm_dir(root, name);
	struct stat st;
	int exists;

	if (!dir)
		return -1;
	exists = lstat(dir, &st) == 0;
	free(dir);
	return exists;
}

char *s2e_vm_snap_names(const struct s2e_vm_info *vm)
{
	char *names = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&names, &len);

	if (!out) {
		s2e_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < vm->nsnaps; i++)
		fprintf(out, "%s%s", i ? ", " : "", vm->snaps[i].name);
	if (!vm->nsnaps)
		fputs("none", out);
	if (fclose(out)) {
		free(names);
		s2e_error("out of memory");
		return NULL;
	}
	return names;
}
