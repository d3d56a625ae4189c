#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

char *s2e_experiment_path(const char *name)
{
	return s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s", name);
}

int s2e_strv_push(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 2) * sizeof(**v));

	if (!grown)
		return s2e_error("out of memory");
	*v = grown;
	grown[*n] = strdup(s);
	if (!grown[*n])
		return s2e_error("out of memory");
	(*n)++;
	grown[*n] = NULL;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	if (v)
		for (size_t i = 0; i < n; i++)
			free(v[i]);
	free(v);
}

char *s2e_cmdline_join(char *const *argv, size_t argc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < argc; i++) {
		if (i)
			fputc(' ', f);
		s2e_shell_quote(f, argv[i]);
	}
	if (fclose(f)) {
		free(buf);
		s2e_error("out of memory");
		return NULL;
	}
	return buf;
}

/* A git-config value, always in double quotes so that leading spaces, '#' and
 * ';' survive; backslash, quote, newline and tab escaped as git reads them. */
static void put(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "\t%s = \"", key);
	for (const char *p = value; *p; p++) {
		switch (*p) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			fputc(*p, f);
		}
	}
	fputs("\"\n", f);
}

static void put_int(FILE *f, const char *key, long v)
{
	fprintf(f, "\t%s = %ld\n", key, v);
}

static void put_bool(FILE *f, const char *key, int v)
{
	fprintf(f, "\t%s = %s\n", key, v ? "true" : "false");
}

static void put_seconds(FILE *f, const char *key, double v)
{
	fprintf(f, "\t%s = %.3f\n", key, v);
}

char *s2e_experiment_format(const struct s2e_experiment *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	fputs("[experiment]\n", f);
	put(f, "name", e->name);
	put(f, "vm", e->vm);
	put(f, "snapshot", e->snapshot);
	put(f, "mode", e->mode);
	put(f, "build", e->build);
	put(f, "image", e->image);
	put(f, "state", e->state);
	put(f, "started", e->started);
	put(f, "ended", e->ended);
	if (e->duration >= 0)
		put_seconds(f, "duration", e->duration);
	if (e->exit_status >= 0)
		put_int(f, "exitStatus", e->exit_status);
	if (e->signal > 0) {
		put_int(f, "signal", e->signal);
		put(f, "signalName", sigabbrev_np(e->signal) ? sigabbrev_np(e->signal) : "?");
	}
	if (e->timeout > 0)
		put_seconds(f, "timeout", e->timeout);
	if (e->timeout > 0 || e->timed_out)
		put_bool(f, "timedOut", e->timed_out);
	put_bool(f, "forced", e->forced);
	put(f, "outputDir", e->output_dir);
	put(f, "configFile", e->config_file);
	put(f, "error", e->error);
	fputs("[qemu]\n", f);
	put(f, "binary", e->binary);
	put(f, "commandLine", e->cmdline);
	for (size_t i = 0; i < e->argc; i++)
		put(f, "arg", e->argv[i]);
	if (e->disk_before || e->disk_after) {
		fputs("[disk]\n", f);
		put(f, "before", e->disk_before);
		put(f, "after", e->disk_after);
		if (e->disk_changed >= 0)
			put_bool(f, "changed", e->disk_changed);
	}
	if (e->snapshot_digest || e->snapshot_disk) {
		fputs("[snapshot]\n", f);
		put(f, "digest", e->snapshot_digest);
		put(f, "recordedDisk", e->snapshot_disk);
	}
	if (e->nadded || e->nremoved || e->nretaken) {
		fputs("[snapshots]\n", f);
		for (size_t i = 0; i < e->nadded; i++)
			put(f, "added", e->snaps_added[i]);
		for (size_t i = 0; i < e->nremoved; i++)
			put(f, "removed", e->snaps_removed[i]);
		for (size_t i = 0; i < e->nretaken; i++)
			put(f, "retaken", e->snaps_retaken[i]);
	}
	if (fclose(f)) {
		free(buf);
		s2e_error("out of memory");
		return NULL;
	}
	return buf;
}

int s2e_experiment_write(const char *path, const struct s2e_experiment *e)
{
	char *text = s2e_experiment_format(e);
	int rc;

	if (!text)
		return -1;
	rc = s2e_write_file_atomic(path, text, strlen(text), 0644);
	free(text);
	return rc;
}

/* Decode a git-config value (quotes, escapes, trailing comments). */
static char *decode(const char *p)
{
	size_t len = strlen(p);
	char *out = malloc(len + 1), *o = out;
	int quoted = 0;

	if (!out)
		return NULL;
	for (; *p; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (*p == '\\' && p[1]) {
			p++;
			*o++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'b' ? '\b' : *p;
		} else if (!quoted && (*p == '#' || *p == ';')) {
			break;
		} else {
			*o++ = *p;
		}
	}
	while (o > out && !quoted && (o[-1] == ' ' || o[-1] == '\t'))
		o--;
	*o = '\0';
	return out;
}

