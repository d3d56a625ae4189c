/* Running plumbing: see include/s2e/exec.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

extern char **environ;

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
		s2e_error_set(S2E_ENOTFOUND, "cannot run %s from exec path %s: %s", name, s2e_q(dir),
			      strerror(errno));
		free(path);
		path = NULL;
	}
	free(dir);
	return path;
}

void s2e_trace_argv(const char *const env[], const char *const argv[])
{
	const char *trace = getenv("S2E_TRACE");

	if (!trace || !*trace || !strcmp(trace, "0"))
		return;
	fputs("+", stderr);
	for (size_t i = 0; env && env[i]; i++) {
		fputc(' ', stderr);
		s2e_shell_quote(stderr, env[i]);
	}
	for (size_t i = 0; argv[i]; i++) {
		fputc(' ', stderr);
		s2e_shell_quote(stderr, argv[i]);
	}
	fputc('\n', stderr);
	fflush(stderr);
}

int s2e_buf_add(struct s2e_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		size_t alloc = b->alloc ? b->alloc : 256;
		char *grown;
		while (alloc < b->len + len + 1)
			alloc *= 2;
		grown = realloc(b->buf, alloc);
		if (!grown)
			return s2e_error("out of memory");
		b->buf = grown;
		b->alloc = alloc;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

void s2e_buf_free(struct s2e_buf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void s2e_cmd_clear(struct s2e_cmd *cmd)
{
	s2e_strv_clear(&cmd->args);
	s2e_strv_clear(&cmd->env);
	for (int i = 0; i < 3; i++)
		close_fd(&cmd->fd[i]);
	close_fd(&cmd->pfd);
	free(cmd->name);
	free(cmd->read_msg);
	cmd->name = cmd->read_msg = NULL;
	s2e_buf_free(&cmd->errtext);
	s2e_buf_free(&cmd->line);
}

/* The child's environment: ours, with cmd->env's NAME=VALUE words replacing
 * or adding to it.  NULL (with the error set) when out of memory. */
