/* Shared by the porcelain commands: each `s2e vm X` is one cmd_vm_X() in
 * porcelain/vm-X.c, called with argv[0] == "X". */
#ifndef S2E_PORCELAIN_H
#define S2E_PORCELAIN_H

#include <stdio.h>

#include "s2e/status.h"

#include "s2e/parse-options.h"
#include "s2e/vmops.h"

/* Set by --s2edir DIR, which every level accepts (`s2e --s2edir D vm list`,
 * `s2e vm list --s2edir D`); the last one given wins.  NULL: $S2EDIR. */
extern const char *porcelain_s2edir;
#define OPT_S2EDIR()                                                                               \
	OPT_STRING(0, "s2edir", &porcelain_s2edir, "DIR", "use DIR instead of $S2EDIR")

/* A sub-command table for porcelain_dispatch(), ended by a NULL name. */
struct porcelain_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command word */
	const char *help;
};
/* Run the command argv[0] names, or fail with "did you mean" (exit 2). */
int porcelain_dispatch(const struct s2e_command *parent, const struct porcelain_cmd *table,
		       int argc, char **argv);
/* s2e_parse_options_exit() for a dispatcher: for S2E_PARSE_COMPLETION, its
 * sub-commands as "command NAME" lines after the options. */
int porcelain_parse_exit(const struct s2e_command *cmd, const struct porcelain_cmd *table,
			 int code);
/* A command of sub-commands (`s2e vm`, `s2e store`, ...): --s2edir and
 * --help, then the sub-command argv[0] names, from `table`. */
int porcelain_group(const char *name, const char *const *usage,
		    const struct porcelain_cmd *table, int argc, char **argv);
/* The whole `s2e` command line (argv[0] is "s2e"): for `s2e help X`. */
int porcelain_main(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Print "[FAIL] s2e vm CMD: <last error>" on stderr and return 1. */
int fail(const char *cmd);

/* A report for the lib's VM operations (s2e/vmops.h): each step done is
 * printed on `st` as "[ OK ] step", a progress bar goes to stderr. */
void porcelain_report(struct s2e_vm_report *report, struct s2e_status *st, FILE *out);
/* Finish a command after one call into lib: 0, the usage (2) for
 * S2E_EUSAGE, "[FAIL] ..." (1) otherwise. */
int porcelain_done(const struct s2e_command *cmd, int rc);

/* What a VM command holds between its parse and its report. */
struct porcelain_run {
	const struct s2e_command *cmd;
	struct s2e_status st;
	struct s2e_vm_report report; /* "[ OK ] step" lines on st */
	char *root;		     /* S2EDIR */
	int exit;		     /* the exit code, when porcelain_start() says stop */
};
/* The start of every VM command: parse argv (operands left in argv, their
 * count in *argc), then status lines on stdout and S2EDIR resolved.  0: go
 * on; otherwise return run->exit (0 after --help, 2 for usage, 1 failed). */
int porcelain_start(struct porcelain_run *run, const struct s2e_command *cmd, int *argc,
		    char **argv);
/* The end: what start made is freed and lib's result becomes the exit code. */
int porcelain_finish(struct porcelain_run *run, int rc);

/* The resolved S2EDIR for this command (malloc'd), or NULL with the error set. */
char *porcelain_root(const char *opt);

/* Start a mutating command: resolve S2EDIR (creating it and its history
 * repository on first use) and take its lock.  *root is malloc'd. */
struct s2e_lock;
int porcelain_lock(const char *opt, char **root, struct s2e_lock *lock);

int cmd_vm(int argc, char **argv);
int cmd_vm_create(int argc, char **argv);
int cmd_vm_list(int argc, char **argv);
int cmd_vm_delete(int argc, char **argv);
int cmd_vm_rename(int argc, char **argv);
int cmd_vm_info(int argc, char **argv);
int cmd_vm_clone(int argc, char **argv);
int cmd_vm_export(int argc, char **argv);
int cmd_vm_export_s2e_env(int argc, char **argv);
int cmd_vm_import(int argc, char **argv);
int cmd_vm_import_s2e_env(int argc, char **argv);
int cmd_vm_run(int argc, char **argv);
int cmd_vm_run_batch(int argc, char **argv);
int cmd_vm_run_entry(int argc, char **argv);
int cmd_vm_status(int argc, char **argv);
int cmd_vm_config(int argc, char **argv);
int cmd_vm_push(int argc, char **argv);
int cmd_vm_pull(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_log(int argc, char **argv);
/* porcelain/log-lab.c: s2e log show, and the lines of s2e log --all. */
int cmd_log_show(int argc, char **argv);
int cmd_log_show_host(int argc, char **argv); /* [HOSTID/]EXP of any host */
struct s2e_log_entry;
struct s2e_host;
int log_host(const struct s2e_log_entry *e, struct s2e_host *h);
void log_lab_text(const struct s2e_log_entry *e, const char *date);
int cmd_remote(int argc, char **argv);
int cmd_history(int argc, char **argv);

#endif
