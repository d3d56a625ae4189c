/* s2e vm create [-f] NAME [SIZE] */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/vmops.h"

#define DEFAULT_SIZE "5120M"

static const char *const usage[] = {
	"s2e vm create [-f] NAME [SIZE]",
	NULL,
	"Create VM NAME with an empty sparse raw disk image of SIZE (default " DEFAULT_SIZE ").",
	NULL,
};

int cmd_vm_create(int argc, char **argv)
{
	int force = 0, rc = -1;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace an existing VM NAME, once the new one is complete"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm create", usage, options};
	struct s2e_vm_report report;
	struct s2e_status st;
	char *root;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (argc < 1 || argc > 2)
		return s2e_usage_fail(&cmd, stderr, "takes a NAME and an optional SIZE");
	porcelain_report(&report, &st, stdout);
	root = porcelain_root(NULL);
	if (root)
		rc = s2e_vm_create(root, argv[0], argc == 2 ? argv[1] : DEFAULT_SIZE,
				   force ? S2E_VMOP_FORCE : 0, &report);
	free(root);
	return porcelain_done(&cmd, rc);
}
