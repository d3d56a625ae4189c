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
	const struct s2e_command cmd = {"s2e vm create", usage, options,
					"takes a NAME and an optional SIZE", 1, 2};
	struct porcelain_run run;

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = s2e_vm_create(run.root, argv[0], argc == 2 ? argv[1] : DEFAULT_SIZE,
			   force ? S2E_VMOP_FORCE : 0, &run.report);
	return porcelain_finish(&run, rc);
}
