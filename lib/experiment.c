/* The run lifecycle: prepare, start, supervise, finish (see
 * include/s2e/experiment.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/digest-cache.h"
#include "s2e/digest.h"
#include "s2e/batch.h"
#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/hostid.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/vm.h"

static void warn(struct s2e_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct s2e_run *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!r->warn)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	r->warn(r->warn_ctx, msg ? msg : fmt);
	free(msg);
}

/* The options the command line is built from: the caller's and what the
 * run resolved (given_opts), and the VM's stored settings for what the
 * caller left unset (effective_opts).  The timeout is enforced by
 * the supervisor, not timeout(1). */
static void given_opts(const struct s2e_run *r, struct s2e_qemu_opts *o)
{
	*o = *r->opts;
	o->root = r->root;
	o->image = r->image;
	if (r->vm)
		o->snapshot = r->snap;
	o->expname = r->expname;
	o->timeout = 0;
	o->kill_after = 0;
}

static int effective_opts(struct s2e_run *r, struct s2e_qemu_opts *o)
{
	given_opts(r, o);
	if (!r->settings)
		return 0;
	s2e_strv_clear(&r->extra);
	return s2e_vm_settings_apply(r->settings, r->vm, o, &r->extra);
}

/* Running an experiment again: the disk it ran on, and its name in the
 * record. */
static int read_again(struct s2e_run *r)
{
	struct s2e_experiment e;
	int rc = s2e_experiment_load(r->root, r->again, &e);

	if (rc == 0)
		rc = s2e_meta_set(&r->again_disk, e.disk_before) ||
			     s2e_meta_set(&r->rec.again_of, r->again)
			 ? -1
			 : 0;
	s2e_experiment_free(&e);
	return rc;
}

/* The VM's settings; none for an image path or a VM without vm.config, and
 * none read again for a run again, whose options hold them. */
static int read_settings(struct s2e_run *r)
{
	if (r->again)
		return read_again(r);
	if (!r->vm)
		return 0;
	r->settings = calloc(1, sizeof(*r->settings));
	if (!r->settings)
		return s2e_error("out of memory");
	return s2e_vm_settings_read(r->root, r->vm, r->settings);
}

int s2e_run_prepare(struct s2e_run *r)
{
	struct s2e_qemu_opts o;
	char name[64];

	s2e_experiment_init(&r->rec);
	if (strchr(r->ref, '/')) {
		r->image = s2e_strdup(r->ref);
	} else {
		if (s2e_vm_ref_parse(r->ref, &r->vm, &r->snap))
			return -1;
		r->image = s2e_vm_file(r->root, r->vm, NULL);
	}
	if (!r->opts->expname)
		s2e_expname_auto(name, sizeof(name));
	r->expname = s2e_strdup(r->opts->expname ? r->opts->expname : name);
	if (!r->image || !r->expname || read_settings(r) || effective_opts(r, &o))
		return -1;
	return s2e_qemu_cmdline(&o, &r->cmd);
}

int s2e_run_plumbing_words(const struct s2e_run *r, struct s2e_strv *words)
{
	struct s2e_qemu_opts o;

	given_opts(r, &o); /* s2e-qemu-cmdline reads the VM's settings itself */
	if (o.mode != S2E_QEMU_SYM)
		o.expname = NULL; /* kvm/prep lines carry no experiment name */
	if (s2e_strv_add_dup(words, "-z") || s2e_strv_add_dup(words, "--s2edir") ||
	    s2e_strv_add_dup(words, r->root) || s2e_qemu_opts_words(&o, words) ||
	    s2e_strv_add_dup(words, r->ref) ||
	    s2e_strv_add_dup(words, s2e_qemu_mode_name(o.mode)))
		return -1;
	if (o.args.n && s2e_strv_add_dup(words, "--"))
		return -1;
	for (size_t i = 0; i < o.args.n; i++)
		if (s2e_strv_add_dup(words, o.args.v[i]))
			return -1;
	return 0;
}

