#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

char *s2e_exec_path(void)
{
	const char *env = getenv("S2E_EXEC_PATH");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return s2e_strdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		s2e_error_errno("cannot find the exec path (set S2E_EXEC_PATH)");
		return NULL;
	}
	self[n] = '\0';
	return s2e_strdup(dirname(self));
}

char *s2e_exec_find(const char *name)
{
	char *dir = s2e_exec_path(), *path;

	if (!dir)
		return NULL;
	path = s2e_path_join(dir, name);
	if (path && access(path, X_OK)) {
		s2e_error_errno("cannot run %s from exec path %s", name, s2e_q(dir));
		free(path);
		path = NULL;
	}
	free(dir);
	return path;
}

void s2e_trace_argv(const char *const argv[])
{
	const char *trace = getenv("S2E_TRACE");

	if (!trace || !*trace || !strcmp(trace, "0"))
		return;
	fputs("+", stderr);
	for (size_t i = 0; argv[i]; i++) {
		fputc(' ', stderr);
		s2e_shell_quote(stderr, argv[i]);
	}
	fputc('\n', stderr);
	fflush(stderr);
}

int s2e_spawn(const char *const argv[], int in_fd, int out_fd, int flags, struct s2e_child *child)
{
	int errpipe[2] = {-1, -1};
	char *path;
	pid_t pid;

	child->pid = -1;
	child->err_fd = -1;
	child->name = s2e_strdup(argv[0]);
	if (!child->name)
		return -1;
	path = strchr(argv[0], '/') ? s2e_strdup(argv[0]) : s2e_exec_find(argv[0]);
	if (!path)
		goto fail;
	if ((flags & S2E_RUN_CAPTURE_STDERR) && pipe2(errpipe, O_CLOEXEC)) {
		s2e_error_errno("cannot run %s", argv[0]);
		goto fail;
	}
	{
		/* The trace shows the full path so the line replays as is. */
		const char **shown = (const char **)argv;
		const char *saved = shown[0];
		shown[0] = path;
		s2e_trace_argv(argv);
		shown[0] = saved;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		s2e_error_errno("cannot run %s", argv[0]);
		goto fail;
	}
	if (pid == 0) {
		if (in_fd >= 0 && dup2(in_fd, 0) < 0)
			_exit(127);
		if (out_fd >= 0 && dup2(out_fd, 1) < 0)
			_exit(127);
		if (errpipe[1] >= 0 && dup2(errpipe[1], 2) < 0)
			_exit(127);
		execv(path, (char *const *)argv);
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		_exit(127);
	}
	free(path);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	child->pid = pid;
	child->err_fd = errpipe[0];
	return 0;
fail:
	free(path);
	if (errpipe[0] >= 0) {
		close(errpipe[0]);
		close(errpipe[1]);
	}
	free(child->name);
	child->name = NULL;
	return -1;
}

/* Read what the child said on stderr (bounded), trimmed of its last newline
 * and of the "name: " prefix the plumbing puts in front of its messages. */
static void drain_stderr(struct s2e_child *child, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	buf[0] = '\0';
	if (child->err_fd < 0)
		return;
	for (;;) {
		char scratch[4096];
		n = read(child->err_fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take = (size_t)n;
		if (take > len - 1 - used)
			take = len - 1 - used;
		memcpy(buf + used, scratch, take);
		used += take;
	}
	buf[used] = '\0';
	while (used && buf[used - 1] == '\n')
		buf[--used] = '\0';
	close(child->err_fd);
	child->err_fd = -1;
}

int s2e_wait(struct s2e_child *child)
{
	char said[2048];
	const char *msg;
	size_t plen;
	int status, rc = 0;

	drain_stderr(child, said, sizeof(said));
	while (waitpid(child->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = s2e_error_errno("cannot wait for %s", child->name);
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto out;
	msg = said;
	plen = strlen(child->name);
	if (!strncmp(msg, child->name, plen) && !strncmp(msg + plen, ": ", 2))
		msg += plen + 2;
	if (*msg)
		rc = s2e_error("%s", msg);
	else if (WIFSIGNALED(status))
		rc = s2e_error("%s was killed by signal %d (%s)", child->name, WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
	else
		rc = s2e_error("%s failed with exit status %d", child->name, WEXITSTATUS(status));
out:
	free(child->name);
	child->name = NULL;
	return rc;
}

int s2e_run(const char *const argv[], int flags)
{
	struct s2e_child child;

	if (s2e_spawn(argv, -1, -1, flags, &child))
		return -1;
	return s2e_wait(&child);
}
