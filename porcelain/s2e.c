/* s2e: the porcelain dispatcher, in the manner of git(1). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/exec.h"
#include "s2e/history.h"
#include "s2e/s2edir.h"
#include "s2e/version.h"

const char *porcelain_s2edir;

static const char usage_text[] =
	"usage: s2e [--s2edir DIR] [--exec-path[=DIR]] [--version] [--help] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"   vm      create, list, clone, export, import, delete and run VMs\n"
	"   log     show the history of VMs and experiments\n"
	"   help    show this text, or the usage of a command\n"
	"\n"
	"Plumbing (in the exec path): s2e-mkimage, s2e-snapcp, s2e-pack, s2e-unpack,\n"
	"s2e-digest, s2e-qemu-cmdline.  See s2e(1) and s2e-vm(1).\n";

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("s2e: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(usage, stderr);
	return 2;
}

int usage_help(const char *usage)
{
	fputs(usage, stdout);
	return 0;
}

int fail(const char *cmd)
{
	struct s2e_status st;

	fflush(stdout);
	s2e_status_init(&st, stderr);
	s2e_status_fail(&st, "s2e %s: %s", cmd, s2e_error_last());
	return 1;
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

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{"vm", cmd_vm},
	{"log", cmd_log},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *cmd;
	char *help_argv[] = {NULL, "--help", NULL};

	if (argc < 2)
		return usage_help(usage_text);
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error(usage_text, "'%s' is not an s2e command", argv[1]);
	help_argv[0] = argv[1];
	return cmd->fn(2, help_argv);
}

static int print_exec_path(const char *set)
{
	char *path;

	if (set) {
		if (setenv("S2E_EXEC_PATH", set, 1))
			return 1;
		return -1; /* not a query: go on */
	}
	path = s2e_exec_path();
	if (!path)
		return fail("--exec-path");
	printf("%s\n", path);
	free(path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"s2edir", required_argument, NULL, 'd'},
		{"exec-path", optional_argument, NULL, 'x'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct command *cmd;
	int c, rc;

	if (s2e_std_fds_open())
		return 1;

	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			porcelain_s2edir = optarg;
			break;
		case 'x':
			rc = print_exec_path(optarg);
			if (rc >= 0)
				return rc;
			break;
		case 'V':
			printf("s2e version %s\n", S2E_VERSION_STRING);
			return 0;
		case 'h':
			return usage_help(usage_text);
		default:
			return usage_error(usage_text, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage_error(usage_text, "no command given");
	if (!strcmp(argv[0], "help"))
		return cmd_help(argc, argv);
	cmd = find_command(argv[0]);
	if (!cmd)
		return usage_error(usage_text, "'%s' is not an s2e command; see 's2e help'", argv[0]);
	optind = 0; /* reset getopt for the subcommand */
	return cmd->fn(argc, argv);
}
