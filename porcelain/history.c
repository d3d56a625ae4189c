/* s2e history push|pull: share this host's history through a remote, and
 * fetch every other host's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/remote.h"
#include "s2e/s2edir.h"

static const char *const push_usage[] = {
	"s2e history push [REMOTE]",
	NULL,
	"Push this host's history (HEAD) to refs/s2e/hosts/HOSTID on REMOTE (default:",
	"the only remote).  Never forced: if the remote holds another history under",
	"this host id, the push is refused and nothing changes there.",
	NULL,
};

static const char *const pull_usage[] = {
	"s2e history pull [REMOTE]",
	NULL,
	"Fetch every host's history from REMOTE (default: the only remote) into",
	"refs/s2e/remotes/REMOTE/hosts/HOSTID.  Local history is not touched.",
	NULL,
};

/* Parse, resolve S2EDIR and take its lock; 0, or the exit code + 1. */
static int start(const struct s2e_command *cmd, int *argc, char **argv, char **root,
		 struct s2e_lock *lock)
{
	*argc = s2e_parse_options(cmd, *argc, argv, 0);
	if (*argc < 0)
		return s2e_parse_options_exit(cmd, *argc, stdout, stderr) + 1;
	if (*argc > 1)
		return s2e_usage_fail(cmd, stderr, "takes at most one REMOTE") + 1;
	if (*argc == 1 && s2e_remote_name_check(argv[0]))
		return fail(cmd->name + 4) + 1;
	if (porcelain_lock(NULL, root, lock))
		return fail(cmd->name + 4) + 1;
	return 0;
}

/* Parse, lock, run op on (S2EDIR, REMOTE or NULL), unlock.  Returns the
 * exit code, or -1 when op succeeded and the caller is to report. */
static int locked(const struct s2e_command *cmd, int argc, char **argv,
		  int (*op)(const char *root, const char *remote, void *res), void *res)
{
	struct s2e_lock lock = {-1};
	char *root = NULL;
	int rc = start(cmd, &argc, argv, &root, &lock);

	if (rc)
		return rc - 1;
	rc = op(root, argc ? argv[0] : NULL, res);
	s2e_unlock(&lock);
	free(root);
	return rc ? fail(cmd->name + 4) : -1;
}

static int push_op(const char *root, const char *remote, void *res)
{
	return s2e_history_push(root, remote, res);
}

static int pull_op(const char *root, const char *remote, void *res)
{
	return s2e_history_pull(root, remote, res);
}

static int cmd_history_push(int argc, char **argv)
{
	const struct s2e_option options[] = {OPT_S2EDIR(), OPT_END()};
	const struct s2e_command cmd = {.name = "s2e history push", .usage = push_usage, .options = options};
	struct s2e_push_result res;
	struct s2e_status st;
	int rc = locked(&cmd, argc, argv, push_op, &res);

	if (rc >= 0)
		return rc;
	s2e_status_init(&st, stdout);
	if (res.up_to_date)
		s2e_status_info(&st, "%s already has this host's history as %s (%.7s)", res.remote,
				res.ref, res.new_oid);
	else
		s2e_status_ok(&st, "push history %.7s to %s as %s", res.new_oid, res.remote,
			      res.ref);
	return 0;
}

static int cmd_history_pull(int argc, char **argv)
{
	const struct s2e_option options[] = {OPT_S2EDIR(), OPT_END()};
	const struct s2e_command cmd = {.name = "s2e history pull", .usage = pull_usage, .options = options};
	struct s2e_pull_result res;
	struct s2e_status st;
	int rc = locked(&cmd, argc, argv, pull_op, &res);

	if (rc >= 0)
		return rc;
	s2e_status_init(&st, stdout);
	s2e_status_ok(&st, "pull from %s: %zu host%s, %zu new or updated", res.remote, res.hosts,
		      res.hosts == 1 ? "" : "s", res.updated);
	return 0;
}

static const struct porcelain_cmd history_commands[] = {
	{"push", cmd_history_push, "push this host's history to a remote"},
	{"pull", cmd_history_pull, "fetch every host's history from a remote"},
	{NULL, NULL, NULL},
};

static const char *const usage[] = {
	"s2e history [--s2edir DIR] COMMAND [ARGS]",
	NULL,
	"Share histories between hosts through a remote (see s2e-remote(1)).  Commands:",
	"",
	"   push   s2e history push [REMOTE]",
	"   pull   s2e history pull [REMOTE]",
	NULL,
};

int cmd_history(int argc, char **argv)
{
	return porcelain_group("s2e history", usage, history_commands, argc, argv);
}
