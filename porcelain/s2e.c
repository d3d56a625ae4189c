/* s2e: the porcelain dispatcher, in the manner of git(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/exec.h"
#include "s2e/history.h"
#include "s2e/s2edir.h"
#include "s2e/version.h"
#include "s2e/vmops.h"

const char *porcelain_s2edir;

int fail(const char *cmd)
{
	struct s2e_status st;

	fflush(stdout);
	s2e_status_init(&st, stderr);
	s2e_status_fail(&st, "s2e %s: %s", cmd, s2e_error_last());
	return 1;
}

static void report_step(void *data, const char *text)
{
	s2e_status_ok(data, "%s", text);
}

void porcelain_report(struct s2e_vm_report *report, struct s2e_status *st, FILE *out)
{
	s2e_status_init(st, out);
	report->step = report_step;
	report->data = st;
	report->progress_fd = STDERR_FILENO;
}

int porcelain_done(const struct s2e_command *cmd, int rc)
{
	if (rc == 0)
		return 0;
	if (rc == S2E_EUSAGE)
		return s2e_usage_fail(cmd, stderr, "%s", s2e_error_last());
	/* "s2e vm create" -> "vm create" */
	return fail(strncmp(cmd->name, "s2e ", 4) ? cmd->name : cmd->name + 4);
}

int porcelain_start(struct porcelain_run *run, const struct s2e_command *cmd, int *argc,
		    char **argv)
{
	memset(run, 0, sizeof(*run));
	run->cmd = cmd;
	*argc = s2e_parse_options(cmd, *argc, argv, 0);
	if (*argc < 0) {
		run->exit = s2e_parse_options_exit(cmd, *argc, stdout, stderr);
		return -1;
	}
	porcelain_report(&run->report, &run->st, stdout);
	run->root = porcelain_root(NULL);
	if (!run->root) {
		run->exit = porcelain_done(cmd, -1);
		return -1;
	}
	return 0;
}

int porcelain_finish(struct porcelain_run *run, int rc)
{
	free(run->root);
	run->root = NULL;
	return porcelain_done(run->cmd, rc);
}

char *porcelain_root(const char *opt)
{
	return s2e_dir_resolve(opt ? opt : porcelain_s2edir);
}

int porcelain_lock(const char *opt, char **root, struct s2e_lock *lock)
{
	*root = porcelain_root(opt);
	if (!*root)
		return -1;
	if (s2e_lock(*root, lock) || s2e_history_init(*root)) {
		s2e_unlock(lock);
		free(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

static const struct porcelain_cmd commands[] = {
	{"vm", cmd_vm, "create, list, clone, export, import, delete and run VMs"},
	{"store", cmd_store, "list, verify and clean up VM stores"},
	{"log", cmd_log, "show the history of VMs and experiments"},
	{"remote", cmd_remote, "add, remove and list the remotes histories are shared through"},
	{"history", cmd_history, "push this host's history to a remote, pull every host's"},
	{"help", cmd_help, "show the help of s2e or of a command"},
	{NULL, NULL, NULL},
};

static const char *const usage[] = {
	"s2e [--s2edir DIR] [--exec-path[=DIR]] [--version] COMMAND [ARGS]",
	NULL,
	"Manage S2E VM images, snapshots and experiments, with a git history of",
	"everything done to them.  Commands:",
	"",
	"   vm       create, list, clone, export, import, delete and run VMs",
	"   store    list, verify and clean up VM stores",
	"   log      show the history of VMs and experiments",
	"   remote   add, remove and list the remotes histories are shared through",
	"   history  push this host's history to a remote, pull every host's",
	"   help     show this help, or a command's: s2e help vm run",
	"",
	"Plumbing (in the exec path): s2e-mkimage, s2e-snapcp, s2e-pack, s2e-unpack,",
	"s2e-digest, s2e-qemu-cmdline.  See s2e(1).",
	NULL,
};

/* `s2e help [CMD [SUBCMD]]` is `s2e CMD [SUBCMD] --help`. */
int cmd_help(int argc, char **argv)
{
	char *help_argv[8];
	int n = 0;

	if (argc < 2) {
		char *top[] = {"s2e", "--help", NULL};
		return porcelain_main(2, top);
	}
	if (argc > 6)
		argc = 6;
	help_argv[n++] = "s2e";
	for (int i = 1; i < argc; i++)
		help_argv[n++] = argv[i];
	help_argv[n++] = "--help";
	help_argv[n] = NULL;
	return porcelain_main(n, help_argv);
}

/* --exec-path prints the exec path; --exec-path=DIR sets it and goes on. */
static int exec_path_cb(const struct s2e_option *opt, const char *value)
{
	char *path;

	if (value) {
		if (setenv("S2E_EXEC_PATH", value, 1))
			return s2e_error_errno("cannot set S2E_EXEC_PATH");
		return 0;
	}
	path = s2e_exec_path();
	if (!path)
		return -1;
	printf("%s\n", path);
	free(path);
	*(int *)opt->value = 1;
	return 0;
}

int porcelain_main(int argc, char **argv)
{
	int version = 0, printed = 0;
	const struct s2e_option options[] = {
		OPT_S2EDIR(),
		OPT_CALLBACK_F(0, "exec-path", &printed, "DIR",
			       "print the exec path of the plumbing, or set it", S2E_OPT_OPTARG,
			       exec_path_cb),
		OPT_BOOL(0, "version", &version, "print the version"),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e", .usage = usage, .options = options};

	argc = s2e_parse_options(&cmd, argc, argv, S2E_PARSE_STOP_AT_OPERAND);
	if (argc < 0)
		return porcelain_parse_exit(&cmd, commands, argc);
	if (version) {
		printf("s2e version %s\n", S2E_VERSION_STRING);
		return 0;
	}
	if (printed && !argc)
		return 0;
	if (!argc)
		return s2e_usage_fail(&cmd, stderr, "no command given");
	return porcelain_dispatch(&cmd, commands, argc, argv);
}

int main(int argc, char **argv)
{
	if (s2e_std_fds_open())
		return 1;
	return porcelain_main(argc, argv);
}
