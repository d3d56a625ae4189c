/* s2e vm run [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]
 *
 * Gets the command line from s2e-qemu-cmdline, checks the VM, the snapshot
 * and its disk, records the experiment in the history, runs QEMU in the
 * foreground (signals passed on, --timeout enforced) and records how it
 * ended.  The S2EDIR lock is held only while recording, never while QEMU
 * runs; --dry-run only prints the command line and takes no lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/qemu.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/vm.h"

static const char usage[] =
    "usage: s2e vm run [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]\n"
    "\n"
    "Run VM NAME (resuming snapshot SNAP) in MODE: kvm, prep or sym.  Options may\n"
    "come before or after NAME and MODE; words after -- are passed to QEMU.\n"
    "\n"
    "  -b, --build A:T:M        QEMU build under S2EDIR/build (default i386:release:normal)\n"
    "      --qemu PATH          the QEMU binary (default $S2E_QEMU, else the build's)\n"
    "      --stock              a stock QEMU: the raw image as format=raw\n"
    "      --accel kvm|tcg      kvm mode: -enable-kvm (default) or software emulation\n"
    "      --smp N              kvm mode: virtual CPUs (default: the host's CPUs)\n"
    "  -m, --memory SIZE        guest memory (512, 512M, 2G)\n"
    "  -n, --network none|user|tap   guest network (default user)\n"
    "      --headless           VNC display and the monitor on TCP, no window\n"
    "      --vnc-display N      VNC display number (default 0)\n"
    "      --monitor-port P     monitor on TCP port P of 127.0.0.1 (default 4444)\n"
    "  -q, --qemu-opt OPT       append one word to QEMU's command line (repeatable)\n"
    "      --gdb                run QEMU under gdb\n"
    "      --strace             run QEMU under strace -f\n"
    "  -f, --config-file FILE   sym: S2E config (default S2EDIR/src/config/default-config.lua)\n"
    "  -t, --timeout SECONDS    interrupt QEMU (SIGINT) after SECONDS, then SIGKILL\n"
    "      --kill-after SECONDS   after this grace (default 10)\n"
    "      --expname NAME       the experiment's name (default auto_ + local time)\n"
    "      --force              resume a snapshot although its disk changed since\n"
    "      --dry-run            print the command line, run and record nothing\n"
    "      --s2edir DIR         use DIR instead of $S2EDIR\n"
    "  -h, --help               show this help\n";

enum {
	OPT_FORCE = 0x100,
	OPT_DRY_RUN,
};

static const struct option options[] = {
    S2E_QEMU_LONGOPTS,
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"help", no_argument, NULL, 'h'},
    S2EDIR_LONGOPT,
    {NULL, 0, NULL, 0},
};
static const char short_options[] = "h" S2E_QEMU_SHORTOPTS;

struct run {
	/* what the user asked */
	const char *s2edir, *ref, *mode_text;
	struct s2e_qemu_opts o; /* checked here, then given to s2e-qemu-cmdline */
	char **pass;		/* those options, as words for s2e-qemu-cmdline */
	size_t npass;
	int force, dry_run;
	enum s2e_qemu_mode mode;
	/* what it resolves to */
	char *root, *vm, *snap, *image, *expname, *config_path;
	char **words; /* the command line from s2e-qemu-cmdline */
	size_t nwords;
	struct s2e_status st;
};

/* Where the "--" that ends our arguments is (argc if none): the first one
 * that is not the value of an option. */
static int find_dashdash(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-') {
			if (strchr(a, '='))
				continue;
			for (const struct option *o = options; o->name; o++)
				if (!strcmp(o->name, a + 2) && o->has_arg == required_argument)
					i++;
		} else {
			/* -xVALUE or a cluster ending in an option that takes the next word */
			for (const char *p = a + 1; *p; p++) {
				const char *s = strchr(short_options, *p);
				if (s && s[1] == ':') {
					if (!p[1])
						i++;
					break;
				}
			}
		}
	}
	return argc;
}

static int bad_value(void)
{
	fail("vm run");
	return 2;
}

/* Options that s2e-qemu-cmdline gets as they were given: all the shared ones
 * but the timeout (enforced here, to record it) and the experiment name
 * (given for sym mode only). */
