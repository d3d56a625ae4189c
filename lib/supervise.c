/* Supervision of a foreground child: see include/s2e/supervise.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/quote.h"
#include "s2e/supervise.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* The process being supervised, for the forwarding handler. */
static volatile sig_atomic_t supervised_pid;

static void forward(int sig, siginfo_t *info, void *ctx)
{
	int saved = errno;

	(void)ctx;
	/* A signal from the terminal went to the whole foreground process
	 * group, the child included; only pass on those sent to us alone. */
	if (supervised_pid > 0 && info->si_code != SI_KERNEL)
		kill((pid_t)supervised_pid, sig);
	errno = saved;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The signal state around the child: taken before the fork, restored after
 * the child ended. */
struct sigstate {
	sigset_t oldmask; /* as we had it */
	sigset_t running; /* ours while the child runs: forwarded ones open, SIGCHLD blocked */
	sigset_t child;	  /* the child's: as we had it, the forwarded signals open */
	struct sigaction old[NFORWARDED];
};

static void signals_take(struct sigstate *s)
{
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &s->oldmask);
	s->child = s->oldmask;
	for (size_t i = 0; i < NFORWARDED; i++)
		sigdelset(&s->child, forwarded[i]);
	s->running = s->child;
	sigaddset(&s->running, SIGCHLD);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	supervised_pid = 0;
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &s->old[i]);
}

static void signals_restore(struct sigstate *s)
{
	supervised_pid = 0;
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &s->old[i], NULL);
	sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
}

static void __attribute__((noreturn)) child(struct sigstate *s, pid_t parent, int errfd,
					    char *const argv[])
{
	int err;

	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &s->old[i], NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	sigprocmask(SIG_SETMASK, &s->child, NULL);
	execvp(argv[0], argv);
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* Wait for pid, interrupting it at the deadline and killing it after the grace. */
static int wait_child(pid_t pid, double start, double timeout, double kill_after, int *status,
		      struct s2e_exit *how)
{
	double deadline = timeout > 0 ? start + timeout : INFINITY, left;
	int phase = 0; /* 0 running, 1 SIGINT sent, 2 SIGKILL sent */
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		siginfo_t info;
		int r;

		/* Look without reaping: no signal may be passed on to a reaped pid. */
		memset(&info, 0, sizeof(info));
		r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
		if (r == 0 && info.si_pid == pid) {
			supervised_pid = 0;
			while (waitpid(pid, status, 0) < 0)
				if (errno != EINTR)
					return s2e_error_errno("cannot wait for process %ld",
							       (long)pid);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return s2e_error_errno("cannot wait for process %ld", (long)pid);
		left = deadline - now();
		if (left <= 0) {
			if (phase++ == 0) {
				how->timed_out = 1;
				kill(pid, SIGINT);
				deadline = now() + (kill_after > 0 ? kill_after : 10);
			} else {
				kill(pid, SIGKILL);
				deadline = INFINITY;
			}
			continue;
		}
		if (isinf(left)) {
			sigwaitinfo(&chld, NULL);
		} else {
			struct timespec ts = {.tv_sec = (time_t)left,
					      .tv_nsec = (long)((left - floor(left)) * 1e9)};
			sigtimedwait(&chld, NULL, &ts);
		}
	}
}

int s2e_supervise(char *const argv[], double timeout, double kill_after, struct s2e_exit *how)
{
	struct sigstate s;
	int errpipe[2], status = 0, child_errno = 0, rc = -1;
	pid_t pid, self = getpid();
	double start;
	ssize_t n;

	memset(how, 0, sizeof(*how));
	how->exit_status = -1;
	if (pipe2(errpipe, O_CLOEXEC))
		return s2e_error_errno("cannot run %s", s2e_q(argv[0]));
	signals_take(&s);
	fflush(NULL);
	start = now();
	pid = fork();
	if (pid == 0)
		child(&s, self, errpipe[1], argv);
	close(errpipe[1]);
	if (pid < 0) {
		s2e_error_errno("cannot run %s", s2e_q(argv[0]));
		close(errpipe[0]);
		signals_restore(&s);
		return -1;
	}
	supervised_pid = pid;
	sigprocmask(SIG_SETMASK, &s.running, NULL); /* a pending signal is passed on here */
	do
		n = read(errpipe[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (wait_child(pid, start, timeout, kill_after, &status, how))
		goto out;
	how->duration = now() - start;
	if (n > 0 && child_errno) {
		errno = child_errno;
		s2e_error_errno("cannot run %s", s2e_q(argv[0]));
		goto out;
	}
	if (WIFEXITED(status))
		how->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		how->signal = WTERMSIG(status);
	rc = 0;
out:
	signals_restore(&s);
	return rc;
}

int s2e_exit_code(const struct s2e_exit *how)
{
	if (how->timed_out)
		return 124;
	if (how->signal)
		return 128 + how->signal;
	return how->exit_status;
}

const char *s2e_signame(int sig)
{
	const char *name = sigabbrev_np(sig);
	return name ? name : "?";
}
