/* s2e vm push [-f] [-j N] NAME STORE[/REMOTENAME] */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/size.h"
#include "s2e/storeops.h"

static const char *const usage[] = {
	"s2e vm push [-f] [-j N] NAME STORE[/REMOTENAME]",
	NULL,
	"Upload VM NAME and its snapshots to STORE (a directory, file://PATH or",
	"s3://BUCKET/PREFIX), as REMOTENAME (default NAME): the chunks the store",
	"lacks, then the indexes, then the manifest last.",
	NULL,
};

int cmd_vm_push(int argc, char **argv)
{
	int force = 0, rc = -1;
	unsigned jobs = 0;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace a VM of that name in the store"),
		OPT_JOBS_DEFAULT(&jobs, "all cores, twice that for S3"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm push", usage, options,
					"takes a NAME and a STORE", 2, 2};
	struct porcelain_run run;
	struct s2e_chunk_stats s;
	char *store = NULL, *remote = NULL, size[32];

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = s2e_store_operand(argv[1], 1, &store, &remote);
	if (!rc)
		rc = s2e_vm_push(run.root, argv[0], store, remote, jobs,
				 force ? S2E_VMOP_FORCE : 0, &run.report, &s);
	if (!rc) {
		s2e_size_human(s.stored_bytes, size, sizeof(size));
		printf("pushed %llu of %llu chunks, %s; %llu already in the store\n",
		       (unsigned long long)s.stored, (unsigned long long)s.chunks, size,
		       (unsigned long long)(s.chunks - s.stored));
	}
	free(store);
	free(remote);
	return porcelain_finish(&run, rc);
}