/* The VM and the snapshot exist; note the disk the snapshot was taken against. */
static int check_vm(struct s2e_run *r)
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
		if (snap->disk_digest && s2e_meta_set(&r->rec.snapshot_disk, snap->disk_digest))
			goto out;
	}
	rc = 0;
out:
	s2e_vm_info_free(&info);
	return rc;
}

/* sym: the S2E config file is a file; the record names it by its real path. */
static int check_config(struct s2e_run *r)
{
	const char *path = r->cmd.config_file;
	struct stat st;
	char *real;

	if (stat(path, &st))
		return s2e_error_errno("S2E config file %s (give one with -c)", s2e_q(path));
	if (!S_ISREG(st.st_mode))
		return s2e_error("S2E config file %s is not a file", s2e_q(path));
	real = realpath(path, NULL);
	if (s2e_meta_set(&r->rec.config_file, real ? real : path)) {
		free(real);
		return -1;
	}
	free(real);
	return 0;
}

/* Whether a snapshot may be resumed on the disk as it is now. */
static int check_snapshot_disk(struct s2e_run *r)
{
	struct s2e_experiment *e = &r->rec;

	if (!e->snapshot_disk) {
		warn(r,
		     "snapshot %s of VM %s has no recorded disk digest: cannot tell whether the "
		     "disk changed since it was taken",
		     s2e_q(r->snap), s2e_q(r->vm));
		return 0;
	}
	if (!strcmp(e->snapshot_disk, e->disk_before))
		return 0;
	if (!r->force)
		return s2e_error("snapshot %s of VM %s was taken against disk %s, but the disk is "
				 "now %s: the disk changed since the snapshot was taken and "
				 "resuming it would corrupt the guest (--force runs it anyway)",
				 s2e_q(r->snap), s2e_q(r->vm), e->snapshot_disk, e->disk_before);
	e->forced = 1;
	warn(r, "snapshot %s of VM %s: the disk changed since it was taken; running it anyway "
		"(--force)",
	     s2e_q(r->snap), s2e_q(r->vm));
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Every digest a run computes goes through the digest cache, so an unchanged
 * file is not read again; hashing that took longer than a second is told
 * to the caller's note callback. */
static int digest(struct s2e_run *r, const char *path, const char *what,
		  char out[S2E_DIGEST_LEN])
{
	double t0 = now(), took;
	int hashed = 0;
	struct stat st;

	if (s2e_digest_cached(r->root, path, 0, NULL, out, &hashed))
		return -1;
	took = now() - t0;
	if (hashed && took > 1.0 && r->note && stat(path, &st) == 0) {
		char *msg = s2e_asprintf("digest %s (%.1f MiB in %.1fs)", what,
					 (double)st.st_size / 1048576.0, took);
		r->note(r->warn_ctx, msg ? msg : what);
		free(msg);
	}
	return 0;
}

/* Digest the disk (and snapshot) and refuse a snapshot whose disk changed. */
static int check_disk(struct s2e_run *r)
{
	char sum[S2E_DIGEST_LEN], *file;
	int rc;

	if (digest(r, r->image, "disk image", sum) || s2e_meta_set(&r->rec.disk_before, sum))
		return -1;
	if (r->again_disk && strcmp(r->again_disk, sum)) {
		if (!r->force)
			return s2e_error("experiment %s ran on disk %s, but the disk is now %s: it "
					 "would not run the same way (--force runs it anyway)",
					 s2e_q(r->again), r->again_disk, sum);
		warn(r, "experiment %s ran on another disk; running it again anyway (--force)",
		     s2e_q(r->again));
	}
	if (!r->vm || !r->snap)
		return 0;
	file = s2e_vm_file(r->root, r->vm, r->snap);
	rc = file ? digest(r, file, "snapshot", sum) : -1;
	free(file);
	if (rc || s2e_meta_set(&r->rec.snapshot_digest, sum))
		return -1;
	return check_snapshot_disk(r);
}

static char *ref_text(const struct s2e_run *r)
{
	if (!r->vm)
		return s2e_strdup(r->image);
	return r->snap ? s2e_asprintf("%s:%s", r->vm, r->snap) : s2e_strdup(r->vm);
}

/* The build the binary came from; none for --qemu (or run.qemu,
 * $S2E_QEMU) and --stock, whose binary is not a build's. */
static const char *build_used(const struct s2e_qemu_opts *o)
{
	if (o->qemu || o->stock)
		return NULL;
	return o->build ? o->build : S2E_QEMU_DEFAULT_BUILD;
}

/* The settings a snapshot depends on, as the run used them. */
static int record_settings(struct s2e_experiment *e, const struct s2e_qemu_opts *o)
{
	unsigned long mib;
	char buf[32];

	if (o->memory && s2e_qemu_memory_parse(o->memory, &mib) == 0)
		snprintf(buf, sizeof(buf), "%lu", mib);
	else
		snprintf(buf, sizeof(buf), "default");
	return s2e_meta_set(&e->memory, buf) ||
	       s2e_meta_set(&e->nic, o->net == S2E_QEMU_NET_NONE ? "none"
				     : o->nic				? o->nic
				     : o->mode == S2E_QEMU_KVM		? "virtio"
									: "pcnet")
		   ? -1
		   : 0;
}

/* A snapshot resumes only with the memory and devices it was saved with
 * (QEMU's loadvm fails cryptically otherwise): refuse first, naming what
 * differs.  Snapshots taken before s2e remembered them are not checked. */
static int check_snapshot_settings(struct s2e_run *r)
{
	static const char *const keys[] = {"memory", "nic"};
	const char *now[] = {r->rec.memory, r->rec.nic};

	if (!r->vm || !r->snap || !r->settings)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		const char *then = s2e_config_get(&r->settings->cfg, "snapshot", r->snap, keys[i]);
		if (then && now[i] && strcmp(then, now[i]))
			return s2e_error("snapshot %s of VM %s was taken with %s %s%s, but this run "
					 "has %s %s%s: QEMU cannot resume it (give -%s %s, or "
					 "change the VM's run.%s)",
					 s2e_q(r->snap), s2e_q(r->vm), keys[i], then,
					 i == 0 && strcmp(then, "default") ? " MiB" : "", keys[i],
					 now[i], i == 0 && strcmp(now[i], "default") ? " MiB" : "",
					 i == 0 ? "m" : "-nic", then, keys[i]);
	}
	return 0;
}

