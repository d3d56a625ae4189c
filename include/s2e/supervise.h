/* Supervising a foreground program (QEMU) to its end, as `s2e vm run` does:
 * the signals a user or a batch system sends to s2e are passed on, a timeout
 * interrupts it (SIGINT) and later kills it (SIGKILL), and how it ended is
 * reported.
 *
 * Forwarding is in place before the child exists: the forwarded signals are
 * blocked, the handlers installed, the child forked, and only then (with its
 * pid known) the signals unblocked, so a signal that arrives at any moment
 * of the start reaches the child.  The child gets the dispositions and mask
 * s2e had before (the forwarded signals unblocked), and SIGTERM if s2e itself
 * dies. */
#ifndef S2E_SUPERVISE_H
#define S2E_SUPERVISE_H

/* How a supervised process ended. */
struct s2e_exit {
	int exit_status; /* -1 when killed by a signal */
	int signal;	 /* the signal that ended it, 0 none */
	int timed_out;
	double duration; /* seconds */
};

/* Run argv (argv[0] searched in PATH) in the foreground and wait for it.
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to us are passed
 * on to it (those from the terminal reach it directly); they are unblocked
 * while it runs, so one already pending is passed on at once.  With
 * timeout > 0 it gets SIGINT after `timeout` seconds and SIGKILL
 * `kill_after` seconds later (<= 0: 10 s).  Returns 0 once it has ended, -1
 * (error set) when it could not be started. */
int s2e_supervise(char *const argv[], double timeout, double kill_after, struct s2e_exit *how);

/* The shell-like status for an ending: the exit status, 128+signal, or 124
 * when the timeout ended it (as timeout(1) does). */
int s2e_exit_code(const struct s2e_exit *how);

/* "INT" for SIGINT ("?" for an unknown number). */
const char *s2e_signame(int sig);

#endif
