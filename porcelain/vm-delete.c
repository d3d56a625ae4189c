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
	const struct s2e_command cmd = {"s2e vm delete", usage, options,
					"takes one NAME or NAME:SNAP", 1, 1};
	struct porcelain_run run;
	char *name = NULL, *snap = NULL;

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	if (s2e_vm_ref_parse(argv[0], &name, &snap) == 0) {
		if (snap)
			rc = s2e_vm_delete_snapshot(run.root, name, snap, &run.report);
		else if (yes || (rc = confirm(run.root, name)) == 0)
			rc = s2e_vm_delete(run.root, name, &run.report);
	}
	free(name);
	free(snap);
	return porcelain_finish(&run, rc);
}