static int pass_on(struct run *r, int c, const char *arg)
{
	if (c == 't' || c == S2E_QEMU_OPT_KILL_AFTER || c == S2E_QEMU_OPT_EXPNAME)
		return 0;
	for (const struct option *o = options; o->name; o++) {
		if (o->val != c)
			continue;
		char *flag = s2e_asprintf("--%s", o->name);
		int rc = !flag || s2e_strv_push(&r->pass, &r->npass, flag) ||
			 (arg && s2e_strv_push(&r->pass, &r->npass, arg));
		free(flag);
		return rc ? -1 : 0;
	}
	return 0;
}

static int parse(struct run *r, int argc, char **argv)
{
	int c, end = find_dashdash(argc, argv);

	r->o.vnc_display = r->o.monitor_port = -1;
	r->o.extra = calloc((size_t)argc + 1, sizeof(*r->o.extra));
	if (!r->o.extra)
		return s2e_error("out of memory"), fail("vm run");
	/* Options may follow NAME and MODE (getopt permutes), as in the seed. */
	while ((c = getopt_long(end, argv, short_options, options, NULL)) != -1) {
		switch (s2e_qemu_option(&r->o, c, optarg)) {
		case 1:
			if (pass_on(r, c, optarg))
				return fail("vm run");
			continue;
		case -1:
			return bad_value();
		}
		switch (c) {
		case OPT_FORCE:
			r->force = 1;
			break;
		case OPT_DRY_RUN:
			r->dry_run = 1;
			break;
		case 'h':
			return usage_help(usage) - 1; /* -1: stop, exit 0 */
		case S2EDIR_OPTION:
			r->s2edir = optarg;
			break;
		default:
			return usage_error(usage, NULL);
		}
	}
	if (end - optind != 2)
		return usage_error(usage, "'vm run' takes NAME[:SNAP] and MODE");
	r->ref = argv[optind];
	r->mode_text = argv[optind + 1];
	/* Words after -- go to QEMU after the -q ones. */
	for (int i = end + 1; i < argc; i++) {
		if (s2e_strv_push(&r->pass, &r->npass, "--qemu-opt") ||
		    s2e_strv_push(&r->pass, &r->npass, argv[i]))
			return fail("vm run");
	}
	if (s2e_qemu_mode_parse(r->mode_text, &r->mode))
		return bad_value();
	r->o.mode = r->mode;
	if (s2e_qemu_opts_check(&r->o))
		return bad_value();
	return 0;
}

/* Ask s2e-qemu-cmdline for the words, NUL-separated. */
static int get_cmdline(struct run *r, int check)
{
	const char **argv = calloc(r->npass + 16, sizeof(*argv));
	size_t n = 0;
	struct s2e_child child;
	int pfd[2];
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (!argv)
		return s2e_error("out of memory");
	argv[n++] = "s2e-qemu-cmdline";
	argv[n++] = "-z";
	argv[n++] = "--s2edir";
	argv[n++] = r->root;
	if (check)
		argv[n++] = "--check";
	if (r->mode == S2E_QEMU_SYM) {
		argv[n++] = "--expname";
		argv[n++] = r->expname;
	}
	for (size_t i = 0; i < r->npass; i++)
		argv[n++] = r->pass[i];
	argv[n++] = r->ref;
	argv[n++] = r->mode_text;
	argv[n] = NULL;

	if (pipe(pfd)) {
		free(argv);
		return s2e_error_errno("cannot run s2e-qemu-cmdline");
	}
	rc = s2e_spawn(argv, -1, pfd[1], S2E_RUN_CAPTURE_STDERR, &child);
	free(argv);
	if (rc) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	close(pfd[1]);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *grown = realloc(buf, cap = cap ? 2 * cap : 8192);
			if (!grown) {
				free(buf);
				close(pfd[0]);
				s2e_wait(&child);
				return s2e_error("out of memory");
			}
			buf = grown;
		}
		ssize_t got = read(pfd[0], buf + len, 4096);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(pfd[0]);
	rc = s2e_wait(&child);
	if (rc == 0) {
		for (size_t i = 0; i < len;) {
			size_t wl = strnlen(buf + i, len - i);
			char *w = strndup(buf + i, wl);
			if (!w || s2e_strv_push(&r->words, &r->nwords, w)) {
				free(w);
				rc = s2e_error("out of memory");
				break;
			}
			free(w);
			i += wl + 1;
		}
		if (!rc && !r->nwords)
			rc = s2e_error("s2e-qemu-cmdline printed no command line");
	}
	free(buf);
	return rc;
}

