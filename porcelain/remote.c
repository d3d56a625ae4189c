/* s2e remote add|remove|list: the git remotes history is shared through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/remote.h"
#include "s2e/s2edir.h"

static const char *const add_usage[] = {
	"s2e remote add [--ca-file FILE] NAME URL",
	NULL,
	"Add remote NAME at URL (file://, ssh:// or https://, or a path) to share",
	"history with 's2e history push' and 's2e history pull'.",
	NULL,
};

static const char *const remove_usage[] = {
	"s2e remote remove NAME",
	NULL,
	"Remove remote NAME and the other hosts' histories pulled from it.",
	NULL,
};

static const char *const list_usage[] = {
	"s2e remote list",
	NULL,
	"List the remotes: NAME, a tab, URL.",
	NULL,
};

/* Parse a sub-command's options and check its operand count. */
static int parse(const struct s2e_command *cmd, int *argc, char **argv, int want, const char *what)
{
	*argc = s2e_parse_options(cmd, *argc, argv, 0);
	if (*argc < 0)
		return s2e_parse_options_exit(cmd, *argc, stdout, stderr);
	if (*argc != want)
		return s2e_usage_fail(cmd, stderr, "%s", what);
	return -1;
}

/* Run fn(root, a, b) under the S2EDIR lock; the exit code. */
static int locked(const char *what, int (*fn)(const char *, const char *, const char *),
		  const char *a, const char *b)
{
	struct s2e_lock lock = {-1};
	char *root = NULL;
	int rc = 1;

	if (porcelain_lock(NULL, &root, &lock) == 0 && fn(root, a, b) == 0)
		rc = 0;
	s2e_unlock(&lock);
	free(root);
	return rc ? fail(what) : 0;
}

static const char *add_ca_file; /* remote add --ca-file */

static int do_add(const char *root, const char *name, const char *url)
{
	return s2e_remote_add(root, name, url, add_ca_file);
}

static int do_remove(const char *root, const char *name, const char *unused)
{
	(void)unused;
	return s2e_remote_remove(root, name);
}

static int cmd_remote_add(int argc, char **argv)
{
	const struct s2e_option options[] = {
		OPT_STRING(0, "ca-file", &add_ca_file, "FILE",
			   "https://: trust the CA certificates in FILE (PEM)"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e remote add", .usage = add_usage, .options = options};
	int rc = parse(&cmd, &argc, argv, 2, "takes a NAME and a URL");

	if (rc >= 0)
		return rc;
	if (s2e_remote_name_check(argv[0]))
		return fail("remote add");
	return locked("remote add", do_add, argv[0], argv[1]);
}

static int cmd_remote_remove(int argc, char **argv)
{
	const struct s2e_option options[] = {OPT_S2EDIR(), OPT_END()};
	const struct s2e_command cmd = {.name = "s2e remote remove", .usage = remove_usage, .options = options};
	int rc = parse(&cmd, &argc, argv, 1, "takes a NAME");

	if (rc >= 0)
		return rc;
	return locked("remote remove", do_remove, argv[0], NULL);
}

static int cmd_remote_list(int argc, char **argv)
{
	const struct s2e_option options[] = {OPT_S2EDIR(), OPT_END()};
	const struct s2e_command cmd = {.name = "s2e remote list", .usage = list_usage, .options = options};
	struct s2e_remote *remotes = NULL;
	size_t n = 0;
	char *root;
	int rc = parse(&cmd, &argc, argv, 0, "takes no operands");

	if (rc >= 0)
		return rc;
	root = porcelain_root(NULL);
	if (!root)
		return fail("remote list");
	rc = s2e_remote_list(root, &remotes, &n) == 0 ? 0 : 1;
	for (size_t i = 0; i < n; i++)
		printf("%s\t%s\n", remotes[i].name, remotes[i].url);
	s2e_remote_list_free(remotes, n);
	free(root);
	return rc ? fail("remote list") : 0;
}

static const struct porcelain_cmd remote_commands[] = {
	{"add", cmd_remote_add, "add a remote"},
	{"remove", cmd_remote_remove, "remove a remote"},
	{"list", cmd_remote_list, "list the remotes"},
	{NULL, NULL, NULL},
};

static const char *const usage[] = {
	"s2e remote [--s2edir DIR] COMMAND [ARGS]",
	NULL,
	"The git remotes through which hosts share their histories (see s2e-history(1)).",
	"Commands:",
	"",
	"   add      s2e remote add [--ca-file FILE] NAME URL",
	"   remove   s2e remote remove NAME",
	"   list     s2e remote list",
	NULL,
};

int cmd_remote(int argc, char **argv)
{
	return porcelain_group("s2e remote", usage, remote_commands, argc, argv);
}
