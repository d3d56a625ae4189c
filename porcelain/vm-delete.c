/* s2e vm delete [-y] NAME[:SNAP] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/size.h"
#include "s2e/vm.h"

static const char usage[] =
    "usage: s2e vm delete [-y] [--s2edir DIR] NAME[:SNAP]\n"
    "\n"
    "Delete snapshot SNAP of VM NAME, or the whole VM NAME (asking first).\n"
    "\n"
    "  -y, --yes       do not ask (needed when standard input is not a terminal)\n"
    "  --s2edir DIR    use DIR instead of $S2EDIR\n"
    "  -h, --help      show this help\n";

/* Metadata for a VM made by hand, from what is on disk. */
static int adopt(const char *root, const char *name, struct s2e_meta *meta)
{
	char *disk = s2e_vm_file(root, name, NULL);
	struct stat st;
	int rc = -1;

	if (disk) {
		meta->size = stat(disk, &st) == 0 ? (uint64_t)st.st_size : 0;
		rc = s2e_meta_set(&meta->origin, "made by hand");
	}
	free(disk);
	return rc;
}

static int delete_snapshot(const char *root, const char *name, const char *snap)
{
	char *file = s2e_vm_file(root, name, snap), *meta_path = NULL, *vm_path = NULL;
	char *subject = NULL, *body = NULL, *ref = NULL, now[64];
	struct s2e_meta meta;
	struct stat st;
	int rc = -1, recorded = 0, found;

	memset(&meta, 0, sizeof(meta));
	if (!file)
		return -1;
	if (!s2e_vm_exists(root, name)) {
		s2e_error("no such VM %s", s2e_q(name));
		goto out;
	}
	if (lstat(file, &st) || !S_ISREG(st.st_mode)) {
		s2e_error("VM %s has no snapshot %s", s2e_q(name), s2e_q(snap));
		goto out;
	}
	meta_path = s2e_asprintf("%s/vm/%s/%s", root, name, S2E_VM_META);
	vm_path = s2e_asprintf("vm/%s", name);
	if (!meta_path || !vm_path || (found = s2e_meta_read(meta_path, &meta)) < 0)
		goto out;
	if (found == 1 && adopt(root, name, &meta)) /* a VM made by hand */
		goto out;
	if (unlink(file)) {
		s2e_error_errno("cannot delete snapshot file %s", s2e_q(file));
		goto out;
	}
	recorded = s2e_meta_remove_snap(&meta, snap);
	s2e_time_utc(now, sizeof(now));
	if (s2e_meta_set(&meta.updated, now) || s2e_meta_write(meta_path, &meta))
		goto out;
	ref = s2e_asprintf("%s:%s", name, snap);
	subject = ref ? s2e_asprintf("vm delete %s", s2e_sq(ref)) : NULL;
	body = s2e_asprintf("VM: %s\nDeleted snapshot: %s (%llu bytes)%s\n", name, snap,
			    (unsigned long long)st.st_size,
			    recorded ? "" : "\nThe snapshot had been made by hand (not recorded).");
	if (!subject || !body)
		goto out;
	rc = s2e_history_commit(root, (const char *const[]){vm_path}, 1, subject, body, NULL);
out:
	s2e_meta_free(&meta);
	free(file);
	free(meta_path);
	free(vm_path);
	free(subject);
	free(body);
	free(ref);
	return rc;
}

/* "Delete VM NAME? [y/N] " on a terminal; no terminal means no. */
static int confirm(const char *name)
{
	char answer[64];

	if (!isatty(STDIN_FILENO))
		return s2e_error("refusing to delete VM %s without confirmation: standard input "
				 "is not a terminal (use -y)",
				 s2e_q(name));
	fprintf(stderr, "Delete VM %s? [y/N] ", name);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		answer[0] = '\0';
	answer[strcspn(answer, "\r\n")] = '\0';
	if (!strcasecmp(answer, "y") || !strcasecmp(answer, "yes"))
		return 0;
	return s2e_error("VM %s not deleted", s2e_q(name));
}

static char *describe_for_body(const char *root, const char *name)
{
	struct s2e_vm_info vm;
	char *body = NULL, *snaps;

	if (s2e_vm_describe(root, name, &vm))
		return NULL;
	snaps = s2e_vm_snap_names(&vm);
	if (snaps && vm.defunct)
		body =
		    s2e_asprintf("VM: %s (defunct: no disk image)\nSnapshots: %s\n", name, snaps);
	else if (snaps)
		body = s2e_asprintf("VM: %s\nSize: %llu bytes\nSnapshots: %s\n", name,
				    (unsigned long long)vm.size, snaps);
	free(snaps);
	s2e_vm_info_free(&vm);
	return body;
}

static int delete_vm(const char *root, const char *name)
{
	char *vm_path = s2e_asprintf("vm/%s", name),
	     *subject = s2e_asprintf("vm delete %s", s2e_sq(name));
	char *body = NULL;
	int rc = -1;

	if (!vm_path || !subject)
		goto out;
	if (s2e_vm_exists(root, name) != 1) {
		s2e_error("no such VM %s", s2e_q(name));
		goto out;
	}
	body = describe_for_body(root, name);
	if (!body || s2e_vm_remove(root, name))
		goto out;
	rc = s2e_history_commit(root, (const char *const[]){vm_path}, 1, subject, body, NULL);
out:
	free(vm_path);
	free(subject);
	free(body);
	return rc;
}

int cmd_vm_delete(int argc, char **argv)
{
	static const struct option options[] = {
	    {"yes", no_argument, NULL, 'y'},
	    {"help", no_argument, NULL, 'h'},
	    S2EDIR_LONGOPT,
	    {NULL, 0, NULL, 0},
	};
	const char *s2edir = NULL;
	char *name = NULL, *snap = NULL, *root = NULL;
	struct s2e_status st;
	struct s2e_lock lock = {-1};
	int c, yes = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "+yh", options, NULL)) != -1) {
		switch (c) {
		case 'y':
			yes = 1;
			break;
		case 'h':
			return usage_help(usage);
		case S2EDIR_OPTION:
			s2edir = optarg;
			break;
		default:
			return usage_error(usage, NULL);
		}
	}
	if (argc - optind != 1)
		return usage_error(usage, "'vm delete' takes one NAME or NAME:SNAP");
	if (s2e_vm_ref_parse(argv[optind], &name, &snap))
		return fail("vm delete");
	s2e_status_init(&st, stdout);
	if (!snap) {
		/* Ask before taking the lock: a prompt must not hold up others. */
		root = porcelain_root(s2edir);
		if (!root)
			goto out;
		if (s2e_vm_exists(root, name) != 1) {
			s2e_error("no such VM %s", s2e_q(name));
			goto out;
		}
		free(root);
		root = NULL;
		if (!yes && confirm(name))
			goto out;
	}
	if (porcelain_lock(s2edir, &root, &lock))
		goto out;
	if (snap ? delete_snapshot(root, name, snap) : delete_vm(root, name))
		goto out;
	if (snap)
		s2e_status_ok(&st, "delete snapshot %s:%s", name, snap);
	else
		s2e_status_ok(&st, "delete %s", name);
	rc = 0;
out:
	s2e_unlock(&lock);
	free(root);
	free(name);
	free(snap);
	return rc ? fail("vm delete") : 0;
}