static void print_cmdline(struct run *r)
{
	char *line = s2e_cmdline_join(r->words, r->nwords);

	s2e_status_debug(&r->st, "Command line:");
	fprintf(r->st.out, "%s\n", line ? line : "");
	fflush(r->st.out);
	free(line);
}

static int copy_file(const char *from, const char *to)
{
	char *data;
	size_t len;
	int rc;

	if (s2e_read_file(from, &data, &len))
		return -1;
	rc = s2e_write_file_atomic(to, data, len, 0644);
	free(data);
	return rc;
}

static char *ref_text(const struct run *r)
{
	if (!r->vm)
		return s2e_strdup(r->image);
	return r->snap ? s2e_asprintf("%s:%s", r->vm, r->snap) : s2e_strdup(r->vm);
}

static int commit(struct run *r, const struct s2e_experiment *e, const char *subject, int after,
		  int with_vm)
{
	char *exp_path = s2e_experiment_path(e->name), *vm_path = NULL,
	     *body = s2e_experiment_body(e, after);
	const char *paths[2];
	size_t n = 0;
	int rc = -1;

	if (!exp_path || !body)
		goto out;
	paths[n++] = exp_path;
	if (with_vm && r->vm) {
		vm_path = s2e_asprintf("vm/%s/%s", r->vm, S2E_VM_META);
		if (!vm_path)
			goto out;
		paths[n++] = vm_path;
	}
	rc = s2e_history_commit(r->root, paths, n, subject, body, NULL);
out:
	free(exp_path);
	free(vm_path);
	free(body);
	return rc;
}

/* The VM and the snapshot exist; note the disk the snapshot was taken against. */
static int check_vm(struct run *r, struct s2e_experiment *e)
{
	struct s2e_vm_info info;
	int exists = s2e_vm_exists(r->root, r->vm), rc = -1;

	if (exists < 0)
		return -1;
	if (!exists)
		return s2e_error("VM %s does not exist (see 's2e vm list')", s2e_q(r->vm));
	if (s2e_vm_describe(r->root, r->vm, &info))
		return -1;
	if (info.defunct) {
		s2e_error("VM %s has no disk image %s", s2e_q(r->vm), S2E_VM_DISK);
		goto out;
	}
	if (r->snap) {
		const struct s2e_snap_info *snap = NULL;
		for (size_t i = 0; i < info.nsnaps; i++)
			if (!strcmp(info.snaps[i].name, r->snap))
				snap = &info.snaps[i];
		if (!snap) {
			s2e_error("VM %s has no snapshot %s", s2e_q(r->vm), s2e_q(r->snap));
			goto out;
		}
		if (snap->disk_digest && s2e_meta_set(&e->snapshot_disk, snap->disk_digest))
			goto out;
	}
	rc = 0;
out:
	s2e_vm_info_free(&info);
	return rc;
}

/* Digest the disk (and snapshot) and refuse a snapshot whose disk changed. */
static int check_disk(struct run *r, struct s2e_experiment *e)
{
	char digest[S2E_DIGEST_LEN];

	if (s2e_digest_file(r->image, 0, digest) || s2e_meta_set(&e->disk_before, digest))
		return -1;
	if (r->vm && r->snap) {
		char *file = s2e_vm_file(r->root, r->vm, r->snap);
		int drc = file ? s2e_digest_file(file, 0, digest) : -1;
		free(file);
		if (drc || s2e_meta_set(&e->snapshot_digest, digest))
			return -1;
		if (!e->snapshot_disk) {
			s2e_status_warn(&r->st,
					"snapshot %s of VM %s has no recorded disk digest: cannot "
					"tell whether the disk changed since it was taken",
					s2e_q(r->snap), s2e_q(r->vm));
		} else if (strcmp(e->snapshot_disk, e->disk_before)) {
			if (!r->force) {
				return s2e_error(
				    "snapshot %s of VM %s was taken against disk %s, but the "
				    "disk is now %s: the disk changed since the snapshot was "
				    "taken and resuming it would corrupt the guest (--force "
				    "runs it anyway)",
				    s2e_q(r->snap), s2e_q(r->vm), e->snapshot_disk, e->disk_before);
			}
			e->forced = 1;
			s2e_status_warn(&r->st,
					"snapshot %s of VM %s: the disk changed since it was "
					"taken; running it anyway (--force)",
					s2e_q(r->snap), s2e_q(r->vm));
		}
	}
	return 0;
}

