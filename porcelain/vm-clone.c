/* s2e vm clone [-f] SRC DST: copy a VM with its snapshots, one s2e-snapcp
 * run per file, into a staging directory that is renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
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

/* Copies running at once. */
#define MAX_PARALLEL 4

static const char usage[] =
    "usage: s2e vm clone [-f] [--no-sync] [--s2edir DIR] SRC DST\n"
    "\n"
    "Copy VM SRC, its disk image and all its snapshots, to a new VM DST.  The copy\n"
    "shares blocks with SRC where the file system can (reflinks) and keeps holes\n"
    "everywhere.\n"
    "\n"
    "  -f, --force     replace an existing VM DST, once the clone is complete\n"
    "  --no-sync       do not wait for the copied data to reach the disk (faster,\n"
    "                  like cp -r; a power cut soon after may damage the clone)\n"
    "  --s2edir DIR    use DIR instead of $S2EDIR\n"
    "  -h, --help      show this help\n";

/* One file to copy: the disk image (snap == NULL) or a snapshot. */
struct copy {
	const char *snap;
	char *from, *to;
	struct s2e_child child;
	int running, finished, rc;
	int progress_fd; /* read end of the child's --progress-fd, or -1 */
	char line[64];
	size_t used;
	uint64_t data, done;
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

/* Start `s2e-snapcp [--no-sync] [--progress-fd=1] FROM TO`. */
static int copy_start(struct copy *c, int no_sync, int with_progress)
{
	const char *argv[6];
	int n = 0, pipefd[2] = {-1, -1}, rc;

	argv[n++] = "s2e-snapcp";
	if (no_sync)
		argv[n++] = "--no-sync";
	if (with_progress) {
		argv[n++] = "--progress=1";
		if (pipe2(pipefd, O_CLOEXEC))
			return s2e_error_errno("cannot run s2e-snapcp");
	}
	argv[n++] = c->from;
	argv[n++] = c->to;
	argv[n] = NULL;
	rc = s2e_spawn(argv, -1, pipefd[1], S2E_RUN_CAPTURE_STDERR, &c->child);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (rc) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		return -1;
	}
	c->progress_fd = pipefd[0];
	c->running = 1;
	return 0;
}

/* Read "DONE TOTAL" lines; at end of file close the pipe. */
static void copy_read_progress(struct copy *c)
{
	char buf[256];
	ssize_t n = read(c->progress_fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		close(c->progress_fd);
		c->progress_fd = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->used < sizeof(c->line) - 1)
				c->line[c->used++] = buf[i];
			continue;
		}
		c->line[c->used] = '\0';
		c->used = 0;
		sscanf(c->line, "%" SCNu64, &c->done);
	}
}

static void copy_error(const struct copy *c, const char *src_vm)
{
	if (c->snap)
		s2e_error_prefix("cannot copy snapshot %s of VM %s", s2e_q(c->snap), s2e_q(src_vm));
	else
		s2e_error_prefix("cannot copy the disk image of VM %s", s2e_q(src_vm));
}

/* A status line, with the bar erased first (it comes back on the next update). */
static void step_ok(struct s2e_status *st, struct s2e_progress *bar, const char *fmt,
		    const char *arg)
{
	if (bar && write(STDERR_FILENO, "\r\033[K", 4) < 0) {
		/* nothing to do: the bar is cosmetic */
	}
	s2e_status_ok(st, fmt, arg);
}

/* Copy every file with one s2e-snapcp each, a few at a time (they overlap the
 * CPU work of one with the disk writes of another), and print their status
 * lines in order, each once its copy has succeeded.  On the first failure the
 * copies still running are stopped; the error is the first failure's. */
