/* s2e vm clone [-f] SRC DST: copy a VM with its snapshots, one s2e-snapcp
 * run per file, into a staging directory that is renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/copy.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/size.h"
#include "s2e/vm.h"

static const char usage[] =
    "usage: s2e vm clone [-f] [--s2edir DIR] SRC DST\n"
    "\n"
    "Copy VM SRC, its disk image and all its snapshots, to a new VM DST.  The copy\n"
    "shares blocks with SRC where the file system can (reflinks) and keeps holes\n"
    "everywhere.\n"
    "\n"
    "  -f, --force     replace an existing VM DST, once the clone is complete\n"
    "  --s2edir DIR    use DIR instead of $S2EDIR\n"
    "  -h, --help      show this help\n";

/* The whole-clone progress bar (terminal only), fed by each s2e-snapcp
 * through --progress-fd. */
struct clone_progress {
	struct s2e_progress *bar;
	uint64_t base; /* bytes of the files already copied */
};

static uint64_t file_data(const char *path)
{
	uint64_t bytes = 0, size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;

	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	size = end > 0 ? (uint64_t)end : 0;
	if (s2e_data_bytes(fd, size, &bytes))
		bytes = 0;
	close(fd);
	return bytes;
}

/* Run `s2e-snapcp SRC DST`; with a bar, read its progress lines. */
static int snapcp(struct clone_progress *cp, const char *src, const char *dst)
{
	struct s2e_child child;
	char buf[256], line[256];
	size_t used = 0;
	uint64_t done = 0;
	int pipefd[2], rc;

	if (!cp->bar)
		return s2e_run((const char *const[]){"s2e-snapcp", src, dst, NULL},
			       S2E_RUN_CAPTURE_STDERR);
	if (pipe2(pipefd, O_CLOEXEC))
		return s2e_error_errno("cannot run s2e-snapcp");
	rc = s2e_spawn((const char *const[]){"s2e-snapcp", "--progress-fd=1", src, dst, NULL}, -1,
		       pipefd[1], S2E_RUN_CAPTURE_STDERR, &child);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		return -1;
	}
	for (;;) {
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = buf[i];
				continue;
			}
			line[used] = '\0';
			used = 0;
			if (sscanf(line, "%" SCNu64, &done) == 1)
				s2e_progress_update(cp->bar, cp->base + done);
		}
	}
	close(pipefd[0]);
	return s2e_wait(&child);
}

/* A status line, with the bar erased first (it comes back on the next update). */
static void step_ok(struct s2e_status *st, struct clone_progress *cp, const char *fmt,
		    const char *arg)
{
	if (cp->bar && write(STDERR_FILENO, "\r\033[K", 4) < 0) {
		/* nothing to do: the bar is cosmetic */
	}
	s2e_status_ok(st, fmt, arg);
}

static int copy_file(struct clone_progress *cp, const char *root, const char *src_vm,
		     const char *staging, const char *snap)
{
	char *from = s2e_vm_file(root, src_vm, snap), *name = NULL, *to = NULL;
	int rc = -1;

	if (!from)
		return -1;
	name = snap ? s2e_asprintf("%s.%s", S2E_VM_DISK, snap) : s2e_strdup(S2E_VM_DISK);
	to = name ? s2e_path_join(staging, name) : NULL;
	if (to) {
		uint64_t data = cp->bar ? file_data(from) : 0;
		rc = snapcp(cp, from, to);
		cp->base += data;
	}
	if (rc) {
		if (snap)
			s2e_error_prefix("cannot copy snapshot %s of VM %s", s2e_q(snap),
					 s2e_q(src_vm));
		else
			s2e_error_prefix("cannot copy the disk image of VM %s", s2e_q(src_vm));
	}
	free(from);
	free(name);
	free(to);
	return rc;
}

static void utc_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char date[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", date, ts->tv_nsec);
}

/* The clone's vm.config: the source's metadata, snapshots in the order the
 * source lists them, a new creation time and the origin. */
static int write_meta(const char *staging, const struct s2e_vm_info *src, const char *origin)
{
	struct s2e_meta meta;
	char now[64], *path = NULL;
	int rc = -1;

	memset(&meta, 0, sizeof(meta));
	s2e_time_utc(now, sizeof(now));
	meta.size = src->size;
	if (s2e_meta_set(&meta.created, now) || s2e_meta_set(&meta.updated, now) ||
	    s2e_meta_set(&meta.origin, origin))
		goto out;
	if (src->meta.size_label && s2e_meta_set(&meta.size_label, src->meta.size_label))
		goto out;
	if (src->meta.digest && src->meta.size == src->size &&
	    s2e_meta_set(&meta.digest, src->meta.digest))
		goto out;
	for (size_t i = 0; i < src->nsnaps; i++) {
		const struct s2e_snap_info *snap = &src->snaps[i];
		const struct s2e_meta_snap *rec =
		    s2e_meta_find_snap((struct s2e_meta *)&src->meta, snap->name);
		char taken[64];
		/* A snapshot made by hand is recorded as taken when its file
		 * was last written. */
		if (!rec || !rec->taken)
			utc_time(&snap->mtime, taken, sizeof(taken));
		if (s2e_meta_add_snap(&meta, snap->name, rec && rec->taken ? rec->taken : taken,
				      rec ? rec->disk_digest : NULL))
			goto out;
	}
	path = s2e_path_join(staging, S2E_VM_META);
	if (path)
		rc = s2e_meta_write(path, &meta);
out:
	free(path);
	s2e_meta_free(&meta);
	return rc;
}

