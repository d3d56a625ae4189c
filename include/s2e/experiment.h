/* Experiments (SPEC §5, §6): every `s2e vm run` is one experiment, recorded in
 * the history repository as S2EDIR/experiments/EXPNAME/record.conf (git-config
 * syntax, `git config -f record.conf --list` reads it) plus, for sym runs, a
 * copy of the S2E config file as s2e-config.lua.  QEMU's own outputs go to
 * S2EDIR/expdata/EXPNAME/, which git never sees.
 *
 *   [experiment]
 *           name = auto_2026-11-28T10:00:00.123+0100
 *           vm = MyBox
 *           snapshot = ready
 *           mode = sym
 *           state = finished            (running, finished, timed-out, killed, failed)
 *           ...
 *   [qemu]
 *           binary = ...
 *           commandLine = ...           (shell-quoted, replayable)
 *           arg = ...                   (one per word)
 *   [disk]
 *           before = sha256-1m:...
 *
 * This module writes and reads those records and supervises the QEMU process
 * (signals passed through, the timeout). */
#ifndef S2E_EXPERIMENT_H
#define S2E_EXPERIMENT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define S2E_EXPERIMENTS_DIR   "experiments"
#define S2E_EXPDATA_DIR	      "expdata"
#define S2E_EXPERIMENT_RECORD "record.conf"
#define S2E_EXPERIMENT_CONFIG "s2e-config.lua"

struct s2e_experiment {
	char *name;
	char *vm;	/* NULL when run on an image path */
	char *snapshot; /* NULL: booted */
	char *mode;
	char *build;
	char *image;
	char *state;	       /* "running", "finished", "timed-out", "killed", "failed" */
	char *started, *ended; /* UTC, s2e_time_utc() form */
	double duration;       /* seconds; < 0 unknown */
	int exit_status;       /* QEMU's exit status; -1 when it did not exit */
	int signal;	       /* the signal that ended QEMU, 0 none */
	double timeout;	       /* 0: none */
	int timed_out;
	int forced; /* run although the snapshot's disk changed */
	char *output_dir;
	char *config_file; /* the S2E config file the run used (its copy is in the record) */
	char *binary;
	char *cmdline; /* shell-quoted, one line */
	char **argv;   /* every word */
	size_t argc;
	char *disk_before; /* digests */
	char *disk_after;
	int disk_changed;      /* -1 unknown */
	char *snapshot_digest; /* of disk.s2e.SNAP */
	char *snapshot_disk;   /* the disk digest the snapshot was recorded against */
	char **snaps_added, **snaps_removed, **snaps_retaken;
	size_t nadded, nremoved, nretaken;
	char *error; /* why QEMU could not start */
};

/* "experiments/NAME" (relative to S2EDIR), malloc'd. */
char *s2e_experiment_path(const char *name);

/* Serialise / parse a record (git-config syntax). */
char *s2e_experiment_format(const struct s2e_experiment *exp);
int s2e_experiment_parse(const char *text, struct s2e_experiment *exp);
int s2e_experiment_write(const char *path, const struct s2e_experiment *exp);
int s2e_experiment_read(const char *path, struct s2e_experiment *exp);
void s2e_experiment_free(struct s2e_experiment *exp);
/* Append a malloc'd copy of s to a string vector. */
int s2e_strv_push(char ***v, size_t *n, const char *s);

/* Shell-quoted, space-joined command line (malloc'd). */
char *s2e_cmdline_join(char *const *argv, size_t argc);

/* Snapshot files of a VM (disk.s2e.*) with their modification times. */
struct s2e_snapfile {
	char *name;
	struct timespec mtime;
};
int s2e_snapfiles(const char *vm_dir, struct s2e_snapfile **out, size_t *n);
void s2e_snapfiles_free(struct s2e_snapfile *v, size_t n);

/* After a kvm/prep run of VM e->vm: snapshots that appeared, went away or
 * were taken again (comparing the files before and after) go into the
 * record's lists and into vm.config, with the disk digest e->disk_after. */
int s2e_experiment_note_snapshots(const char *root, struct s2e_experiment *e,
				  const struct s2e_snapfile *before, size_t nbefore,
				  const struct s2e_snapfile *after, size_t nafter);

/* A commit body: the record's essentials before the run (after == 0) or its
 * outcome (after == 1), in readable lines.  malloc'd. */
char *s2e_experiment_body(const struct s2e_experiment *e, int after);

/* "INT" for SIGINT. */
const char *s2e_signame(int sig);

/* How a supervised process ended. */
struct s2e_exit {
	int exit_status; /* -1 when killed by a signal */
	int signal;
	int timed_out;
	double duration; /* seconds */
};

/* Run argv (argv[0] searched in PATH) in the foreground and wait for it.
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to us are passed
 * on to it (those from the terminal reach it directly).  With timeout > 0 it
 * gets SIGINT after `timeout` seconds and SIGKILL `kill_after` seconds later.
 * Returns 0 once it has ended, -1 when it could not be started. */
int s2e_supervise(char *const argv[], double timeout, double kill_after, struct s2e_exit *how);

/* The shell-like status for an ending: the exit status, 128+signal, or 124
 * when the timeout ended it (as timeout(1) does). */
int s2e_exit_code(const struct s2e_exit *how);

#endif
