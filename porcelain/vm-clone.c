/* s2e vm clone [-f] [--no-sync] SRC DST: copy a VM with its snapshots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/vmops.h"

static const char *const usage[] = {
	"s2e vm clone [-f] [--no-sync] SRC DST",
	NULL,
	"Copy VM SRC, its disk image and all its snapshots, to a new VM DST.  The copy",
	"shares blocks with SRC where the file system can (reflinks) and keeps holes",
	"everywhere.",
	NULL,
};

int cmd_vm_clone(int argc, char **argv)
{
	int force = 0, no_sync = 0, rc = -1;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace an existing VM DST, once the clone is complete"),
		OPT_BOOL(0, "no-sync", &no_sync, "do not wait for the data to reach the disk (like cp -r)"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm clone", usage, options,
					"takes a source VM SRC and a new name DST", 2, 2};
	struct porcelain_run run;

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	if (!strcmp(argv[0], argv[1])) {
		s2e_error_set(S2E_EUSAGE, "cannot clone VM '%s' onto itself: SRC and DST are the same",
			      argv[0]);
		return porcelain_finish(&run, S2E_EUSAGE);
	}
	rc = s2e_vm_clone(run.root, argv[0], argv[1],
			  (force ? S2E_VMOP_FORCE : 0) | (no_sync ? S2E_VMOP_NO_SYNC : 0), &run.report);
	return porcelain_finish(&run, rc);
}
