/* Batch files (`s2e vm run --batch FILE`): many experiments described by one
 * YAML file, the cross-product Chef's `ctl run --batch-file` used, read once
 * by one hardened parser (libyaml events; no anchors, aliases or tags; one
 * document; bounded size, depth and job count) into a list of jobs.
 *
 *   batch: sweep                   # the batch's name (default: FILE's base
 *                                  # name without .yaml/.yml)
 *   vm: Debian:ready               # defaults for every command: vm, mode,
 *   mode: sym                      #   build, config, timeout, memory,
 *   timeout: 600                   #   qemu-opts, line, expname
 *   store: https://store/lab       # where a host lacking the VM gets it
 *                                  #   (a relative directory: relative to
 *                                  #   the batch file, by s2e_batch_load)
 *   vm-digest: sha256-1m:...       # optional: the disk.s2e the jobs must
 *                                  #   run on (needs store:)
 *   store-mismatch: refuse         # a local VM unlike the store's: refuse
 *                                  #   (default) or local (run on it)
 *   monitor-port: 4444             # job N gets monitor port 4444+N and
 *   vnc-display: 0                 #   VNC display 0+N (defaults 4444, 0)
 *   variables:                     # NAME: [VALUE, ...] (or one VALUE)
 *     prog: [ls, cat]
 *     n: [1, 2, 3]
 *   commands:                      # each expanded over the cross-product
 *     - line: /bin/{prog} -n {n}   #   of the variables its fields use
 *       config: cfg/{prog}.lua
 *
 * `{NAME}` in any field of a command is replaced by each value of variable
 * NAME; the first variable declared varies slowest (Chef's order).  A `{`
 * not followed by NAME and `}` is kept as is; `{NAME}` for an undeclared
 * NAME is an error.  Jobs are numbered from 1 in file order.  A job's
 * experiment name is `expname` if given, else BATCH-NNNN, plus "-" and the
 * base name of the first word of `line` when there is one (as Chef named
 * them).  `line` is the guest command a job stands for (Chef's); s2e records
 * it.  Fields a command leaves unset come from the top level, then from
 * the caller's defaults (the VM and mode on the command line).
 *
 * Unknown keys, duplicate keys, a used variable without values, an empty
 * cross-product, no commands, an invalid VM, mode, timeout or experiment
 * name, and two jobs with one experiment name are errors that name the
 * file, the line and the reason. */
#ifndef S2E_BATCH_H
#define S2E_BATCH_H

#include <stddef.h>

#include "s2e/strv.h"

#define S2E_BATCH_MAX_BYTES (1024 * 1024)
#define S2E_BATCH_MAX_JOBS  4096

struct s2e_batch_job {
	size_t index; /* 1-based */
	char *vm, *mode, *build, *config, *timeout, *memory, *line, *expname;
	char **qemu_opts;
	size_t nqemu_opts;
	char monitor_port[8], vnc_display[8];
};

struct s2e_batch {
	char *name;
	char *store;	    /* NULL: none */
	char *vm_digest;    /* vm-digest:, NULL: none */
	int mismatch_local; /* store-mismatch: local */
	struct s2e_batch_job *jobs;
	size_t njobs;
};

/* Used where the file sets nothing (may be NULL, as may their fields). */
struct s2e_batch_defaults {
	const char *vm, *mode;
};

/* Parse `len` bytes of YAML; `origin` names them in errors (the file name),
 * and gives the default batch name. */
int s2e_batch_parse(const char *text, size_t len, const char *origin,
		    const struct s2e_batch_defaults *defaults, struct s2e_batch *batch);
int s2e_batch_load(const char *path, const struct s2e_batch_defaults *defaults,
		   struct s2e_batch *batch);
void s2e_batch_free(struct s2e_batch *batch);

/* The `s2e vm run` operands and options of one job (NAME[:SNAP] MODE
 * --expname X ...), borrowing the job's strings. */
int s2e_batch_job_argv(const struct s2e_batch_job *job, struct s2e_strv *argv);

/* `s2e vm run --batch FILE --job N` tells the run it makes which job it is
 * through these environment variables (set with s2e_batch_job_setenv()),
 * and the run puts them into its record with s2e_batch_job_body(). */
#define S2E_BATCH_ENV	   "S2E_BATCH"	    /* the batch's name */
#define S2E_BATCH_ENV_FILE "S2E_BATCH_FILE" /* the batch file, absolute */
#define S2E_BATCH_ENV_JOB  "S2E_BATCH_JOB"  /* "N/M": job N of M */
int s2e_batch_job_setenv(const struct s2e_batch *b, const struct s2e_batch_job *job,
			 const char *file);
