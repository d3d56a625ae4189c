#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s2e/batch.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

extern char **environ;

static int shell_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 255;
}

static int spawn(const char *const *argv, pid_t *pid)
{
	int err = posix_spawnp(pid, argv[0], NULL, NULL, (char *const *)argv, environ);

	if (err) {
		errno = err;
		return s2e_error_errno("cannot run %s", s2e_q(argv[0]));
	}
	return 0;
}

int s2e_batch_spawn_wait(const char *const *argv)
{
	pid_t pid;
	int wstatus;

	if (spawn(argv, &pid))
		return -1;
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return s2e_error_errno("cannot wait for %s", s2e_q(argv[0]));
	return shell_status(wstatus);
}

/* prefix + the job's number, spawned. */
static int start_job(const char *const *prefix, const struct s2e_batch_job *j, pid_t *pid)
{
	struct s2e_strv argv = S2E_STRV_INIT;
	char number[24];
	int rc = 0;

	snprintf(number, sizeof(number), "%zu", j->index);
	for (size_t i = 0; prefix[i] && rc == 0; i++)
		rc = s2e_strv_add(&argv, prefix[i]);
	if (rc == 0 && s2e_strv_add(&argv, number) == 0)
		rc = spawn(argv.v, pid);
	else
		rc = -1;
	s2e_strv_clear(&argv);
	return rc;
}

int s2e_batch_run_local(const struct s2e_batch *b, const char *const *prefix, unsigned jobs,
			s2e_batch_done_fn done, void *ctx)
{
	pid_t *pids = calloc(jobs ? jobs : 1, sizeof(pid_t));
	size_t *which = calloc(jobs ? jobs : 1, sizeof(size_t)), next = 0, running = 0;
	int failed = 0, broken = 0;

	if (!pids || !which) {
		free(pids);
		free(which);
		return s2e_error("out of memory");
	}
	while (running || (next < b->njobs && !broken)) {
		int wstatus;
		pid_t pid;

		if (running < (jobs ? jobs : 1) && next < b->njobs && !broken) {
			if (start_job(prefix, &b->jobs[next], &pids[running]) == 0) {
				which[running++] = next++;
				continue;
			}
			broken = 1;
			continue;
		}
		pid = waitpid(-1, &wstatus, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (size_t i = 0; i < running; i++) {
			if (pids[i] != pid)
				continue;
			if (shell_status(wstatus))
				failed++;
			if (done)
				done(&b->jobs[which[i]], shell_status(wstatus), ctx);
			pids[i] = pids[--running];
			which[i] = which[running];
			break;
		}
	}
	free(pids);
	free(which);
	return broken ? -1 : failed;
}

int s2e_batch_parallel_argv(const struct s2e_batch *b, const char *const *prefix,
			    const struct s2e_batch_parallel *o, struct s2e_strv *argv,
			    char **numbers)
{
	char *p;
	int rc = 0;

	*numbers = malloc(b->njobs * 21 + 1);
	if (!*numbers)
		return s2e_error("out of memory");
	rc |= s2e_strv_add(argv, "parallel");
	rc |= s2e_strv_add(argv, "--will-cite");
	rc |= s2e_strv_add(argv, "--halt");
	rc |= s2e_strv_add(argv, "never");
	for (size_t i = 0; i < o->nsshlogins; i++)
		rc |= s2e_strv_add(argv, "--sshlogin") | s2e_strv_add(argv, o->sshlogins[i]);
	if (o->joblog)
		rc |= s2e_strv_add(argv, "--joblog") | s2e_strv_add(argv, o->joblog);
	p = *numbers; /* the words of the numbers, -j's first */
	if (o->jobs) {
		p += sprintf(p, "%u", o->jobs) + 1;
		rc |= s2e_strv_add(argv, "-j") | s2e_strv_add(argv, *numbers);
	}
	for (size_t i = 0; prefix[i]; i++)
		rc |= s2e_strv_add(argv, prefix[i]);
	rc |= s2e_strv_add(argv, "{}");
	rc |= s2e_strv_add(argv, ":::");
	for (size_t i = 0; i < b->njobs; i++) {
		rc |= s2e_strv_add(argv, p);
		p += sprintf(p, "%zu", b->jobs[i].index) + 1;
	}
	return rc ? -1 : 0;
}

/* The words, shell-quoted and space-joined; malloc'd. */
static char *join(const char *const *words)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; words[i]; i++) {
		if (i)
			fputc(' ', f);
		s2e_shell_quote(f, words[i]);
	}
	if (fclose(f)) {
		free(text);
		s2e_error("out of memory");
		return NULL;
	}
	return text;
}

char *s2e_batch_sbatch_script(const struct s2e_batch *b, const char *const *prefix, unsigned jobs,
			      const char *outdir)
{
	char *cmd, *script, limit[24] = "";

	/* #SBATCH lines are split at white space, not read by a shell. */
	for (const char *c = outdir; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '%') {
			s2e_error("%s: Slurm output directories cannot hold spaces, control "
				  "characters or '%%'", s2e_q(outdir));
			return NULL;
		}
	if (jobs)
		snprintf(limit, sizeof(limit), "%%%u", jobs);
	cmd = join(prefix);
	script = cmd ? s2e_asprintf("#!/bin/sh\n"
				    "# Written by s2e vm run --engine=slurm: batch %s, %zu jobs.\n"
				    "#SBATCH --job-name=s2e-batch\n"
				    "#SBATCH --array=1-%zu%s\n"
				    "#SBATCH --output=%s/slurm-%%A_%%a.out\n"
				    "exec %s \"$SLURM_ARRAY_TASK_ID\"\n",
				    s2e_sq(b->name), b->njobs, b->njobs, limit, outdir, cmd)
		     : NULL;
	free(cmd);
	return script;
}
