/* s2e vm run --batch FILE: the jobs of a batch file (s2e/batch.h) run here
 * N at a time, through GNU parallel, or as a Slurm array; with --job N, one
 * of them, as an ordinary `s2e vm run` that knows its batch. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/batch.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/qemu.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/status.h"
#include "s2e/vmops.h"

static const char *const usage[] = {
	"s2e vm run --batch FILE [--engine local|parallel|slurm] [-j N] [--sshlogin LOGIN]... "
	"[--joblog FILE] [--wait] [--dry-run] [NAME[:SNAP] [MODE]]",
	"s2e vm run --batch FILE --job N [--dry-run] [NAME[:SNAP] [MODE]]",
	NULL,
	"Run every job of batch FILE as one experiment (see s2e-vm-run(1)).  NAME and MODE",
	"are the defaults for jobs the file gives no vm or mode.  The batch fails when a job does.",
	NULL,
};

struct batch_opts {
	const char *file, *engine, *joblog;
	struct s2e_strv sshlogins;
	unsigned jobs;
	unsigned long job;
	int dry_run, wait;
	char path[PATH_MAX];
	const char *vm, *mode;
};

static int job_number(const struct s2e_option *opt, const char *value)
{
	char *end;
	unsigned long n = strtoul(value, &end, 10);

	if (!*value || *end || n < 1 || n > S2E_BATCH_MAX_JOBS || value[0] == '-')
		return s2e_error("invalid job number '%s'", value);
	*(unsigned long *)opt->value = n;
	return 0;
}

/* With a store: in the batch, the job's VM checked against the store's, and
 * pulled from it when this S2EDIR lacks it. */
static int job_vm(const struct s2e_batch *b, const struct s2e_batch_job *j)
{
	char *root = b->store ? porcelain_root(NULL) : NULL;
	struct s2e_vm_report report;
	struct s2e_batch_vm vm;
	struct s2e_status st;
	int rc;

	if (!b->store)
		return 0;
	if (!root)
		return -1;
	porcelain_report(&report, &st, stdout);
	rc = s2e_batch_vm_ensure(root, b, j, &report, &vm);
	if (!rc && vm.pulled)
		s2e_status_info(&st, "batch %s: VM %s pulled from %s (%s)", b->name, j->vm,
				b->store, vm.local);
	else if (!rc && vm.mismatch)
		s2e_status_warn(&st, "batch %s: VM %s has disk %s here, not the store's %s "
				"(store-mismatch: local)", b->name, j->vm, vm.local, vm.expected);
	fflush(stdout);
	free(root);
	return rc;
}

/* The one job --job N names, run by `s2e vm run` itself. */
static int run_one(const struct batch_opts *o, const struct s2e_batch *b)
{
	const struct s2e_batch_job *j;
	struct s2e_strv argv = S2E_STRV_INIT;
	int rc;

	if (o->job > b->njobs) {
		s2e_error("batch %s has %zu jobs, not %lu", s2e_q(b->name), b->njobs, o->job);
		return fail("vm run");
	}
	j = &b->jobs[o->job - 1];
	if ((!o->dry_run && job_vm(b, j)) || s2e_batch_job_setenv(b, j, o->path) || s2e_strv_add(&argv, "run") ||
	    s2e_batch_job_argv(j, &argv) || (o->dry_run && s2e_strv_add(&argv, "--dry-run"))) {
		s2e_strv_clear(&argv);
		return fail("vm run");
	}
	rc = cmd_vm_run((int)argv.n, (char **)argv.v);
	s2e_strv_clear(&argv);
	return rc;
}

static void report(const struct s2e_batch_job *job, int status, void *ctx)
{
	const struct s2e_batch *b = ctx;
	struct s2e_status st;

	s2e_status_init(&st, stdout);
	if (status)
		s2e_status_fail(&st, "batch %s: job %zu/%zu %s: exit %d", b->name, job->index,
				b->njobs, job->expname, status);
	else
		s2e_status_ok(&st, "batch %s: job %zu/%zu %s", b->name, job->index, b->njobs,
			      job->expname);
	fflush(stdout);
}