static int copy_all(struct s2e_status *st, const char *src_vm, struct copy *files, size_t n,
		    int no_sync)
{
	struct s2e_progress *bar = NULL;
	struct pollfd fds[2 * MAX_PARALLEL];
	struct copy *owner[2 * MAX_PARALLEL];
	size_t started = 0, reported = 0, running = 0, parallel;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char reason[1024] = "";
	int failed = 0;

	parallel = cores < 2 ? 2 : cores > MAX_PARALLEL ? MAX_PARALLEL : (size_t)cores;
	if (isatty(STDERR_FILENO)) {
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += files[i].data = file_data(files[i].from);
		bar = s2e_progress_start(STDERR_FILENO, "clone", total);
	}
	while (reported < n && !(failed && !running)) {
		while (!failed && running < parallel && started < n) {
			if (copy_start(&files[started], no_sync, bar != NULL)) {
				copy_error(&files[started], src_vm);
				snprintf(reason, sizeof(reason), "%s", s2e_error_last());
				failed = 1;
				break;
			}
			started++;
			running++;
		}
		if (!running)
			break;
		nfds_t k = 0;
		for (size_t i = 0; i < started; i++) {
			if (!files[i].running)
				continue;
			if (files[i].progress_fd >= 0) {
				fds[k] = (struct pollfd){files[i].progress_fd, POLLIN, 0};
				owner[k++] = &files[i];
			}
			fds[k] = (struct pollfd){files[i].child.err_fd, POLLIN, 0};
			owner[k++] = &files[i];
		}
		if (poll(fds, k, -1) < 0 && errno != EINTR) {
			s2e_error_errno("cannot wait for s2e-snapcp");
			snprintf(reason, sizeof(reason), "%s", s2e_error_last());
			failed = 1;
			break;
		}
		int progressed = 0;
		for (nfds_t j = 0; j < k; j++) {
			struct copy *c = owner[j];
			if (!fds[j].revents || !c->running)
				continue;
			if (fds[j].fd == c->progress_fd) {
				copy_read_progress(c);
				progressed = 1;
				continue;
			}
			if (!(fds[j].revents & (POLLHUP | POLLERR)))
				continue; /* a message, the exit follows */
			/* Its stderr is closed: it has exited. */
			while (c->progress_fd >= 0)
				copy_read_progress(c);
			c->rc = s2e_wait(&c->child);
			c->running = 0;
			c->finished = 1;
			running--;
			progressed = 1;
			if (c->rc == 0) {
				c->done = c->data;
			} else if (!failed) {
				copy_error(c, src_vm);
				snprintf(reason, sizeof(reason), "%s", s2e_error_last());
				failed = 1;
				for (size_t i = 0; i < started; i++)
					if (files[i].running)
						kill(files[i].child.pid, SIGTERM);
			}
		}
		if (!progressed) {
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (bar) {
			uint64_t done = 0;
			for (size_t i = 0; i < started; i++)
				done += files[i].done;
			s2e_progress_update(bar, done);
		}
		while (!failed && reported < n && files[reported].finished) {
			if (files[reported].snap)
				step_ok(st, bar, "copy snapshot: %s", files[reported].snap);
			else
				step_ok(st, bar, "%s", "copy disk image");
			reported++;
		}
	}
	/* Only after a failure of poll(2) itself can copies still run here. */
	for (size_t i = 0; i < started; i++) {
		if (!files[i].running)
			continue;
		kill(files[i].child.pid, SIGTERM);
		if (files[i].progress_fd >= 0)
			close(files[i].progress_fd);
		s2e_wait(&files[i].child);
		files[i].running = 0;
	}
	s2e_progress_finish(bar);
	if (failed)
		return s2e_error("%s", reason);
	return 0;
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
			s2e_time_utc_of(&snap->mtime, taken, sizeof(taken));
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
	char *path = s2e_asprintf("vm/%s", dst), *subject = NULL, *body = NULL;
	char *snaps = s2e_vm_snap_names(info);
	char mib[32];
	int rc = -1;

	s2e_size_mib(info->size, mib, sizeof(mib));
	subject = s2e_asprintf("vm clone %s%s %s", replaced ? "-f " : "", s2e_sq(src), s2e_sq(dst));
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
	    {"no-sync", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    S2EDIR_LONGOPT,
	    {NULL, 0, NULL, 0},
	};
	const char *s2edir = NULL, *src, *dst;
	char *root = NULL, *staging = NULL, *origin = NULL, *src_meta = NULL, oid[41];
	struct s2e_status st;
	struct s2e_lock lock = {-1};
	struct s2e_vm_info info;
	struct copy *files = NULL;
	size_t nfiles = 0;
	char *name = NULL;
	int c, force = 0, no_sync = 0, exists, rc = 1, described = 0;

	while ((c = getopt_long(argc, argv, "+fh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'S':
			no_sync = 1;
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
	s2e_status_ok(&st, "initialise VM");
	nfiles = 1 + info.nsnaps;
	files = calloc(nfiles, sizeof(*files));
	if (!files) {
		s2e_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct copy *c = &files[i];
		c->snap = i ? info.snaps[i - 1].name : NULL;
		c->progress_fd = -1;
		c->from = s2e_vm_file(root, src, c->snap);
		name =
		    c->snap ? s2e_asprintf("%s.%s", S2E_VM_DISK, c->snap) : s2e_strdup(S2E_VM_DISK);
		c->to = name ? s2e_path_join(staging, name) : NULL;
		free(name);
		name = NULL;
		if (!c->from || !c->to)
			goto out;
	}
	if (copy_all(&st, src, files, nfiles, no_sync))
		goto out;
	if (write_meta(staging, &info, origin) || s2e_staging_commit(root, staging, dst, force))
		goto out;
	free(staging);
	staging = NULL;
	if (record(root, src, dst, &info, origin, exists))
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < nfiles; i++) {
		free(files[i].from);
		free(files[i].to);
	}
	free(files);
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