static int set(char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return s2e_error("out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int is_true(const char *v)
{
	return !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
	       !strcmp(v, "1");
}

/* Where each key of a record goes. */
enum kind { STR, STRV, INT, SECONDS, BOOL };
#define F(field) offsetof(struct s2e_experiment, field)
static const struct {
	const char *section, *key;
	enum kind kind;
	size_t off, count; /* count: the size_t of a STRV */
} fields[] = {
    {"experiment", "name", STR, F(name), 0},
    {"experiment", "vm", STR, F(vm), 0},
    {"experiment", "snapshot", STR, F(snapshot), 0},
    {"experiment", "mode", STR, F(mode), 0},
    {"experiment", "build", STR, F(build), 0},
    {"experiment", "image", STR, F(image), 0},
    {"experiment", "state", STR, F(state), 0},
    {"experiment", "started", STR, F(started), 0},
    {"experiment", "ended", STR, F(ended), 0},
    {"experiment", "duration", SECONDS, F(duration), 0},
    {"experiment", "exitStatus", INT, F(exit_status), 0},
    {"experiment", "signal", INT, F(signal), 0},
    {"experiment", "timeout", SECONDS, F(timeout), 0},
    {"experiment", "timedOut", BOOL, F(timed_out), 0},
    {"experiment", "forced", BOOL, F(forced), 0},
    {"experiment", "outputDir", STR, F(output_dir), 0},
    {"experiment", "configFile", STR, F(config_file), 0},
    {"experiment", "error", STR, F(error), 0},
    {"qemu", "binary", STR, F(binary), 0},
    {"qemu", "commandLine", STR, F(cmdline), 0},
    {"qemu", "arg", STRV, F(argv), F(argc)},
    {"disk", "before", STR, F(disk_before), 0},
    {"disk", "after", STR, F(disk_after), 0},
    {"disk", "changed", BOOL, F(disk_changed), 0},
    {"snapshot", "digest", STR, F(snapshot_digest), 0},
    {"snapshot", "recordedDisk", STR, F(snapshot_disk), 0},
    {"snapshots", "added", STRV, F(snaps_added), F(nadded)},
    {"snapshots", "removed", STRV, F(snaps_removed), F(nremoved)},
    {"snapshots", "retaken", STRV, F(snaps_retaken), F(nretaken)},
};
#undef F

static int assign(struct s2e_experiment *e, const char *section, const char *key, const char *v)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *at = (char *)e + fields[i].off;
		if (strcasecmp(section, fields[i].section) || strcasecmp(key, fields[i].key))
			continue;
		switch (fields[i].kind) {
		case STR:
			return set((char **)at, v);
		case STRV:
			return s2e_strv_push((char ***)at, (size_t *)((char *)e + fields[i].count),
					     v);
		case INT:
			*(int *)at = atoi(v);
			return 0;
		case SECONDS:
			*(double *)at = strtod(v, NULL);
			return 0;
		case BOOL:
			*(int *)at = is_true(v);
			return 0;
		}
	}
	return 0; /* a key of a newer version: ignored */
}

int s2e_experiment_parse(const char *text, struct s2e_experiment *e)
{
	char section[64] = "";
	const char *line = text;

	memset(e, 0, sizeof(*e));
	e->duration = -1;
	e->exit_status = -1;
	e->disk_changed = -1;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *l = strndup(line, len), *p, *eq, *value;
		int rc = 0;

		if (!l)
			goto oom;
		for (p = l; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '[') {
			char *close = strchr(p, ']');
			if (close && (size_t)(close - p - 1) < sizeof(section)) {
				memcpy(section, p + 1, (size_t)(close - p - 1));
				section[close - p - 1] = '\0';
			}
		} else if (*p && *p != '#' && *p != ';' && (eq = strchr(p, '='))) {
			char *k = eq;
			while (k > p && (k[-1] == ' ' || k[-1] == '\t'))
				k--;
			*k = '\0';
			for (eq++; *eq == ' ' || *eq == '\t'; eq++)
				;
			value = decode(eq);
			rc = value ? assign(e, section, p, value) : s2e_error("out of memory");
			free(value);
		}
		free(l);
		if (rc) {
			s2e_experiment_free(e);
			return -1;
		}
		line += len;
		if (*line)
			line++;
	}
	return 0;
oom:
	s2e_experiment_free(e);
	return s2e_error("out of memory");
}