/* Take the lock (creating S2EDIR and its history on first use). */
static int relock(struct run *r, struct s2e_lock *lock)
{
	free(r->root);
	r->root = NULL;
	return porcelain_lock(r->s2edir, &r->root, lock);
}

static int run_real(struct run *r)
{
	struct s2e_experiment e;
	struct s2e_lock lock = {-1};
	struct s2e_snapfile *before = NULL, *after = NULL;
	size_t nbefore = 0, nafter = 0;
	struct s2e_exit how;
	char *ref = NULL, *subject = NULL, *head = NULL, *exp_dir = NULL, *record = NULL,
	     *outdir = NULL;
	char *vm_dir = NULL, started[64], ended[64], digest[S2E_DIGEST_LEN];
	int created_outdir = 0, created_exp = 0, rc = 1, code, started_ok;

	memset(&e, 0, sizeof(e));
	e.duration = -1;
	e.exit_status = -1;
	e.disk_changed = -1;
	/* Cheap checks first (VM, snapshot, binaries, config), then the digests. */
	if (r->vm && check_vm(r, &e))
		goto fail;
	if (get_cmdline(r, 1))
		goto fail;
	if (r->mode == S2E_QEMU_SYM) {
		struct stat st;
		char *abs;
		if (stat(r->config_path, &st)) {
			s2e_error_errno("S2E config file %s (give one with -f)",
					s2e_q(r->config_path));
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			s2e_error("S2E config file %s is not a file", s2e_q(r->config_path));
			goto fail;
		}
		abs = realpath(r->config_path, NULL);
		if (abs) {
			free(r->config_path);
			r->config_path = abs;
		}
	}
	if (check_disk(r, &e))
		goto fail;
	if (r->vm && r->mode != S2E_QEMU_SYM) {
		vm_dir = s2e_vm_dir(r->root, r->vm);
		if (!vm_dir || s2e_snapfiles(vm_dir, &before, &nbefore))
			goto fail;
	}

	/* The record of the start. */
	ref = ref_text(r);
	if (!ref || s2e_meta_set(&e.name, r->expname) || s2e_meta_set(&e.vm, r->vm) ||
	    s2e_meta_set(&e.snapshot, r->snap) || s2e_meta_set(&e.mode, r->mode_text) ||
	    s2e_meta_set(&e.build, r->o.build ? r->o.build : S2E_QEMU_DEFAULT_BUILD) ||
	    s2e_meta_set(&e.image, r->image) || s2e_meta_set(&e.state, "running"))
		goto fail;
	e.timeout = r->o.timeout;
	e.cmdline = s2e_cmdline_join(r->words, r->nwords);
	if (!e.cmdline)
		goto fail;
	for (size_t i = 0; i < r->nwords; i++)
		if (s2e_strv_push(&e.argv, &e.argc, r->words[i]))
			goto fail;
	/* gdb --args QEMU / strace -f QEMU: the only wrappers given to the plumbing */
	if (s2e_meta_set(&e.binary, r->words[r->nwords > 2 && (r->o.gdb || r->o.strace) ? 2 : 0]))
		goto fail;
	if (r->mode == S2E_QEMU_SYM) {
		outdir = s2e_asprintf("%s/" S2E_EXPDATA_DIR "/%s", r->root, r->expname);
		if (!outdir || s2e_meta_set(&e.output_dir, outdir) ||
		    s2e_meta_set(&e.config_file, r->config_path))
			goto fail;
	}
	subject = s2e_asprintf("run %s %s %s", s2e_sq(ref), r->mode_text, s2e_sq(r->expname));
	exp_dir = s2e_asprintf("%s/" S2E_EXPERIMENTS_DIR "/%s", r->root, r->expname);
	record = exp_dir ? s2e_path_join(exp_dir, S2E_EXPERIMENT_RECORD) : NULL;
	if (!subject || !record)
		goto fail;

	if (relock(r, &lock))
		goto fail;
	{
		struct stat st;
		if (!lstat(exp_dir, &st)) {
			s2e_error("experiment %s already exists (%s); choose another --expname",
				  s2e_q(r->expname), s2e_q(exp_dir));
			goto fail_locked;
		}
	}
	if (outdir) {
		char *parent = s2e_path_join(r->root, S2E_EXPDATA_DIR);
		int mrc = parent ? s2e_mkdir_p(parent, 0777) : -1;
		free(parent);
		if (mrc)
			goto fail_locked;
		if (mkdir(outdir, 0777)) {
			if (errno == EEXIST)
				s2e_error("experiment output directory %s already exists; choose "
					  "another --expname",
					  s2e_q(outdir));
			else
				s2e_error_errno("cannot create %s", s2e_q(outdir));
			goto fail_locked;
		}
		created_outdir = 1;
	}
	if (s2e_mkdir_p(exp_dir, 0777))
		goto fail_locked;
	created_exp = 1;
	if (r->mode == S2E_QEMU_SYM) {
		char *copy = s2e_path_join(exp_dir, S2E_EXPERIMENT_CONFIG);
		int crc = copy ? copy_file(r->config_path, copy) : -1;
		free(copy);
		if (crc)
			goto fail_locked;
	}
	s2e_time_utc(started, sizeof(started));
	if (s2e_meta_set(&e.started, started) || s2e_experiment_write(record, &e) ||
	    commit(r, &e, subject, 0, 0))
		goto fail_locked;
	s2e_unlock(&lock);
	s2e_status_ok(&r->st, "record experiment %s", r->expname);

	/* QEMU runs without the lock: other commands go on meanwhile. */
	print_cmdline(r);
	started_ok = s2e_supervise(r->words, r->o.timeout, r->o.kill_after, &how) == 0;
	if (!started_ok) {
		s2e_meta_set(&e.error, s2e_error_last());
		s2e_meta_set(&e.state, "failed");
		s2e_status_fail(&r->st, "s2e vm run: %s", s2e_error_last());
	} else {
		e.duration = how.duration;
		e.exit_status = how.exit_status;
		e.signal = how.signal;
		e.timed_out = how.timed_out;
		s2e_meta_set(&e.state, how.timed_out ? "timed-out"
				       : how.signal  ? "killed"
						     : "finished");
	}
	s2e_time_utc(ended, sizeof(ended));
	s2e_meta_set(&e.ended, ended);
	if (e.duration < 0)
		e.duration = 0;

	/* What the run changed (kvm and prep write to the disk and take snapshots). */
	if (r->mode != S2E_QEMU_SYM && started_ok) {
		if (s2e_digest_file(r->image, 0, digest) == 0 &&
		    s2e_meta_set(&e.disk_after, digest) == 0)
			e.disk_changed = e.disk_before && strcmp(e.disk_before, digest) != 0;
		else
			s2e_status_warn(&r->st, "cannot digest the disk after the run: %s",
					s2e_error_last());
	}

	head = s2e_asprintf("run %s %s %s", s2e_sq(ref), r->mode_text, s2e_sq(r->expname));
	free(subject);
	subject = NULL;
	if (!head)
		goto fail_after;
	if (!started_ok)
		subject = s2e_asprintf("%s: could not start", head);
	else if (how.timed_out)
		subject = s2e_asprintf("%s: timed out after %.1fs", head, how.duration);
	else if (how.signal)
		subject = s2e_asprintf("%s: killed by SIG%s after %.1fs", head,
				       s2e_signame(how.signal), how.duration);
	else
		subject =
		    s2e_asprintf("%s: exit %d after %.1fs", head, how.exit_status, how.duration);
	if (!subject)
		goto fail_after;
	if (relock(r, &lock))
		goto fail_after;
	if (vm_dir && started_ok) {
		if (s2e_snapfiles(vm_dir, &after, &nafter) ||
		    s2e_experiment_note_snapshots(r->root, &e, before, nbefore, after, nafter))
			goto fail_after;
	}
	if (s2e_experiment_write(record, &e) || commit(r, &e, subject, 1, vm_dir != NULL))
		goto fail_after;
	s2e_unlock(&lock);
	if (!started_ok) {
		rc = 1;
		goto out;
	}
	code = s2e_exit_code(&how);
	if (how.timed_out)
		s2e_status_warn(&r->st, "timed out after %.1fs: QEMU was interrupted%s",
				how.duration, how.signal == SIGKILL ? " and killed" : "");
	else if (how.signal)
		s2e_status_warn(&r->st, "QEMU was killed by SIG%s", s2e_signame(how.signal));
	if (e.nadded || e.nremoved || e.nretaken || e.disk_changed > 0)
		s2e_status_info(&r->st, "disk %s; snapshots: %zu new, %zu removed, %zu taken again",
				e.disk_changed > 0 ? "changed" : "unchanged", e.nadded, e.nremoved,
				e.nretaken);
	s2e_status_ok(&r->st, "record outcome: %s, exit status %d after %.1fs", e.state,
		      how.exit_status, how.duration);
	rc = code;
	goto out;

fail_locked:
	if (created_outdir)
		rmdir(outdir);
	if (created_exp)
		s2e_remove_tree(exp_dir);
	s2e_unlock(&lock);
fail:
	rc = fail("vm run");
	goto out;
fail_after:
	s2e_unlock(&lock);
	s2e_error_prefix("QEMU ran, but its outcome could not be recorded");
	rc = fail("vm run");
out:
	s2e_snapfiles_free(before, nbefore);
	s2e_snapfiles_free(after, nafter);
	s2e_experiment_free(&e);
	free(ref);
	free(subject);
	free(head);
	free(exp_dir);
	free(record);
	free(outdir);
	free(vm_dir);
	return rc;
}

