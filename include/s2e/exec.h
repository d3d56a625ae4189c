/* Running plumbing from porcelain (SPEC §4).  Binaries are found in the exec
 * path: $S2E_EXEC_PATH, else the directory of the running executable.  With
 * S2E_TRACE=1 each command line is printed on stderr, shell-quoted after "+ ",
 * so that it can be replayed by hand. */
#ifndef S2E_EXEC_H
#define S2E_EXEC_H

#include <sys/types.h>

/* malloc'd exec path. */
char *s2e_exec_path(void);
/* malloc'd full path of plumbing binary `name` (e.g. "s2e-mkimage"). */
char *s2e_exec_find(const char *name);

enum {
	/* Collect the child's stderr and make it the error message on failure
	 * (otherwise the child writes to our stderr directly). */
	S2E_RUN_CAPTURE_STDERR = 1 << 0,
};

struct s2e_child {
	pid_t pid;
	int err_fd; /* read end of captured stderr, or -1 */
	char *name;
};

/* Run argv (argv[0] is a plumbing name) and wait.  0 when it exited 0; -1
 * with the message (its stderr, or how it died) otherwise. */
int s2e_run(const char *const argv[], int flags);
/* Start argv with stdin/stdout redirected to in_fd/out_fd (-1: inherit). */
int s2e_spawn(const char *const argv[], int in_fd, int out_fd, int flags, struct s2e_child *child);
int s2e_wait(struct s2e_child *child);
/* Print "+ cmd args" on stderr when S2E_TRACE is set. */
void s2e_trace_argv(const char *const argv[]);

#endif