/* The options the run used, settings included, as words that run it again
 * (without its name and config file, which a run again gets anew). */
static int record_invocation(struct s2e_run *r, const struct s2e_qemu_opts *used)
{
	struct s2e_qemu_opts o = *used;
	struct s2e_strv *w = &r->rec.invocation;

	o.expname = NULL;
	o.config_file = NULL;
	o.timeout = r->opts->timeout;
	o.kill_after = r->opts->kill_after;
	if (s2e_qemu_opts_words(&o, w))
		return -1;
	if (o.args.n && s2e_strv_add_dup(w, "--"))
		return -1;
	for (size_t i = 0; i < o.args.n; i++)
		if (s2e_strv_add_dup(w, o.args.v[i]))
			return -1;
	return 0;
}

/* The record of the start, and the subject its commits share. */
static int fill_record(struct s2e_run *r, const struct s2e_qemu_opts *o)
{
	struct s2e_experiment *e = &r->rec;
	char *ref = ref_text(r);
	int rc = -1;

	if (!ref || s2e_meta_set(&e->name, r->expname) || s2e_meta_set(&e->vm, r->vm) ||
	    s2e_meta_set(&e->snapshot, r->snap) ||
	    s2e_meta_set(&e->mode, s2e_qemu_mode_name(o->mode)) ||
	    s2e_meta_set(&e->build, build_used(o)) ||
	    s2e_meta_set(&e->image, r->image) || s2e_meta_set(&e->state, "running") ||
	    s2e_meta_set(&e->binary, r->cmd.binary) ||
	    s2e_meta_set(&e->output_dir, r->cmd.output_dir))
		goto out;
	e->timeout = r->opts->timeout; /* o has it zeroed: the supervisor enforces it */
	e->cmdline = s2e_shell_join((const char *const *)r->cmd.argv, r->cmd.argc);
	if (!e->cmdline)
		goto out;
	for (size_t i = 0; i < r->cmd.argc; i++)
		if (s2e_strv_add_dup(&e->argv, r->cmd.argv[i]))
			goto out;
	if (record_invocation(r, o))
		goto out;
	r->subject = s2e_asprintf("run %s %s %s", s2e_sq(ref), e->mode, s2e_sq(r->expname));
	r->exp_dir = s2e_asprintf("%s/" S2E_EXPERIMENTS_DIR "/%s", r->root, r->expname);
	r->record_path = r->exp_dir ? s2e_path_join(r->exp_dir, S2E_EXPERIMENT_RECORD) : NULL;
	if (r->subject && r->record_path)
		rc = 0;
out:
	free(ref);
	return rc;
}

