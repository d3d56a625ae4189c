/* s2e vm rename OLD NEW: parse, s2e_vm_rename(), report. */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/vmops.h"

static const char *const usage[] = {
	"s2e vm rename OLD NEW",
	NULL,
	"Rename VM OLD to NEW, with its snapshots, settings and history.",
	NULL,
};

int cmd_vm_rename(int argc, char **argv)
{
	const struct s2e_option options[] = {
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm rename", usage, options,
					"takes a VM OLD and its new name NEW", 2, 2};
	struct porcelain_run run;

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	return porcelain_finish(&run, s2e_vm_rename(run.root, argv[0], argv[1], &run.report));
}