static int record(const char *root, const char *src, const char *dst,
		  const struct s2e_vm_info *info, const char *origin, int replaced)
{
	char *path = s2e_asprintf("vm/%s", dst), *subject = NULL, *body = NULL, *snaps = NULL;
	char mib[32];
	size_t len = 0;
	FILE *out;
	int rc = -1;

	out = open_memstream(&snaps, &len);
	if (!out) {
		free(path);
		return s2e_error("out of memory");
	}
	for (size_t i = 0; i < info->nsnaps; i++)
		fprintf(out, "%s%s", i ? ", " : "", info->snaps[i].name);
	if (!info->nsnaps)
		fputs("none", out);
	fclose(out);
	s2e_size_mib(info->size, mib, sizeof(mib));
	subject = s2e_asprintf("vm clone %s%s %s", replaced ? "-f " : "", src, dst);
	body = s2e_asprintf("VM: %s\nOrigin: %s\nSize: %" PRIu64 " bytes (%s)\nSnapshots: %s\n%s",
			    dst, origin, info->size, mib, snaps ? snaps : "",
			    replaced ? "Replaces: the previous VM of that name\n" : "");
	if (path && subject && body && snaps)
		rc = s2e_history_commit(root, (const char *const[]){path}, 1, subject, body, NULL);
	free(path);
	free(subject);
	free(body);
	free(snaps);
	return rc;
}

int cmd_vm_clone(int argc, char **argv)
{
	static const struct option options[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    S2EDIR_LONGOPT,
	    {NULL, 0, NULL, 0},
	};
	const char *s2edir = NULL, *src, *dst;
	char *root = NULL, *staging = NULL, *origin = NULL, *src_meta = NULL, oid[41];
	struct s2e_status st;
	struct s2e_lock lock = {-1};
	struct s2e_vm_info info;
	struct clone_progress cp = {NULL, 0};
	int c, force = 0, exists, rc = 1, described = 0;

	while ((c = getopt_long(argc, argv, "+fh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
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
	if (argc - optind != 2)
		return usage_error(usage, "'vm clone' takes a source VM SRC and a new name DST");
	src = argv[optind];
	dst = argv[optind + 1];
	if (s2e_vm_name_check(src) || s2e_vm_name_check(dst))
		return fail("vm clone");
	if (!strcmp(src, dst))
		return usage_error(
		    usage, "cannot clone VM '%s' onto itself: SRC and DST are the same", src);

	s2e_status_init(&st, stdout);
	if (porcelain_lock(s2edir, &root, &lock))
		return fail("vm clone");
	/* The plumbing inherits the lock: should this command be killed, a copy
	 * still running keeps the next command from cleaning under its feet. */
	if (fcntl(lock.fd, F_SETFD, 0)) {
		s2e_error_errno("cannot share the S2EDIR lock");
		goto out;
	}
	if (s2e_vm_describe(root, src, &info))
		goto out;
	described = 1;
	if (info.defunct) {
		s2e_error("VM %s is defunct: it has no %s", s2e_q(src), S2E_VM_DISK);
		goto out;
	}
	exists = s2e_vm_exists(root, dst);
	if (exists < 0)
		goto out;
	if (exists && !force) {
		s2e_error("VM %s already exists (use -f to replace it)", s2e_q(dst));
		goto out;
	}
	src_meta = s2e_asprintf("vm/%s/%s", src, S2E_VM_META);
	if (!src_meta)
		goto out;
	switch (s2e_history_last(root, src_meta, oid)) {
	case 0:
		origin = s2e_asprintf("clone of %s at %s", src, oid);
		break;
	case 1: /* a VM made by hand: no recorded state to point at */
		origin = s2e_asprintf("clone of %s", src);
		break;
	default:
		goto out;
	}
	if (!origin)
		goto out;

	staging = s2e_staging_create(root);
	if (!staging)
		goto out;
	step_ok(&st, &cp, "%s", "initialise VM");
	if (isatty(STDERR_FILENO)) {
		uint64_t total = 0;
		for (size_t i = 0; i <= info.nsnaps; i++) {
			char *path = s2e_vm_file(root, src, i ? info.snaps[i - 1].name : NULL);
			if (!path)
				goto out;
			total += file_data(path);
			free(path);
		}
		cp.bar = s2e_progress_start(STDERR_FILENO, "clone", total);
	}
	if (copy_file(&cp, root, src, staging, NULL))
		goto out;
	step_ok(&st, &cp, "%s", "copy disk image");
	for (size_t i = 0; i < info.nsnaps; i++) {
		if (copy_file(&cp, root, src, staging, info.snaps[i].name))
			goto out;
		step_ok(&st, &cp, "copy snapshot: %s", info.snaps[i].name);
	}
	s2e_progress_finish(cp.bar);
	cp.bar = NULL;
	if (write_meta(staging, &info, origin) || s2e_staging_commit(root, staging, dst, force))
		goto out;
	free(staging);
	staging = NULL;
	if (record(root, src, dst, &info, origin, exists))
		goto out;
	rc = 0;
out:
	s2e_progress_finish(cp.bar);
	if (staging) {
		/* Keep the reason of the failure, not that of the clean-up. */
		char reason[1024];
		snprintf(reason, sizeof(reason), "%s", s2e_error_last());
		s2e_remove_tree(staging);
		s2e_error("%s", reason);
	}
	s2e_unlock(&lock);
	if (described)
		s2e_vm_info_free(&info);
	free(staging);
	free(origin);
	free(src_meta);
	free(root);
	return rc ? fail("vm clone") : 0;
}
