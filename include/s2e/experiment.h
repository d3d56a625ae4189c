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
 *   [settings]
 *           memory = 1024               (MiB; "default": QEMU's)
 *           nic = pcnet                 ("none" without network)
 *   [batch]                             (a job of a batch, s2e vm run --batch)
 *           name = sweep
 *           job = 5                     (its index, from 1)
 *           jobs = 6                    (how many the batch has)
 *           engine = slurm              (local, parallel or slurm)
 *           engineJobId = 4711_5        (SLURM_ARRAY_JOB_ID_SLURM_ARRAY_TASK_ID,
 *                                        else SLURM_JOB_ID; PARALLEL_SEQ; none
 *                                        for local)
 *           hostId = 0f5c2a9e-...       (the S2EDIR's host id, s2e/hostid.h)
 *           hostname = node7
 *           file = /lab/sweep.yaml
 *           guest = /bin/cat b          (the job's line)
 *
 * Two parts:
 *   - the record: struct s2e_experiment and its text form
 *     (lib/experiment-record.c), and the snapshot bookkeeping of kvm/prep
 *     runs (lib/experiment-snapshots.c);
 *   - the run lifecycle, struct s2e_run (lib/experiment.c):
 *         prepare   resolve NAME[:SNAP]|IMAGE and build the QEMU command line
 *                   (no file is looked at: enough for --dry-run)
 *         start     check the VM, snapshot, binaries, config and disk, then
 *                   under the S2EDIR lock mark the experiment and the VM in
 *                   use (s2e/inuse.h: the VM shared by sym runs, exclusive
 *                   for kvm and prep, which write the disk), create
 *                   expdata/EXPNAME and record the start (one commit)
 *         supervise run QEMU in the foreground without the lock
 *                   (lib/supervise.c: signals passed on, the timeout)
 *         finish    under the lock record the outcome, the disk and the
 *                   snapshots the run made or removed (one commit); then
 *                   the in-use marks are dropped (they vanish too if s2e
 *                   dies, which is how `s2e vm status` tells an
 *                   interrupted run)
 *   Nothing here prints: warnings go to the caller's callback.
 *   The options are taken from r->opts as the command line set them, and
 *   a VM's stored settings (s2e/vmconfig.h, read by prepare) fill in the
 *   fields left unset: effective_opts() in lib/experiment.c, used by every
 *   step. */
#ifndef S2E_EXPERIMENT_H
#define S2E_EXPERIMENT_H

#include <stddef.h>

#include "s2e/inuse.h"
#include "s2e/qemu.h"
#include "s2e/snapshot.h"
#include "s2e/strv.h"
#include "s2e/supervise.h"
#include "s2e/vmconfig.h"

#define S2E_EXPERIMENTS_DIR   "experiments"
#define S2E_EXPDATA_DIR	      "expdata"
#define S2E_EXPERIMENT_RECORD "record.conf"
#define S2E_EXPERIMENT_CONFIG "s2e-config.lua"

/* One record.  The strings, and those of the vectors, are owned by it. */
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
	char *cmdline;	      /* shell-quoted, one line */
	struct s2e_strv argv; /* every word */
	char *disk_before;    /* digests */
	char *disk_after;
	int disk_changed;      /* -1 unknown */
	char *snapshot_digest; /* of disk.s2e.SNAP */
	char *snapshot_disk;   /* the disk digest the snapshot was recorded against */
	struct s2e_strv snaps_added, snaps_removed, snaps_retaken;
	char *error; /* why QEMU could not start */
	char *memory; /* [settings] the guest memory in MiB, or "default" */
	char *nic;    /* [settings] the NIC model, "none" without network */
	char *again_of; /* the experiment this one repeats (vm run --again) */
	struct s2e_strv invocation; /* [invocation] word: the options the run used,
				       settings included (s2e-qemu-cmdline words,
				       then "--" and the QEMU arguments) */
	/* [batch]: NULL unless the run is a job of a batch */
	char *batch, *batch_job, *batch_jobs, *batch_engine, *batch_engine_id;
	char *batch_host_id, *batch_hostname, *batch_file, *batch_guest;
};

/* Read experiment `name`'s record (S2E_ENOTFOUND: no such experiment). */
int s2e_experiment_load(const char *root, const char *name, struct s2e_experiment *exp);

/* The `s2e vm run` words (after the command word) that run experiment
 * `name` again: its recorded options, then the caller's own words argv
 * (which win), then the copy of its S2E config unless argv names one, then
 * NAME[:SNAP]|IMAGE MODE and "--" with its QEMU arguments.  Appended to out
 * as malloc'd strings. */
int s2e_experiment_again_words(const char *root, const char *name, int argc,
			       char *const *argv, struct s2e_strv *out);

/* An empty record (the unknown values set as such). */
void s2e_experiment_init(struct s2e_experiment *exp);
/* "experiments/NAME" (relative to S2EDIR), malloc'd. */
char *s2e_experiment_path(const char *name);

/* Serialise / parse a record (git-config syntax). */
char *s2e_experiment_format(const struct s2e_experiment *exp);
int s2e_experiment_parse(const char *text, struct s2e_experiment *exp);
int s2e_experiment_write(const char *path, const struct s2e_experiment *exp);
int s2e_experiment_read(const char *path, struct s2e_experiment *exp);
void s2e_experiment_free(struct s2e_experiment *exp);

/* A commit body: the record's essentials before the run (after == 0) or its
 * outcome (after == 1), in readable lines.  malloc'd. */
char *s2e_experiment_body(const struct s2e_experiment *e, int after);
/* Both parts, for `s2e log show`.  malloc'd. */
char *s2e_experiment_describe(const struct s2e_experiment *e);

/* After a kvm/prep run of VM e->vm: snapshots that appeared, went away or
 * were taken again (comparing the files before and after) go into the
 * record's lists and into vm.config, with the disk digest e->disk_after. */
int s2e_experiment_note_snapshots(const char *root, struct s2e_experiment *e,
				  const struct s2e_snapfiles *before,
				  const struct s2e_snapfiles *after);

/* The lifecycle of one run. */
typedef void (*s2e_run_warn_fn)(void *ctx, const char *message);

struct s2e_run {
	/* Set by the caller: */
	const char *root;	    /* S2EDIR, absolute */
	const char *ref;	    /* NAME[:SNAP], or an image path (has a '/') */
	const char *again;	    /* the experiment this run repeats: its options are all
				       given, so the VM's settings are not read again, and
				       the disk must be the one it ran on (unless force) */
	struct s2e_qemu_opts *opts; /* the mode and options as given (root, image,
				       snapshot and expname come from the run) */
	int force;		    /* resume a snapshot whose disk changed since */
	s2e_run_warn_fn warn;	    /* warnings, may be NULL */
	s2e_run_warn_fn note;	    /* progress notes ("digest disk image (…)"), may be NULL */
	void *warn_ctx;		    /* given to both */

	/* Filled in by the steps: */
	char *vm, *snap, *image, *expname;
	struct s2e_qemu_cmdline cmd; /* what QEMU runs (never wrapped in timeout(1)) */
	struct s2e_experiment rec;
	struct s2e_exit how;
	int started; /* QEMU ran (s2e_run_supervise returned 0) */

	/* private */
	char *exp_dir, *record_path, *subject;
	struct s2e_snapfiles before;
	int have_before;
	struct s2e_vm_settings *settings;   /* the VM's stored settings (s2e/vmconfig.h) */
	struct s2e_strv extra;		    /* stored qemuArg words, then the -q words */
	char *again_disk;		    /* the disk digest the repeated run recorded */
	struct s2e_inuse run_mark, vm_mark; /* held from start to the end of finish */
	int marked;			    /* which: 1 run, 2 vm */
};

/* Each step returns 0, or -1 with the error set; after a failed prepare or
 * start nothing is left behind.  s2e_run_free() always. */
int s2e_run_prepare(struct s2e_run *r);
int s2e_run_start(struct s2e_run *r);
/* -1 when QEMU could not be started (the reason goes into the record too). */
int s2e_run_supervise(struct s2e_run *r);
int s2e_run_finish(struct s2e_run *r);
void s2e_run_free(struct s2e_run *r);

/* The s2e-qemu-cmdline arguments (after the program name) that print the
 * line r->cmd holds: "-z --s2edir ROOT [options] REF MODE [-- ARGS]".
 * Appended as malloc'd strings (free with s2e_strv_clear_owned). */
int s2e_run_plumbing_words(const struct s2e_run *r, struct s2e_strv *words);

#endif
