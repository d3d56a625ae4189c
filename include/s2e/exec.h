/* Running plumbing from porcelain (SPEC §4), on the model of git's
 * run-command.h.
 *
 * Binaries are found in the exec path: $S2E_EXEC_PATH, else the directory of
 * the running executable; a command word holding a '/' is run as is.  With
 * S2E_TRACE=1 each command line is printed on stderr, shell-quoted after
 * "+ " (the full path of the binary, environment additions first), so that it
 * can be replayed by hand.
 *
 * Every child dies with the process that started it: PR_SET_PDEATHSIG(SIGKILL)
 * is set in the child (checked against a parent that died before that), so a
 * `kill -9` of the porcelain leaves no plumbing running.  Start children from
 * the main thread (the death signal follows the thread that forked).
 *
 * One command:
 *
 *   struct s2e_cmd cmd = S2E_CMD_INIT;
 *   s2e_strv_add(&cmd.args, "s2e-mkimage");      // the strings are borrowed
 *   s2e_strv_add(&cmd.args, path);
 *   cmd.err = -1;               // capture stderr: it becomes the error message
 *   if (s2e_cmd_run(&cmd))      // start + finish; s2e_cmd_clear() is implied
 *           return -1;          // "s2e-mkimage: ..." is in s2e_error_last()
 *
 * Descriptors (in, out, err, status), before s2e_cmd_start():
 *    0  inherit ours (status: none)
 *   -1  make a pipe; the reader (s2e_cmd_finish / the parallel runner) reads
 *       out, err and status together with one poll(2), so a child that fills
 *       one pipe while we wait on another cannot deadlock.  For `in`, the
 *       parent's write end is left in cmd.in after start: write, then close it
 *       and set cmd.in = 0 before finish (finish closes it if still open).
 *   >0  this descriptor (we do not close it).
 * `status` is an extra channel: the child gets it as descriptor
 * S2E_CMD_STATUS_FD (3); put e.g. "--status-fd=3" or "--progress=3" in args.
 *
 * What the reader does with the pipes: stdout is appended to *out_buf when
 * set; each chunk of stdout (or each line of status, without its newline) is
 * passed to on_out (on_status) when set; stderr is kept (the first
 * S2E_CMD_ERR_MAX bytes) and, if the command fails, is its error message with
 * the "s2e-name: " prefix the plumbing puts in front removed.  A callback
 * that returns non-zero stops the command (SIGTERM); its error is the result.
 *
 * Status lines longer than S2E_CMD_LINE_MAX are an error: the line protocol
 * cannot be desynchronised by splitting a line.
 */
#ifndef S2E_EXEC_H
#define S2E_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "s2e/strv.h"

/* malloc'd exec path. */
char *s2e_exec_path(void);
/* malloc'd full path of plumbing binary `name` (e.g. "s2e-mkimage"). */
char *s2e_exec_find(const char *name);
/* Print "+ [VAR=VALUE...] cmd args" on stderr when S2E_TRACE is set. */
void s2e_trace_argv(const char *const env[], const char *const argv[]);

#define S2E_CMD_STATUS_FD 3
#define S2E_CMD_ERR_MAX 8192
#define S2E_CMD_LINE_MAX 65536

/* A growable byte buffer, NUL-terminated (buf[len] == 0 once non-empty). */
struct s2e_buf {
	char *buf;
	size_t len, alloc;
};
#define S2E_BUF_INIT {NULL, 0, 0}
int s2e_buf_add(struct s2e_buf *b, const void *data, size_t len);
void s2e_buf_free(struct s2e_buf *b);

struct s2e_cmd;
typedef int (*s2e_cmd_read_fn)(struct s2e_cmd *cmd, const char *data, size_t len);

struct s2e_cmd {
	struct s2e_strv args; /* args.v[0]: a plumbing name or a path */
	struct s2e_strv env;  /* "NAME=VALUE" added to the child's environment */
	int in, out, err, status;
	struct s2e_buf *out_buf;
	s2e_cmd_read_fn on_out, on_status;
	void *data; /* for the callbacks */

	/* Set by start; read-only for callers. */
	pid_t pid;
	int exit_status; /* waitpid(2) status once finished */
	/* Private. */
	int pfd, fd[3]; /* pidfd; our ends of out, err, status (-1 when closed) */
	int exited, stopped, in_ours;
	char *name, *read_msg;
	struct s2e_buf errtext, line;
	int read_rc;
};

#define S2E_CMD_INIT {.pid = -1, .pfd = -1, .fd = {-1, -1, -1}}

/* Start the command.  On failure (binary not found, fork or exec failed) the
 * error says why, nothing is left running, and s2e_cmd_clear() is implied. */
int s2e_cmd_start(struct s2e_cmd *cmd);
/* Read its pipes to the end, wait for it, clear it.  0 when it exited 0;
 * otherwise a negative code with the message (its stderr, how it died, or
 * the reader's error). */
int s2e_cmd_finish(struct s2e_cmd *cmd);
/* start + finish. */
int s2e_cmd_run(struct s2e_cmd *cmd);
/* Stop a started command (SIGTERM), reap it and clear it; keeps the current
 * error message. */
void s2e_cmd_kill(struct s2e_cmd *cmd);
/* Free what the struct holds (args and env vectors, buffers it owns). */
void s2e_cmd_clear(struct s2e_cmd *cmd);

/* Run n commands, at most `jobs` at a time, in index order.  get_cmd fills
 * task i's command (args, descriptors, callbacks; it is S2E_CMD_INIT on
 * entry), or returns non-zero to fail.  done is told how task i ended (rc 0,
 * or its error code with the message set) and returns non-zero to stop all.
 * The first failure (a spawn that fails, a task that fails and done does not
 * forgive, a callback) stops the other children with SIGTERM and reaps them;
 * its error is the result.  tick, if set, runs after each batch of events
 * (for a progress display).  One poll(2) waits on every pipe and every
 * child's pidfd: there is no busy polling. */
struct s2e_parallel {
	size_t n, jobs;
	int (*get_cmd)(struct s2e_parallel *p, size_t i, struct s2e_cmd *cmd);
	int (*done)(struct s2e_parallel *p, size_t i, int rc);
	void (*tick)(struct s2e_parallel *p);
	void *data;
};
int s2e_run_parallel(struct s2e_parallel *p);

/* Transitional, for the commands not yet converted: run argv and wait.  The
 * flag captures stderr as the error message. */
enum {
	S2E_RUN_CAPTURE_STDERR = 1 << 0,
};
struct s2e_child {
	struct s2e_cmd cmd;
	pid_t pid;
	int err_fd; /* always -1: stderr is read by s2e_wait */
};
int s2e_run(const char *const argv[], int flags);
int s2e_spawn(const char *const argv[], int in_fd, int out_fd, int flags, struct s2e_child *child);
int s2e_wait(struct s2e_child *child);

#endif