/* The words that run job N (N appended): this s2e, on this S2EDIR. */
static int job_prefix(const struct batch_opts *o, const char *root, int remote,
		      struct s2e_strv *p, char *self, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", self, len - 1);

	if (n < 0 || remote)
		snprintf(self, len, "s2e");
	else
		self[n] = '\0';
	if (s2e_strv_add(p, self) || s2e_strv_add(p, "vm") || s2e_strv_add(p, "run"))
		return -1;
	if ((!remote || porcelain_s2edir) &&
	    (s2e_strv_add(p, "--s2edir") || s2e_strv_add(p, remote ? porcelain_s2edir : root)))
		return -1;
	if (s2e_strv_add(p, "--batch") || s2e_strv_add(p, o->path) ||
	    (o->vm && s2e_strv_add(p, o->vm)) || (o->mode && s2e_strv_add(p, o->mode)))
		return -1;
	return s2e_strv_add(p, "--job");
}

static void print_words(const char *const *w)
{
	for (size_t i = 0; w[i]; i++) {
		if (i)
			putchar(' ');
		s2e_shell_quote(stdout, w[i]);
	}
	putchar('\n');
}

static int run_local(const struct batch_opts *o, const struct s2e_batch *b,
		     const char *const *prefix)
{
	struct s2e_strv argv = S2E_STRV_INIT;
	int failed;

	if (o->dry_run) {
		for (size_t i = 0; i < b->njobs; i++) {
			s2e_strv_clear(&argv);
			if (s2e_strv_add(&argv, "s2e") || s2e_strv_add(&argv, "vm") ||
			    s2e_strv_add(&argv, "run") || s2e_batch_job_argv(&b->jobs[i], &argv))
				return -1;
			print_words(argv.v);
		}
		s2e_strv_clear(&argv);
		return 0;
	}
	failed = s2e_batch_run_local(b, prefix, o->jobs ? o->jobs : 1, report, (void *)b);
	return failed;
}

static int run_parallel(const struct batch_opts *o, const struct s2e_batch *b,
			const char *const *prefix)
{
	const struct s2e_batch_parallel p = {o->sshlogins.v, o->sshlogins.n, o->joblog, o->jobs};
	struct s2e_strv argv = S2E_STRV_INIT;
	char *numbers = NULL;
	int rc = -1;

	if (s2e_batch_parallel_argv(b, prefix, &p, &argv, &numbers) == 0) {
		if (o->dry_run) {
			print_words(argv.v);
			rc = 0;
		} else {
			rc = s2e_batch_spawn_wait(argv.v);
			if (rc > 100) /* parallel: 101 means more than 100 failed; 255 other errors */
				rc = rc == 101 ? (int)b->njobs : -1;
			if (rc < 0 && !strcmp(s2e_error_last(), "unknown error"))
				s2e_error("GNU parallel failed");
		}
	}
	free(numbers);
	s2e_strv_clear(&argv);
	return rc;
}

/* Write S2EDIR/batches/NAME/NAME.sbatch and submit it. */
static int run_slurm(const struct batch_opts *o, const struct s2e_batch *b,
		     const char *const *prefix, const char *root)
{
	char *dir = s2e_asprintf("%s/batches/%s", root, b->name), *script = NULL, *path = NULL;
	struct s2e_status st;
	int rc = -1;

	if (!dir || !(script = s2e_batch_sbatch_script(b, prefix, o->jobs, dir)))
		goto out;
	if (o->dry_run) {
		fputs(script, stdout);
		rc = 0;
		goto out;
	}
	path = s2e_asprintf("%s/%s.sbatch", dir, b->name);
	if (!path || s2e_mkdir_p(dir, 0755) ||
	    s2e_write_file_atomic(path, script, strlen(script), 0755))
		goto out;
	s2e_status_init(&st, stdout);
	s2e_status_info(&st, "batch %s: %zu jobs as a Slurm array (%s)", b->name, b->njobs, path);
	fflush(stdout);
	rc = s2e_batch_spawn_wait(o->wait ? (const char *[]){"sbatch", "--wait", path, NULL}
					  : (const char *[]){"sbatch", path, NULL});
	if (rc > 0) {
		s2e_error("sbatch exited with status %d%s", rc,
			  o->wait ? " (a job failed, or the submission did)" : "");
		rc = -1;
	}
out:
	free(dir);
	free(script);
	free(path);
	return rc;
}