int s2e_experiment_read(const char *path, struct s2e_experiment *e)
{
	char *text;
	int rc;

	if (s2e_read_file(path, &text, NULL))
		return -1;
	rc = s2e_experiment_parse(text, e);
	free(text);
	return rc;
}

void s2e_experiment_free(struct s2e_experiment *e)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *at = (char *)e + fields[i].off;
		if (fields[i].kind == STR) {
			free(*(char **)at);
			*(char **)at = NULL;
		} else if (fields[i].kind == STRV) {
			size_t *n = (size_t *)((char *)e + fields[i].count);
			strv_free(*(char ***)at, *n);
			*(char ***)at = NULL;
			*n = 0;
		}
	}
}

/* The process being supervised, for the forwarding handler. */
static volatile sig_atomic_t supervised_pid;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void forward(int sig, siginfo_t *info, void *ctx)
{
	int saved = errno;

	(void)ctx;
	/* A signal from the terminal went to the whole foreground process
	 * group, QEMU included; only pass on those sent to us alone. */
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

int s2e_supervise(char *const argv[], double timeout, double kill_after, struct s2e_exit *how)
{
	struct sigaction sa, old[NFORWARDED];
	sigset_t chld, oldmask;
	int errpipe[2], status, child_errno = 0, rc = -1;
	double start, deadline, left;
	int phase = 0; /* 0 running, 1 SIGINT sent, 2 SIGKILL sent */
	pid_t pid;
	ssize_t n;

	memset(how, 0, sizeof(*how));
	how->exit_status = -1;
	if (pipe2(errpipe, O_CLOEXEC))
		return s2e_error_errno("cannot run %s", s2e_q(argv[0]));
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &oldmask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	fflush(NULL);
	start = now();
	pid = fork();
	if (pid < 0) {
		s2e_error_errno("cannot run %s", s2e_q(argv[0]));
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(errpipe[0]);
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(errpipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	supervised_pid = pid;
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &old[i]);
	close(errpipe[1]);
	do
		n = read(errpipe[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);

	deadline = timeout > 0 ? start + timeout : INFINITY;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			s2e_error_errno("cannot wait for %s", s2e_q(argv[0]));
			goto out;
		}
		left = deadline - now();
		if (left <= 0) {
			if (phase == 0) {
				how->timed_out = 1;
				kill(pid, SIGINT);
				phase = 1;
				deadline = now() + (kill_after > 0 ? kill_after : 10);
			} else if (phase == 1) {
				kill(pid, SIGKILL);
				phase = 2;
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
	how->duration = now() - start;
	if (child_errno) {
		errno = child_errno;
		s2e_error_errno("cannot run %s", s2e_q(argv[0]));
		goto out;
	}
	if (WIFEXITED(status)) {
		how->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		how->signal = WTERMSIG(status);
	}
	rc = 0;
out:
	supervised_pid = 0;
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
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

void s2e_snapfiles_free(struct s2e_snapfile *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int s2e_snapfiles(const char *dir, struct s2e_snapfile **out, size_t *n)
{
	static const char prefix[] = S2E_VM_DISK ".";
	DIR *d = opendir(dir);
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (!d)
		return s2e_error_errno("cannot read VM directory %s", s2e_q(dir));
	while ((de = readdir(d))) {
		struct stat st;
		struct s2e_snapfile *grown;
		if (strncmp(de->d_name, prefix, sizeof(prefix) - 1) ||
		    !de->d_name[sizeof(prefix) - 1])
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			goto oom;
		*out = grown;
		grown[*n].name = strdup(de->d_name + sizeof(prefix) - 1);
		if (!grown[*n].name)
			goto oom;
		grown[*n].mtime = st.st_mtim;
		(*n)++;
	}
	closedir(d);
	return 0;
oom:
	closedir(d);
	s2e_snapfiles_free(*out, *n);
	*out = NULL;
	*n = 0;
	return s2e_error("out of memory");
}

static const struct s2e_snapfile *find_snapfile(const struct s2e_snapfile *v, size_t n,
						const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static char *join_names(char **v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", v[i]);
	fclose(f);
	return buf;
}

/* The commit body: the record's essentials in a readable form. */
char *s2e_experiment_body(const struct s2e_experiment *e, int after)
{
	char *buf = NULL, *names;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "Experiment: %s\n", e->name);
	if (e->vm)
		fprintf(f, "VM: %s\n", e->vm);
	else
		fprintf(f, "Image: %s\n", e->image);
	if (e->snapshot)
		fprintf(f, "Snapshot: %s\n", e->snapshot);
	fprintf(f, "Mode: %s\nBuild: %s\n", e->mode, e->build);
	if (!after) {
		if (e->disk_before)
			fprintf(f, "Disk: %s\n", e->disk_before);
		if (e->snapshot_digest)
			fprintf(f, "Snapshot file: %s\n", e->snapshot_digest);
		if (e->snapshot_disk)
			fprintf(f, "Snapshot taken against disk: %s\n", e->snapshot_disk);
		if (e->forced)
			fprintf(f, "Forced: yes (the disk changed since the snapshot was taken)\n");
		if (e->config_file)
			fprintf(f, "S2E config: %s (copied as %s)\n", e->config_file,
				S2E_EXPERIMENT_CONFIG);
		if (e->output_dir)
			fprintf(f, "Output: %s\n", e->output_dir);
		if (e->timeout > 0)
			fprintf(f, "Timeout: %.3fs\n", e->timeout);
		fprintf(f, "Command line: %s\n", e->cmdline);
	} else {
		fprintf(f, "State: %s\nStarted: %s\nEnded: %s\nDuration: %.3fs\n", e->state,
			e->started, e->ended, e->duration);
		if (e->exit_status >= 0)
			fprintf(f, "Exit status: %d\n", e->exit_status);
		if (e->signal)
			fprintf(f, "Signal: %d (SIG%s)\n", e->signal, s2e_signame(e->signal));
		if (e->timeout > 0)
			fprintf(f, "Timed out: %s\n", e->timed_out ? "yes" : "no");
		if (e->error)
			fprintf(f, "Error: %s\n", e->error);
		if (e->disk_changed >= 0)
			fprintf(f, "Disk changed: %s\n", e->disk_changed ? "yes" : "no");
		if (e->disk_after && e->disk_changed > 0)
			fprintf(f, "Disk now: %s\n", e->disk_after);
		if (e->nadded && (names = join_names(e->snaps_added, e->nadded))) {
			fprintf(f, "Snapshots added: %s\n", names);
			free(names);
		}
		if (e->nremoved && (names = join_names(e->snaps_removed, e->nremoved))) {
			fprintf(f, "Snapshots removed: %s\n", names);
			free(names);
		}
		if (e->nretaken && (names = join_names(e->snaps_retaken, e->nretaken))) {
			fprintf(f, "Snapshots taken again: %s\n", names);
			free(names);
		}
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* After a kvm/prep run: snapshots that appeared, went away or were taken
 * again go into vm.config with the disk digest of now. */
int s2e_experiment_note_snapshots(const char *root, struct s2e_experiment *e,
				  const struct s2e_snapfile *before, size_t nbefore,
				  const struct s2e_snapfile *after, size_t nafter)
{
	char *dir = s2e_vm_dir(root, e->vm), *path = NULL;
	struct s2e_meta meta = {0};
	char taken[64];
	int rc = -1;

	if (!dir)
		return -1;
	path = s2e_path_join(dir, S2E_VM_META);
	if (!path || s2e_meta_read(path, &meta) < 0)
		goto out;
	for (size_t i = 0; i < nafter; i++) {
		const struct s2e_snapfile *old = find_snapfile(before, nbefore, after[i].name);
		struct s2e_meta_snap *rec;
		if (old && old->mtime.tv_sec == after[i].mtime.tv_sec &&
		    old->mtime.tv_nsec == after[i].mtime.tv_nsec)
			continue;
		s2e_time_utc_of(&after[i].mtime, taken, sizeof(taken));
		if (s2e_strv_push(old ? &e->snaps_retaken : &e->snaps_added,
				  old ? &e->nretaken : &e->nadded, after[i].name))
			goto out;
		rec = s2e_meta_find_snap(&meta, after[i].name);
		if (rec) {
			if (s2e_meta_set(&rec->taken, taken) ||
			    s2e_meta_set(&rec->disk_digest, e->disk_after))
				goto out;
		} else if (s2e_meta_add_snap(&meta, after[i].name, taken, e->disk_after)) {
			goto out;
		}
	}
	for (size_t i = 0; i < nbefore; i++) {
		if (find_snapfile(after, nafter, before[i].name))
			continue;
		if (s2e_strv_push(&e->snaps_removed, &e->nremoved, before[i].name))
			goto out;
		if (s2e_meta_remove_snap(&meta, before[i].name) < 0)
			goto out;
	}
	if (e->disk_after && s2e_meta_set(&meta.digest, e->disk_after))
		goto out;
	if (!e->nadded && !e->nremoved && !e->nretaken && e->disk_changed <= 0) {
		rc = 0;
		goto out;
	}
	rc = s2e_meta_write(path, &meta);
out:
	s2e_meta_free(&meta);
	free(path);
	free(dir);
	return rc;
}
