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
#include "s2e/vm.h"

static int parse_time(const char *text, struct timespec *ts)
{
	struct tm tm = {0};
	const char *rest;
	long nsec = 0, scale = 100000000;

	if (!text)
		return -1;
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
			nsec += (*rest - '0') * scale;
	ts->tv_sec = timegm(&tm);
	ts->tv_nsec = nsec;
	return 0;
}

static int cmp_time(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

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

static int add_snap(struct s2e_vm_info *info, const char *name, const struct stat *st)
{
	struct s2e_snap_info *snap;

	if (info->nsnaps == info->snaps_cap) {
		size_t cap = info->snaps_cap ? 2 * info->snaps_cap : 8;
		struct s2e_snap_info *grown = realloc(info->snaps, cap * sizeof(*grown));
		if (!grown)
			return s2e_error("out of memory");
		info->snaps = grown;
		info->snaps_cap = cap;
	}
	snap = &info->snaps[info->nsnaps];
	memset(snap, 0, sizeof(*snap));
	snap->name = s2e_strdup(name);
	if (!snap->name)
		return -1;
	snap->size = (uint64_t)st->st_size;
	snap->allocated = (uint64_t)st->st_blocks * 512;
	snap->mtime = st->st_mtim;
	info->nsnaps++;
	return 0;
}

/* A snapshot file whose name is not a valid snapshot name: not listed, but
 * kept so that the caller can report it. */
static int add_bad(struct s2e_vm_info *info, const char *file)
{
	char **grown = realloc(info->bad_files, (info->nbad + 1) * sizeof(*grown));

	if (!grown)
		return s2e_error("out of memory");
	info->bad_files = grown;
	if (!(grown[info->nbad] = s2e_strdup(file)))
		return -1;
	info->nbad++;
	return 0;
}

/* Recorded snapshots in the order vm.config lists them (the order taken);
 * snapshots made by hand after them, oldest file first. */
static int cmp_snap(const void *pa, const void *pb)
{
	const struct s2e_snap_info *a = pa, *b = pb;
	int c;

	if (a->recorded_pos != b->recorded_pos)
		return a->recorded_pos < b->recorded_pos ? -1 : 1;
	c = cmp_time(&a->mtime, &b->mtime);
	return c ? c : strcmp(a->name, b->name);
}

/* Match the files with vm.config by name in O(log n) each, then sort. */
static int order_snapshots(struct s2e_vm_info *info)
{
	struct s2e_meta *meta = &info->meta;
	struct s2e_name_pos *pos = calloc(meta->nsnaps + 1, sizeof(*pos));

	if (!pos)
		return s2e_error("out of memory");
	for (size_t i = 0; i < meta->nsnaps; i++) {
		pos[i].name = meta->snaps[i].name;
		pos[i].pos = i;
	}
	s2e_name_pos_sort(pos, meta->nsnaps);
	for (size_t i = 0; i < info->nsnaps; i++) {
		struct s2e_snap_info *snap = &info->snaps[i];
		snap->recorded_pos = s2e_name_pos_find(pos, meta->nsnaps, snap->name);
		snap->recorded = snap->recorded_pos != SIZE_MAX;
		if (snap->recorded)
			snap->disk_digest = meta->snaps[snap->recorded_pos].disk_digest;
	}
	free(pos);
	if (info->nsnaps) /* qsort(NULL, 0, ...) is undefined */
		qsort(info->snaps, info->nsnaps, sizeof(*info->snaps), cmp_snap);
	return 0;
}

static int scan_snapshots(const char *dirpath, struct s2e_vm_info *info)
{
	static const char prefix[] = S2E_VM_DISK ".";
	DIR *dir = opendir(dirpath);
	struct dirent *de;
	struct s2e_error_state before;
	int rc = 0;

	if (!dir)
		return s2e_error_errno("cannot read VM directory %s", s2e_q(dirpath));
	/* Names skipped below set messages of their own: not ours to keep. */
	s2e_error_save(&before);
	while (rc == 0 && (de = readdir(dir))) {
		const char *snap = de->d_name + strlen(prefix);
		struct stat st;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		if (s2e_fault("vm-scan"))
			rc = -1;
		else
			rc = s2e_snap_name_check(snap) ? add_bad(info, de->d_name)
						       : add_snap(info, snap, &st);
	}
	closedir(dir);
	if (rc)
		return rc;
	s2e_error_restore(&before);
	return order_snapshots(info);
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
		parse_time(info->meta.created, &info->created);
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
	int c = cmp_time(&a->created, &b->created);

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