static char **make_env(const struct s2e_cmd *cmd)
{
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = calloc(n + cmd->env.n + 1, sizeof(*envp));
	if (!envp) {
		s2e_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(environ[i], "=");
		int replaced = 0;
		for (size_t j = 0; j < cmd->env.n && !replaced; j++)
			replaced = !strncmp(cmd->env.v[j], environ[i], len) &&
				   cmd->env.v[j][len] == '=';
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < cmd->env.n; j++)
		envp[k++] = (char *)cmd->env.v[j];
	return envp;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(const char *path, char *const argv[], char *const envp[], const int src[4],
		       pid_t parent, int report)
{
	sigset_t none;
	int tmp[4], flags, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* it died before the line above */
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* A descriptor meant to be inherited (the S2EDIR lock) that sits where
	 * the status channel goes is moved out of the way, not lost. */
	flags = fcntl(S2E_CMD_STATUS_FD, F_GETFD);
	if (src[3] >= 0 && flags >= 0 && !(flags & FD_CLOEXEC))
		fcntl(S2E_CMD_STATUS_FD, F_DUPFD, 10);
	for (int i = 0; i < 4; i++)
		if (src[i] >= 0 && (tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10)) < 0)
			goto fail;
	for (int i = 0; i < 4; i++)
		if (src[i] >= 0 && dup2(tmp[i], i) < 0)
			goto fail;
	execve(path, argv, envp);
fail:
	err = errno;
	if (write(report, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* Our end (pipe) or the child's descriptor for in/out/err/status.  src[i] is
 * what the child gets as descriptor i (-1: inherit). */
static int make_fds(struct s2e_cmd *cmd, int src[4], int pipes[4][2])
{
	const int want[4] = {cmd->in, cmd->out, cmd->err, cmd->status};

	for (int i = 0; i < 4; i++) {
		pipes[i][0] = pipes[i][1] = -1;
		src[i] = want[i] > 0 ? want[i] : -1;
		if (want[i] != -1)
			continue;
		if (pipe2(pipes[i], O_CLOEXEC))
			return s2e_error_errno("cannot run %s: cannot make a pipe", cmd->name);
		src[i] = pipes[i][i == 0 ? 0 : 1];
	}
	return 0;
}

static void close_pipes(int pipes[4][2])
{
	for (int i = 0; i < 4; i++) {
		close_fd(&pipes[i][0]);
		close_fd(&pipes[i][1]);
	}
}

/* Fork and exec; 0 once the exec has succeeded. */
static int spawn(struct s2e_cmd *cmd, const char *path, char **envp, int src[4])
{
	const char **argv = calloc(cmd->args.n + 1, sizeof(*argv));
	int report[2], err = 0;
	ssize_t n;

	if (!argv)
		return s2e_error("out of memory");
	/* The child sees the full path as argv[0], and so does the trace: the
	 * line replays as is. */
	argv[0] = path;
	for (size_t i = 1; i < cmd->args.n; i++)
		argv[i] = cmd->args.v[i];
	s2e_trace_argv(cmd->env.v, argv);
	if (pipe2(report, O_CLOEXEC)) {
		free(argv);
		return s2e_error_errno("cannot run %s", cmd->name);
	}
	fflush(NULL);
	pid_t parent = getpid();
	cmd->pid = fork();
	if (cmd->pid == 0)
		child_exec(path, (char *const *)argv, envp, src, parent, report[1]);
	free(argv);
	close(report[1]);
	if (cmd->pid < 0) {
		close(report[0]);
		return s2e_error_errno("cannot run %s", cmd->name);
	}
	do
		n = read(report[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n <= 0)
		return 0;
	while (waitpid(cmd->pid, NULL, 0) < 0 && errno == EINTR)
		;
	cmd->pid = -1;
	errno = err;
	return s2e_error_errno("cannot run %s", path);
}

int s2e_cmd_start(struct s2e_cmd *cmd)
{
	int src[4], pipes[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
	char *path = NULL, **envp = NULL;
	int rc = -1;

	cmd->pid = -1;
	if (!cmd->args.n)
		return s2e_error("no command to run");
	cmd->name = s2e_strdup(cmd->args.v[0]);
	if (!cmd->name)
		goto out;
	path = strchr(cmd->args.v[0], '/') ? s2e_strdup(cmd->args.v[0])
					   : s2e_exec_find(cmd->args.v[0]);
	if (!path || (cmd->env.n && !(envp = make_env(cmd))) || make_fds(cmd, src, pipes))
		goto out;
	if (spawn(cmd, path, envp ? envp : environ, src))
		goto out;
	if (cmd->in == -1) {
		cmd->in = pipes[0][1];
		cmd->in_ours = 1;
		pipes[0][1] = -1;
	}
	for (int i = 0; i < 3; i++) {
		cmd->fd[i] = pipes[i + 1][0];
		pipes[i + 1][0] = -1;
	}
	cmd->pfd = (int)syscall(SYS_pidfd_open, cmd->pid, 0);
	rc = 0;
out:
	close_pipes(pipes);
	free(path);
	free(envp);
	if (rc) {
		struct s2e_error_state saved;
		s2e_error_save(&saved);
		s2e_cmd_clear(cmd);
		rc = s2e_error_restore(&saved);
	}
	return rc;
}

/* The reader failed (a callback, an overlong line, read(2)): remember why,
 * stop the child, and stop reading. */
static void reader_fail(struct s2e_cmd *cmd, int rc)
{
	if (!cmd->read_rc) {
		cmd->read_rc = rc < 0 ? rc : S2E_ERROR;
		cmd->read_msg = s2e_strdup(s2e_error_last());
	}
	if (!cmd->stopped && cmd->pid > 0)
		kill(cmd->pid, SIGTERM);
	cmd->stopped = 1;
	for (int i = 0; i < 3; i++)
		close_fd(&cmd->fd[i]);
}

/* Status bytes: pass each complete line to on_status. */
static int status_bytes(struct s2e_cmd *cmd, const char *data, size_t len, int eof)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (cmd->line.len >= S2E_CMD_LINE_MAX)
				return s2e_error("%s wrote a status line longer than %d bytes",
						 cmd->name, S2E_CMD_LINE_MAX);
			if (s2e_buf_add(&cmd->line, data + i, 1))
				return -1;
			continue;
		}
		int rc = cmd->on_status(cmd, cmd->line.buf ? cmd->line.buf : "", cmd->line.len);
		cmd->line.len = 0;
		if (rc)
			return rc;
	}
	if (eof && cmd->line.len) {
		int rc = cmd->on_status(cmd, cmd->line.buf, cmd->line.len);
		cmd->line.len = 0;
		return rc;
	}
	return 0;
}

/* Handle what one read of stream i (0 out, 1 err, 2 status) returned. */
static int got_bytes(struct s2e_cmd *cmd, int i, const char *data, size_t len)
{
	if (i == 1) {
		size_t room = S2E_CMD_ERR_MAX - cmd->errtext.len;
		return len ? s2e_buf_add(&cmd->errtext, data, len < room ? len : room) : 0;
	}
	if (i == 2)
		return cmd->on_status ? status_bytes(cmd, data, len, len == 0) : 0;
	if (cmd->out_buf && len && s2e_buf_add(cmd->out_buf, data, len))
		return -1;
	return cmd->on_out && len ? cmd->on_out(cmd, data, len) : 0;
}

static void read_stream(struct s2e_cmd *cmd, int i)
{
	char buf[65536];
	ssize_t n = read(cmd->fd[i], buf, sizeof(buf));
	int rc;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		reader_fail(cmd, s2e_error_errno("cannot read from %s", cmd->name));
		return;
	}
	if (n == 0)
		close_fd(&cmd->fd[i]);
	rc = got_bytes(cmd, i, buf, (size_t)n);
	if (rc)
		reader_fail(cmd, rc);
}

static int cmd_done(const struct s2e_cmd *cmd)
{
	return cmd->fd[0] < 0 && cmd->fd[1] < 0 && cmd->fd[2] < 0 && cmd->pfd < 0;
}

/* One poll(2) over the pipes and pidfds of every command not done yet, and
 * the reads it allows.  Blocks until something happens. */
static int pump(struct s2e_cmd **cmds, size_t n)
{
	struct pollfd *fds = calloc(4 * n + 1, sizeof(*fds));
	size_t k = 0;

	if (!fds)
		return s2e_error("out of memory");
	for (size_t c = 0; c < n; c++) {
		for (int i = 0; i < 3; i++)
			if (cmds[c]->fd[i] >= 0)
				fds[k++] = (struct pollfd){cmds[c]->fd[i], POLLIN, 0};
		if (cmds[c]->pfd >= 0)
			fds[k++] = (struct pollfd){cmds[c]->pfd, POLLIN, 0};
	}
	if (k && poll(fds, k, -1) < 0 && errno != EINTR) {
		free(fds);
		return s2e_error_errno("cannot wait for the plumbing");
	}
	for (size_t j = 0; j < k; j++) {
		if (!fds[j].revents)
			continue;
		for (size_t c = 0; c < n; c++) {
			struct s2e_cmd *cmd = cmds[c];
			for (int i = 0; i < 3; i++)
				if (cmd->fd[i] == fds[j].fd)
					read_stream(cmd, i);
			if (cmd->pfd == fds[j].fd) { /* it exited; read its pipes to the end */
				cmd->exited = 1;
				close_fd(&cmd->pfd);
			}
		}
	}
	free(fds);
	return 0;
}

/* The result of a finished command, as the error message. */
static int result(struct s2e_cmd *cmd)
{
	int status = cmd->exit_status;
	const char *msg = cmd->errtext.buf ? cmd->errtext.buf : "";
	size_t plen = strlen(cmd->name), len;

	if (cmd->read_rc)
		return s2e_error_set(cmd->read_rc, "%s", cmd->read_msg ? cmd->read_msg : "");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!strncmp(msg, cmd->name, plen) && !strncmp(msg + plen, ": ", 2))
		msg += plen + 2;
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		len--;
	if (len)
		return s2e_error("%.*s", (int)len, msg);
	if (WIFSIGNALED(status))
		return s2e_error("%s was killed by signal %d (%s)", cmd->name, WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
	return s2e_error("%s failed with exit status %d", cmd->name, WEXITSTATUS(status));
}

/* Wait for a command whose pipes are all closed, then clear it. */
static int reap(struct s2e_cmd *cmd)
{
	int rc;

	close_fd(&cmd->pfd);
	if (cmd->in_ours && cmd->in > 0) /* a stdin pipe the caller left open */
		close(cmd->in);
	cmd->in = 0;
	cmd->in_ours = 0;
	while (waitpid(cmd->pid, &cmd->exit_status, 0) < 0) {
		if (errno != EINTR) {
			rc = s2e_error_errno("cannot wait for %s", cmd->name);
			s2e_cmd_clear(cmd);
			return rc;
		}
	}
	rc = result(cmd);
	s2e_cmd_clear(cmd);
	return rc;
}

int s2e_cmd_finish(struct s2e_cmd *cmd)
{
	struct s2e_cmd *one[1] = {cmd};

	while (!cmd_done(cmd))
		if (pump(one, 1)) {
			reader_fail(cmd, S2E_ERROR);
			close_fd(&cmd->pfd);
		}
	return reap(cmd);
}

int s2e_cmd_run(struct s2e_cmd *cmd)
{
	if (s2e_cmd_start(cmd))
		return -1;
	return s2e_cmd_finish(cmd);
}

void s2e_cmd_kill(struct s2e_cmd *cmd)
{
	struct s2e_error_state saved;

	if (cmd->pid <= 0) {
		s2e_cmd_clear(cmd);
		return;
	}
	s2e_error_save(&saved);
	kill(cmd->pid, SIGTERM);
	for (int i = 0; i < 3; i++)
		close_fd(&cmd->fd[i]);
	reap(cmd);
	s2e_error_restore(&saved);
}

/* The parallel runner: slots of running commands, started in index order. */
struct slot {
	struct s2e_cmd cmd;
	size_t task;
	int busy;
};

struct runner {
	struct s2e_parallel *p;
	struct slot *slots;
	struct s2e_cmd **live;
	size_t next, running;
	int failed;
	struct s2e_error_state first;
};

static void runner_fail(struct runner *r)
{
	if (r->failed)
		return;
	r->failed = 1;
	s2e_error_save(&r->first);
	for (size_t s = 0; s < r->p->jobs; s++)
		if (r->slots[s].busy && !r->slots[s].cmd.stopped) {
			kill(r->slots[s].cmd.pid, SIGTERM);
			r->slots[s].cmd.stopped = 1;
		}
}

static void runner_start(struct runner *r)
{
	for (size_t s = 0; s < r->p->jobs && !r->failed && r->next < r->p->n; s++) {
		struct slot *slot = &r->slots[s];
		if (slot->busy)
			continue;
		slot->cmd = (struct s2e_cmd)S2E_CMD_INIT;
		slot->task = r->next++;
		if (r->p->get_cmd(r->p, slot->task, &slot->cmd) || s2e_cmd_start(&slot->cmd)) {
			s2e_cmd_clear(&slot->cmd);
			runner_fail(r);
			return;
		}
		slot->busy = 1;
		r->running++;
	}
}

static void runner_reap(struct runner *r)
{
	for (size_t s = 0; s < r->p->jobs; s++) {
		struct slot *slot = &r->slots[s];
		int stopped, rc;
		if (!slot->busy || !cmd_done(&slot->cmd))
			continue;
		stopped = slot->cmd.stopped && !slot->cmd.read_rc;
		rc = reap(&slot->cmd);
		slot->busy = 0;
		r->running--;
		if (stopped && r->failed)
			continue; /* we stopped it: its end is not news */
		if (r->p->done)
			rc = r->p->done(r->p, slot->task, rc);
		if (rc)
			runner_fail(r);
	}
}

int s2e_run_parallel(struct s2e_parallel *p)
{
	struct runner r = {.p = p};
	int rc = 0;

	if (!p->jobs)
		p->jobs = 1;
	r.slots = calloc(p->jobs, sizeof(*r.slots));
	r.live = calloc(p->jobs, sizeof(*r.live));
	if (!r.slots || !r.live) {
		free(r.slots);
		free(r.live);
		return s2e_error("out of memory");
	}
	for (;;) {
		size_t k = 0;
		runner_start(&r);
		if (!r.running)
			break;
		for (size_t s = 0; s < p->jobs; s++)
			if (r.slots[s].busy)
				r.live[k++] = &r.slots[s].cmd;
		if (pump(r.live, k))
			runner_fail(&r);
		if (r.failed) /* a failed poll(2) must not spin: stop reading */
			for (size_t s = 0; s < k; s++)
				if (r.live[s]->stopped)
					for (int i = 0; i < 3; i++)
						close_fd(&r.live[s]->fd[i]);
		runner_reap(&r);
		if (p->tick)
			p->tick(p);
	}
	if (r.failed)
		rc = s2e_error_restore(&r.first);
	free(r.slots);
	free(r.live);
	return rc;
}

/* Transitional wrappers over s2e_cmd. */
int s2e_spawn(const char *const argv[], int in_fd, int out_fd, int flags, struct s2e_child *child)
{
	child->cmd = (struct s2e_cmd)S2E_CMD_INIT;
	child->pid = -1;
	child->err_fd = -1;
	for (size_t i = 0; argv[i]; i++)
		if (s2e_strv_add(&child->cmd.args, argv[i])) {
			s2e_cmd_clear(&child->cmd);
			return -1;
		}
	child->cmd.in = in_fd > 0 ? in_fd : 0;
	child->cmd.out = out_fd > 0 ? out_fd : 0;
	child->cmd.err = (flags & S2E_RUN_CAPTURE_STDERR) ? -1 : 0;
	if (s2e_cmd_start(&child->cmd))
		return -1;
	child->pid = child->cmd.pid;
	return 0;
}

int s2e_wait(struct s2e_child *child)
{
	child->pid = -1;
	return s2e_cmd_finish(&child->cmd);
}

int s2e_run(const char *const argv[], int flags)
{
	struct s2e_child child;

	if (s2e_spawn(argv, -1, -1, flags, &child))
		return -1;
	return s2e_wait(&child);
}