/* "Batch: NAME\nBatch-Job: N/M\nBatch-Engine: ENGINE-ID\nBatch-File: F\n[Guest: LINE\n]"
 * lines for a commit body, from the environment (printable bytes only);
 * "" outside a batch job.  malloc'd. */
char *s2e_batch_job_body(void);

/* A batch job's identity, from the environment (printable bytes only):
 * 0 inside a batch job, 1 outside (env all ""). */
struct s2e_batch_env {
	char name[520], job[24], jobs[24], file[520], guest[520];
	char engine[16];     /* local, parallel or slurm */
	char engine_id[100]; /* "JOBID_TASK" or "JOBID" (slurm), "SEQ" (parallel), "" */
};
int s2e_batch_env_read(struct s2e_batch_env *env);

/* How the job was started, for its record: "slurm JOBID_TASK" (Slurm array
 * task), "parallel SEQ" (GNU parallel), else "local"; from the environment. */
void s2e_batch_engine_id(char *buf, size_t len);

/* ---- the job's VM (lib/batch-vm.c) ----
 * Before a job runs on a host, with a store: in the batch, its VM (the
 * job's vm: without :SNAP) is checked against the store's, and pulled from
 * it when this S2EDIR lacks it:
 *   1. the store's manifest of the VM is read (an unreachable store, or one
 *      without the VM, is an error naming the store; nothing changes);
 *   2. with vm-digest:, the manifest's disk.s2e digest must be that one;
 *   3. under S2EDIR/.s2e/batch-vm.lock (flock(2), so that jobs starting at
 *      once on one host pull once: the others wait, then find the VM), a
 *      missing VM is pulled (s2e_vm_pull(): every chunk and file checked
 *      against the manifest; one history commit "vm pull STORE/NAME NAME");
 *   4. the local disk.s2e's digest (digest cache) must equal the expected
 *      one (vm-digest:, else the manifest's): otherwise an error naming both
 *      digests, unless store-mismatch: local (then *mismatch is set and the
 *      job runs on the local VM).
 * *pulled says whether this call pulled.  Nothing is done without store:. */
struct s2e_vm_report;
struct s2e_batch_vm {
	int pulled, mismatch;
	char local[80], expected[80]; /* digests */
};
int s2e_batch_vm_ensure(const char *root, const struct s2e_batch *b,
			const struct s2e_batch_job *job, const struct s2e_vm_report *report,
			struct s2e_batch_vm *out);

/* ---- engines (lib/batch-run.c) ----
 * Each runs every job of a batch as `prefix... N` (N the job's number, for
 * `s2e vm run --batch FILE --job N`), and reports how each ended as a
 * shell status (exit status, or 128 + the signal).  None prints. */

typedef void (*s2e_batch_done_fn)(const struct s2e_batch_job *job, int status, void *ctx);

/* Local: at most `jobs` (>= 1) at a time, as our own children.  Returns the
 * number of jobs that failed, or -1 when one could not be started (the ones
 * running are waited for first). */
int s2e_batch_run_local(const struct s2e_batch *b, const char *const *prefix, unsigned jobs,
			s2e_batch_done_fn done, void *ctx);

/* GNU parallel: the words of `parallel` running every job, with its
 * --sshlogin hosts (each host must see the batch file at the same path and
 * have `s2e` in its PATH), --joblog FILE and -j N when given (0: parallel's
 * default).  The strings are borrowed; numbers are kept in `numbers`
 * (njobs + 1 words) which the caller frees after use with free(). */
struct s2e_batch_parallel {
	const char *const *sshlogins;
	size_t nsshlogins;
	const char *joblog; /* NULL: none */
	unsigned jobs;	    /* 0: parallel's default */
};
int s2e_batch_parallel_argv(const struct s2e_batch *b, const char *const *prefix,
			    const struct s2e_batch_parallel *opts, struct s2e_strv *argv,
			    char **numbers);

/* Run argv (a command such as the above) and wait: its shell status, or -1
 * when it could not be started. */
int s2e_batch_spawn_wait(const char *const *argv);

/* Slurm: an sbatch script for an array of b->njobs tasks (at most `jobs` at
 * once, 0: no limit), each running `prefix... $SLURM_ARRAY_TASK_ID`, with
 * its output in OUTDIR/slurm-%A_%a.out.  malloc'd. */
char *s2e_batch_sbatch_script(const struct s2e_batch *b, const char *const *prefix, unsigned jobs,
			      const char *outdir);

#endif