/* Every job through the engine: the number that failed, or -1. */
static int run_all(const struct batch_opts *o, const struct s2e_batch *b)
{
	struct s2e_strv prefix = S2E_STRV_INIT;
	char self[PATH_MAX], *root = porcelain_root(NULL);
	int remote = o->sshlogins.n > 0, rc = -1;

	if (!root || job_prefix(o, root, remote, &prefix, self, sizeof(self)))
		goto out;
	if (!strcmp(o->engine, "local"))
		rc = run_local(o, b, prefix.v);
	else if (!strcmp(o->engine, "parallel"))
		rc = run_parallel(o, b, prefix.v);
	else
		rc = run_slurm(o, b, prefix.v, root);
out:
	s2e_strv_clear(&prefix);
	free(root);
	return rc;
}

static int check_engine(const struct batch_opts *o)
{
	if (strcmp(o->engine, "local") && strcmp(o->engine, "parallel") && strcmp(o->engine, "slurm"))
		return s2e_error("unknown engine '%s': local, parallel or slurm", o->engine);
	if ((o->sshlogins.n || o->joblog) && strcmp(o->engine, "parallel"))
		return s2e_error("--sshlogin and --joblog need --engine=parallel");
	if (o->wait && strcmp(o->engine, "slurm"))
		return s2e_error("--wait needs --engine=slurm");
	if (o->job && (strcmp(o->engine, "local") || o->jobs || o->sshlogins.n || o->wait))
		return s2e_error("--job runs one job: no engine options");
	return 0;
}

/* After parsing: check, load, run. */
static int batch(const struct s2e_command *cmd, struct batch_opts *o, int argc, char **argv)
{
	struct s2e_batch b;
	int rc;

	if (argc > 2)
		return s2e_usage_fail(cmd, stderr, "a batch takes at most NAME[:SNAP] and MODE");
	o->vm = argc > 0 ? argv[0] : NULL;
	o->mode = argc > 1 ? argv[1] : NULL;
	if (!o->file)
		return s2e_usage_fail(cmd, stderr, "needs --batch FILE");
	if (check_engine(o))
		return s2e_usage_fail(cmd, stderr, "%s", s2e_error_last());
	if (!realpath(o->file, o->path)) {
		s2e_error_errno("batch file %s", s2e_q(o->file));
		return fail("vm run");
	}
	if (s2e_batch_load(o->path, &(struct s2e_batch_defaults){o->vm, o->mode}, &b))
		return fail("vm run");
	rc = o->job ? run_one(o, &b) : run_all(o, &b);
	if (!o->job && rc > 0)
		s2e_error("batch %s: %d of %zu jobs failed", b.name, rc, b.njobs);
	if (!o->job && rc)
		rc = fail("vm run");
	s2e_batch_free(&b);
	return rc;
}

int cmd_vm_run_batch(int argc, char **argv)
{
	struct batch_opts o = {.engine = "local", .sshlogins = S2E_STRV_INIT};
	const struct s2e_option options[] = {
		OPT_STRING(0, "batch", &o.file, "FILE", "run the jobs of batch FILE"),
		OPT_STRING(0, "engine", &o.engine, "ENGINE", "local (default), parallel or slurm"),
		OPT_CALLBACK('j', "jobs", &o.jobs, "N", "run at most N jobs at a time", s2e_opt_jobs),
		OPT_CALLBACK(0, "sshlogin", &o.sshlogins, "LOGIN",
			     "parallel: run jobs on LOGIN too (repeatable)", s2e_opt_string_list),
		OPT_STRING(0, "joblog", &o.joblog, "FILE", "parallel: its job log"),
		OPT_BOOL(0, "wait", &o.wait, "slurm: wait until every job has ended"),
		OPT_CALLBACK(0, "job", &o.job, "N", "run job N only", job_number),
		OPT_BOOL(0, "dry-run", &o.dry_run, "show what would run, run nothing"),
		OPT_S2EDIR(),
		OPT_OPERAND_WORDS("MODE", S2E_QEMU_MODE_WORDS),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e vm run", .usage = usage, .options = options};
	int rc;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	rc = argc < 0 ? s2e_parse_options_exit(&cmd, argc, stdout, stderr)
		      : batch(&cmd, &o, argc, argv);
	s2e_strv_clear(&o.sshlogins);
	return rc;
}

/* `s2e vm run`: a batch when --batch is among the options, else one run. */
int cmd_vm_run_entry(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--batch") || !strncmp(argv[i], "--batch=", 8))
			return cmd_vm_run_batch(argc, argv);
	return cmd_vm_run(argc, argv);
}