/* Commit the record (and with_vm, the VM's metadata). */
static int commit(struct s2e_run *r, const char *subject, int after, int with_vm)
{
	char *exp_path = s2e_experiment_path(r->expname), *vm_path = NULL,
	     *body = s2e_experiment_body(&r->rec, after), *batch = s2e_batch_job_body(),
	     *full = NULL;
	const char *paths[2];
	size_t n = 0;
	int rc = -1;

	/* A job of a batch (s2e vm run --batch FILE --job N) says which. */
	if (!exp_path || !body || !batch ||
	    !(full = s2e_asprintf("%s%s%s", body, *body && *batch ? "\n" : "", batch)))
		goto out;
	paths[n++] = exp_path;
	if (with_vm && r->vm) {
		vm_path = s2e_asprintf("vm/%s/%s", r->vm, S2E_VM_META);
		if (!vm_path)
			goto out;
		paths[n++] = vm_path;
	}
	rc = s2e_history_commit(r->root, paths, n, subject, full, NULL);
out:
	free(exp_path);
	free(vm_path);
	free(body);
	free(batch);
	free(full);
	return rc;
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

/* The output directory the builder chose (S2EDIR/expdata/EXPNAME) for sym
 * runs: a new directory, never an existing one. */
static int make_outdir(struct s2e_run *r)
{
	const char *outdir = r->cmd.output_dir, *slash = strrchr(outdir, '/');
	char *parent = slash ? strndup(outdir, (size_t)(slash - outdir)) : NULL;
	int rc = parent ? s2e_mkdir_p(parent, 0777) : s2e_error("out of memory");

	free(parent);
	if (rc)
		return -1;
	if (mkdir(outdir, 0777) == 0)
		return 0;
	if (errno == EEXIST)
		return s2e_error("experiment output directory %s already exists; choose another "
				 "--expname",
				 s2e_q(outdir));
	return s2e_error_errno("cannot create %s", s2e_q(outdir));
}

/* A job of a batch: which, how it was started and where (under the lock:
 * the host id may be made here). */
static int record_batch(struct s2e_run *r)
{
	struct s2e_experiment *e = &r->rec;
	struct s2e_batch_env env;
	char id[S2E_HOSTID_MAX + 1], host[256];

	if (s2e_batch_env_read(&env))
		return 0;
	if (s2e_hostid_get(r->root, 1, id) < 0)
		return -1;
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	return s2e_meta_set(&e->batch, env.name) || s2e_meta_set(&e->batch_job, env.job) ||
	       s2e_meta_set(&e->batch_jobs, env.jobs[0] ? env.jobs : NULL) ||
	       s2e_meta_set(&e->batch_engine, env.engine) ||
	       s2e_meta_set(&e->batch_engine_id, env.engine_id[0] ? env.engine_id : NULL) ||
	       s2e_meta_set(&e->batch_host_id, id) || s2e_meta_set(&e->batch_hostname, host) ||
	       s2e_meta_set(&e->batch_file, env.file[0] ? env.file : NULL) ||
	       s2e_meta_set(&e->batch_guest, env.guest[0] ? env.guest : NULL)
		       ? -1
		       : 0;
}

/* Under the lock: the directories, the config copy, the record, the commit.
 * Anything made is removed again on failure. */
static int record_start(struct s2e_run *r)
{
	int made_outdir = 0;
	char started[64], *copy;
	struct stat st;

	if (!lstat(r->exp_dir, &st))
		return s2e_error("experiment %s already exists (%s); choose another --expname",
				 s2e_q(r->expname), s2e_q(r->exp_dir));
	if (r->cmd.output_dir) {
		if (make_outdir(r))
			return -1;
		made_outdir = 1;
	}
	if (s2e_mkdir_p(r->exp_dir, 0777))
		goto fail;
	if (r->rec.config_file) {
		copy = s2e_path_join(r->exp_dir, S2E_EXPERIMENT_CONFIG);
		int rc = copy ? copy_file(r->rec.config_file, copy) : -1;
		free(copy);
		if (rc)
			goto fail;
	}
	s2e_time_utc(started, sizeof(started));
	if (s2e_meta_set(&r->rec.started, started) || record_batch(r) ||
	    s2e_experiment_write(r->record_path, &r->rec) || commit(r, r->subject, 0, 0))
		goto fail;
	return 0;
fail:
	s2e_remove_tree(r->exp_dir);
	if (made_outdir)
		rmdir(r->cmd.output_dir);
	return -1;
}

static void release_marks(struct s2e_run *r)
{
	if (r->marked & 1)
		s2e_inuse_release(&r->run_mark);
	if (r->marked & 2)
		s2e_inuse_release(&r->vm_mark);
	r->marked = 0;
}

/* Under the S2EDIR lock: the experiment's mark, and the VM's (shared by sym
 * runs, exclusive for kvm and prep), then the VM must still be there. */
static int take_marks(struct s2e_run *r)
{
	int exists;

	if (s2e_inuse_take(r->root, S2E_INUSE_RUN, r->expname, 1, &r->run_mark))
		return -1;
	r->marked |= 1;
	if (!r->vm)
		return 0;
	if (s2e_inuse_take(r->root, S2E_INUSE_VM, r->vm, r->opts->mode != S2E_QEMU_SYM,
			   &r->vm_mark))
		return -1;
	r->marked |= 2;
	exists = s2e_vm_exists(r->root, r->vm);
	if (exists == 0)
		return s2e_error("VM %s was deleted meanwhile", s2e_q(r->vm));
	return exists < 0 ? -1 : 0;
}

int s2e_run_start(struct s2e_run *r)
{
	struct s2e_qemu_opts o;
	struct s2e_lock lock = {-1};
	int rc;

	/* Cheap checks first (VM, snapshot, binaries, config), then the digests. */
	if (effective_opts(r, &o) || record_settings(&r->rec, &o) || (r->vm && check_vm(r)) ||
	    check_snapshot_settings(r) || s2e_qemu_check(&o, &r->cmd) ||
	    (r->cmd.config_file && check_config(r)) || check_disk(r))
		return -1;
	if (r->vm && o.mode != S2E_QEMU_SYM) {
		char *dir = s2e_vm_dir(r->root, r->vm);
		rc = dir ? s2e_snapfiles_scan(dir, NULL, 0, &r->before) : -1;
		free(dir);
		if (rc)
			return -1;
		r->have_before = 1;
	}
	if (fill_record(r, &o))
		return -1;
	if (s2e_lock(r->root, &lock) || s2e_history_init(r->root)) {
		s2e_unlock(&lock);
		return -1;
	}
	rc = take_marks(r) || record_start(r) ? -1 : 0;
	s2e_unlock(&lock);
	if (rc)
		release_marks(r);
	return rc;
}

int s2e_run_supervise(struct s2e_run *r)
{
	struct s2e_experiment *e = &r->rec;
	char ended[64];
	int rc;

	rc = s2e_supervise(r->cmd.argv, r->opts->timeout, r->opts->kill_after, &r->how);
	r->started = rc == 0;
	if (rc) {
		/* Keep the reason as the error, and in the record. */
		if (s2e_meta_set(&e->error, s2e_error_last()) == 0)
			s2e_error("%s", e->error);
		s2e_meta_set(&e->state, "failed");
		e->duration = 0;
	} else {
		e->duration = r->how.duration;
		e->exit_status = r->how.exit_status;
		e->signal = r->how.signal;
		e->timed_out = r->how.timed_out;
		s2e_meta_set(&e->state, r->how.timed_out ? "timed-out"
					: r->how.signal	 ? "killed"
							 : "finished");
	}
	s2e_time_utc(ended, sizeof(ended));
	s2e_meta_set(&e->ended, ended);
	return rc;
}

/* "SUBJECT: exit 0 after 1.2s" and the other endings. */
static char *outcome_subject(const struct s2e_run *r)
{
	const struct s2e_exit *h = &r->how;

	if (!r->started)
		return s2e_asprintf("%s: could not start", r->subject);
	if (h->timed_out)
		return s2e_asprintf("%s: timed out after %.1fs", r->subject, h->duration);
	if (h->signal)
		return s2e_asprintf("%s: killed by SIG%s after %.1fs", r->subject,
				    s2e_signame(h->signal), h->duration);
	return s2e_asprintf("%s: exit %d after %.1fs", r->subject, h->exit_status, h->duration);
}

/* kvm and prep write to the disk: its digest after the run. */
static void digest_after(struct s2e_run *r)
{
	struct s2e_experiment *e = &r->rec;
	char sum[S2E_DIGEST_LEN];

	if (digest(r, r->image, "disk image after the run", sum) == 0 &&
	    s2e_meta_set(&e->disk_after, sum) == 0)
		e->disk_changed = e->disk_before && strcmp(e->disk_before, sum) != 0;
	else
		warn(r, "cannot digest the disk after the run: %s", s2e_error_last());
}

static int record_outcome(struct s2e_run *r, const char *subject)
{
	struct s2e_snapfiles after;
	char *dir;
	int rc;

	if (r->have_before && r->started) {
		dir = s2e_vm_dir(r->root, r->vm);
		rc = dir ? s2e_snapfiles_scan(dir, NULL, 0, &after) : -1;
		free(dir);
		if (rc)
			return -1;
		if (after.nbad)
			warn(r, "%zu snapshot file(s) of VM %s have names that are not valid "
				"snapshot names: not recorded",
			     after.nbad, s2e_q(r->vm));
		rc = s2e_experiment_note_snapshots(r->root, &r->rec, &r->before, &after);
		s2e_snapfiles_free(&after);
		if (rc)
			return -1;
	}
	if (s2e_experiment_write(r->record_path, &r->rec))
		return -1;
	return commit(r, subject, 1, r->have_before);
}

int s2e_run_finish(struct s2e_run *r)
{
	struct s2e_lock lock = {-1};
	char *subject;
	int rc = -1;

	if (r->opts->mode != S2E_QEMU_SYM && r->started)
		digest_after(r);
	subject = outcome_subject(r);
	if (subject && s2e_lock(r->root, &lock) == 0)
		rc = record_outcome(r, subject);
	s2e_unlock(&lock);
	release_marks(r);
	free(subject);
	if (rc)
		s2e_error_prefix("QEMU ran, but its outcome could not be recorded");
	return rc;
}

void s2e_run_free(struct s2e_run *r)
{
	free(r->vm);
	free(r->snap);
	free(r->image);
	free(r->expname);
	free(r->exp_dir);
	free(r->record_path);
	free(r->subject);
	s2e_qemu_cmdline_free(&r->cmd);
	s2e_experiment_free(&r->rec);
	s2e_snapfiles_free(&r->before);
	if (r->settings)
		s2e_vm_settings_free(r->settings);
	free(r->settings);
	r->settings = NULL;
	free(r->again_disk);
	r->again_disk = NULL;
	s2e_strv_clear(&r->extra);
	release_marks(r);
	r->vm = r->snap = r->image = r->expname = r->exp_dir = r->record_path = r->subject = NULL;
}
