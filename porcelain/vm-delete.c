/* s2e vm delete [-y] NAME[:SNAP] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/vm.h"
#include "s2e/vmops.h"

static const char *const usage[] = {
	"s2e vm delete [-y] NAME[:SNAP]",
	NULL,
	"Delete snapshot SNAP of VM NAME, or the whole VM NAME (asking first).",
	NULL,
};

/* "Delete VM NAME? [y/N] " on a terminal; no terminal means no.  Asked
 * before the lock is taken: a prompt must not hold up others. */
static int confirm(const char *root, const char *name)
{
	char answer[64];

	if (s2e_vm_exists(root, name) != 1)
		return s2e_error_set(S2E_ENOTFOUND, "no such VM %s", s2e_q(name));
	if (!isatty(STDIN_FILENO))
		return s2e_error("refusing to delete VM %s without confirmation: standard input "
				 "is not a terminal (use -y)",
				 s2e_q(name));
	fprintf(stderr, "Delete VM %s? [y/N] ", name);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		answer[0] = '\0';
	answer[strcspn(answer, "\r\n")] = '\0';
	if (!strcasecmp(answer, "y") || !strcasecmp(answer, "yes"))
		return 0;
	return s2e_error("VM %s not deleted", s2e_q(name));
}

int cmd_vm_delete(int argc, char **argv)
{
	int yes = 0, rc = -1;
	const struct s2e_option options[] = {
		OPT_BOOL('y', "yes", &yes, "do not ask (needed when standard input is not a terminal)"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm delete", usage, options};
	struct s2e_vm_report report;
	struct s2e_status st;
	char *root = NULL, *name = NULL, *snap = NULL;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (argc != 1)
		return s2e_usage_fail(&cmd, stderr, "takes one NAME or NAME:SNAP");
	porcelain_report(&report, &st, stdout);
	if (s2e_vm_ref_parse(argv[0], &name, &snap) == 0 && (root = porcelain_root(NULL))) {
		if (snap)
			rc = s2e_vm_delete_snapshot(root, name, snap, &report);
		else if (yes || (rc = confirm(root, name)) == 0)
			rc = s2e_vm_delete(root, name, &report);
	}
	free(root);
	free(name);
	free(snap);
	return porcelain_done(&cmd, rc);
}
