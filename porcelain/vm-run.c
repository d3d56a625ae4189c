/* s2e vm run [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]
 *
 * Parse, then the run lifecycle of lib/experiment.c: prepare (the command
 * line, built in-process by the builder s2e-qemu-cmdline uses), start
 * (checks and the record of the start), supervise (QEMU in the foreground,
 * without the lock), finish (the record of the outcome).  --dry-run stops
 * after prepare: it prints the line, takes no lock and records nothing. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/experiment.h"
#include "s2e/quote.h"

static const char *const usage[] = {
	"s2e vm run [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]",
	"s2e vm run [OPTIONS] --again EXP",
	"s2e vm run --batch FILE [BATCH-OPTIONS] [NAME[:SNAP] [MODE]]",
	NULL,
	"Run VM NAME (resuming snapshot SNAP), or a disk image (an argument with a",
	"'/'), in MODE: kvm, prep or sym.  Options may come before or after NAME and",
	"MODE; words after -- are passed to QEMU.",
	"",
	"Exit status: QEMU's own (0 when it exited 0; 128+N when signal N ended it;",
	"124 when --timeout did), or 1 when the run was refused or could not be",
	"recorded, 2 for a usage error.  The last status line and the record",
	"(experiment.state, experiment.exitStatus) tell QEMU's status from a refusal.",
	NULL,
};

struct cli {
	struct s2e_qemu_opts o;
	int force, dry_run;
	const char *ref, *again;
	struct s2e_status st;
	struct s2e_strv words; /* --again: the command line that runs it again */
	char **again_argv;     /* a copy of its vector, for the parser to reorder */
};

/* --again EXP: the first pass found it; the words to parse instead. */
static int again_words(struct cli *c, int argc, char **argv)
{
	char *root = porcelain_root(NULL);
	int rc = root && s2e_strv_add_dup(&c->words, argv[0]) == 0
			 ? s2e_experiment_again_words(root, c->again, argc - 1, argv + 1, &c->words)
			 : -1;

	free(root);
	return rc;
}

/* -1: go on; otherwise the exit code.  A first pass (on a copy) looks for
 * --again, whose experiment's record gives the operands and the options
 * that the command line's own then override. */