int cmd_vm_run(int argc, char **argv)
{
	struct run r;
	char expname[64];
	int rc;

	memset(&r, 0, sizeof(r));
	s2e_status_init(&r.st, stdout);
	rc = parse(&r, argc, argv);
	if (rc) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	r.root = porcelain_root(r.s2edir);
	if (!r.root) {
		rc = fail("vm run");
		goto out;
	}
	if (strchr(r.ref, '/')) {
		r.image = s2e_strdup(r.ref);
	} else {
		if (s2e_vm_ref_parse(r.ref, &r.vm, &r.snap)) {
			rc = fail("vm run");
			goto out;
		}
		r.image = s2e_vm_file(r.root, r.vm, NULL);
	}
	if (r.o.expname) {
		r.expname = s2e_strdup(r.o.expname);
	} else {
		s2e_expname_auto(expname, sizeof(expname));
		r.expname = s2e_strdup(expname);
	}
	if (r.mode == S2E_QEMU_SYM)
		r.config_path = r.o.config_file ? s2e_strdup(r.o.config_file)
						: s2e_path_join(r.root, S2E_QEMU_DEFAULT_CONFIG);
	if (!r.image || !r.expname || (r.mode == S2E_QEMU_SYM && !r.config_path)) {
		rc = fail("vm run");
		goto out;
	}
	if (r.dry_run) {
		/* Nothing is checked, locked or recorded: the line is all. */
		if (get_cmdline(&r, 0)) {
			rc = fail("vm run");
			goto out;
		}
		print_cmdline(&r);
		rc = 0;
		goto out;
	}
	rc = run_real(&r);
out:
	free(r.o.extra);
	for (size_t i = 0; i < r.npass; i++)
		free(r.pass[i]);
	free(r.pass);
	for (size_t i = 0; i < r.nwords; i++)
		free(r.words[i]);
	free(r.words);
	free(r.root);
	free(r.vm);
	free(r.snap);
	free(r.image);
	free(r.expname);
	free(r.config_path);
	return rc;
}
