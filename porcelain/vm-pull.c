/* s2e vm pull [-f] [-j N] STORE/NAME [LOCALNAME] */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/size.h"
#include "s2e/storeops.h"

static const char *const usage[] = {
	"s2e vm pull [-f] [-j N] STORE/NAME [LOCALNAME]",
	NULL,
	"Fetch VM NAME from STORE (a directory, file://PATH, http(s)://URL or",
	"s3://BUCKET/PREFIX) as LOCALNAME (default NAME): every chunk and file",
	"checked, the VM written sparse and renamed into place only when complete.",
	NULL,
};

int cmd_vm_pull(int argc, char **argv)
{
	int force = 0, rc = -1;
	unsigned jobs = 0;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace an existing VM LOCALNAME, once the new one is complete"),
		OPT_JOBS_DEFAULT(&jobs, "twice the cores"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm pull", usage, options,
					"takes a STORE/NAME and an optional LOCALNAME", 1, 2};
	struct porcelain_run run;
	struct s2e_chunk_stats s;
	char *store = NULL, *remote = NULL, size[32];

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = s2e_store_operand(argv[0], 0, &store, &remote);
	if (!rc)
		rc = s2e_vm_pull(run.root, store, remote, argc == 2 ? argv[1] : NULL, jobs,
				 force ? S2E_VMOP_FORCE : 0, &run.report, &s);
	if (!rc) {
		s2e_size_human(s.fetched_bytes, size, sizeof(size));
		printf("pulled %llu of %llu chunks, %s; %llu from local VMs\n",
		       (unsigned long long)s.fetched, (unsigned long long)s.chunks, size,
		       (unsigned long long)s.seeded);
	}
	free(store);
	free(remote);
	return porcelain_finish(&run, rc);
}