static int parse(struct cli *c, int argc, char **argv)
{
	const struct s2e_option options[] = {
		S2E_QEMU_OPTIONS(&c->o),
		OPT_BOOL('f', "force", &c->force,
			 "resume a snapshot although its disk changed since (or --again on "
			 "another disk)"),
		OPT_BOOL(0, "dry-run", &c->dry_run, "print the command line, run and record nothing"),
		OPT_STRING(0, "again", &c->again, "EXP",
			   "run experiment EXP again: its VM, mode, options and config"),
		OPT_S2EDIR(),
		OPT_OPERAND_WORDS("MODE", S2E_QEMU_MODE_WORDS),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e vm run", .usage = usage, .options = options};
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int n;

	if (!copy)
		return fail("vm run");
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	n = s2e_parse_options(&cmd, argc, copy, S2E_PARSE_KEEP_DASHDASH);
	free(copy);
	if (n < 0)
		return s2e_parse_options_exit(&cmd, n, stdout, stderr);
	s2e_qemu_opts_release(&c->o);
	s2e_qemu_opts_init(&c->o);
	if (c->again) {
		if (n)
			return s2e_usage_fail(&cmd, stderr, "--again takes no NAME, MODE or --");
		if (again_words(c, argc, argv))
			return fail("vm run");
		c->again_argv = calloc(c->words.n + 1, sizeof(char *));
		if (!c->again_argv)
			return fail("vm run");
		memcpy(c->again_argv, c->words.v, c->words.n * sizeof(char *));
		argc = (int)c->words.n;
		argv = c->again_argv;
	}
	return s2e_qemu_parse(&cmd, &c->o, getenv("S2E_QEMU"), argc, argv, &c->ref, stdout,
			      stderr);
}

static void warn(void *ctx, const char *message)
{
	s2e_status_warn(ctx, "%s", message);
}

static void note(void *ctx, const char *message)
{
	s2e_status_ok(ctx, "%s", message);
}

/* With S2E_TRACE=1: the s2e-qemu-cmdline line that prints the same words. */
static void trace(const struct s2e_run *r)
{
	struct s2e_strv words = S2E_STRV_INIT;
	char *path = s2e_exec_find("s2e-qemu-cmdline");

	if (s2e_strv_add_dup(&words, path ? path : "s2e-qemu-cmdline") == 0 &&
	    s2e_run_plumbing_words(r, &words) == 0)
		s2e_trace_argv(NULL, words.v);
	s2e_strv_clear_owned(&words);
	free(path);
}

static void print_cmdline(struct s2e_status *st, const struct s2e_run *r)
{
	char *line = s2e_shell_join((const char *const *)r->cmd.argv, r->cmd.argc);

	s2e_status_debug(st, "Command line:");
	fprintf(st->out, "%s\n", line ? line : "");
	fflush(st->out);
	free(line);
}

/* How QEMU ended, after the outcome is recorded. */
static int report(struct s2e_status *st, const struct s2e_run *r)
{
	const struct s2e_experiment *e = &r->rec;
	const struct s2e_exit *how = &r->how;

	if (how->timed_out)
		s2e_status_warn(st, "timed out after %.1fs: QEMU was interrupted%s", how->duration,
				how->signal == SIGKILL ? " and killed" : "");
	else if (how->signal)
		s2e_status_warn(st, "QEMU was killed by SIG%s", s2e_signame(how->signal));
	if (e->snaps_added.n || e->snaps_removed.n || e->snaps_retaken.n || e->disk_changed > 0)
		s2e_status_info(st, "disk %s; snapshots: %zu new, %zu removed, %zu taken again",
				e->disk_changed > 0 ? "changed" : "unchanged", e->snaps_added.n,
				e->snaps_removed.n, e->snaps_retaken.n);
	s2e_status_ok(st, "record outcome: %s, exit status %d after %.1fs", e->state,
		      how->exit_status, how->duration);
	return s2e_exit_code(how);
}

/* start, supervise, finish */
static int run(struct cli *c, struct s2e_run *r)
{
	int started;

	if (s2e_run_start(r))
		return fail("vm run");
	s2e_status_ok(&c->st, "record experiment %s", r->expname);
	print_cmdline(&c->st, r);
	started = s2e_run_supervise(r) == 0;
	if (!started)
		s2e_status_fail(&c->st, "s2e vm run: %s", s2e_error_last());
	if (s2e_run_finish(r))
		return fail("vm run");
	return started ? report(&c->st, r) : 1;
}

int cmd_vm_run(int argc, char **argv)
{
	struct cli c = {.force = 0};
	struct s2e_run r = {0};
	int rc;

	s2e_qemu_opts_init(&c.o);
	s2e_status_init(&c.st, stdout);
	rc = parse(&c, argc, argv);
	if (rc >= 0)
		goto out;
	r.root = porcelain_root(NULL);
	r.ref = c.ref;
	r.opts = &c.o;
	r.force = c.force;
	r.again = c.again;
	r.warn = warn;
	r.note = note;
	r.warn_ctx = &c.st;
	if (!r.root || s2e_run_prepare(&r)) {
		rc = fail("vm run");
		goto out;
	}
	trace(&r);
	if (c.dry_run) {
		print_cmdline(&c.st, &r); /* nothing is checked, locked or recorded */
		rc = 0;
	} else {
		rc = run(&c, &r);
	}
out:
	free((char *)r.root);
	s2e_run_free(&r);
	s2e_qemu_opts_release(&c.o);
	s2e_strv_clear_owned(&c.words);
	free(c.again_argv);
	return rc;
}
