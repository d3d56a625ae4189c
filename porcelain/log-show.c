/* s2e log show EXP: one experiment's record, readable (SPEC §9). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

static const char *const usage[] = {
	"s2e log show [HOSTID/]EXP",
	NULL,
	"Show experiment EXP as its record holds it: the VM or image, snapshot, mode,",
	"build or binary, digests, settings, options, the full QEMU command line, how",
	"it ended, and the copy of its S2E config.  's2e vm run --again EXP' runs it",
	"again.  HOSTID/EXP shows a record of another host (see s2e history pull).",
	NULL,
};

/* The copy of the S2E config, indented; none for kvm/prep runs. */
static int show_config(const char *root, const char *name)
{
	char *path = s2e_asprintf("%s/" S2E_EXPERIMENTS_DIR "/%s/" S2E_EXPERIMENT_CONFIG, root,
				  name),
	     *data = NULL;
	size_t len;

	if (!path)
		return -1;
	if (s2e_read_file(path, &data, &len)) {
		free(path);
		s2e_error_clear();
		return 0;
	}
	printf("\nS2E config (%s):\n", S2E_EXPERIMENT_CONFIG);
	for (const char *p = data; p < data + len;) {
		const char *nl = memchr(p, '\n', (size_t)(data + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
		printf("    %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
	free(data);
	free(path);
	return 0;
}

static int show(const char *root, const char *name)
{
	struct s2e_experiment e;
	char *text = NULL, *options = NULL;
	int rc = s2e_experiment_load(root, name, &e);

	if (rc == 0) {
		text = s2e_experiment_describe(&e);
		if (e.invocation.n)
			options = s2e_shell_join(e.invocation.v, e.invocation.n);
		rc = text ? 0 : s2e_error("out of memory");
	}
	if (rc == 0) {
		fputs(text, stdout);
		if (options)
			printf("Options: %s\n", options);
		rc = show_config(root, name);
	}
	s2e_experiment_free(&e);
	free(text);
	free(options);
	if (rc == 0 && (fflush(stdout) || ferror(stdout)))
		rc = s2e_error_errno("cannot write");
	return rc;
}

int cmd_log_show(int argc, char **argv)
{
	const struct s2e_option options[] = {
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e log show", usage, options,
					"takes one experiment name", 1, 1};
	struct porcelain_run run;

	/* HOSTID/EXP: a record of any host, pulled with s2e history pull. */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-' && strchr(argv[i], '/'))
			return cmd_log_show_host(argc, argv);
	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	return porcelain_finish(&run, show(run.root, argv[0]));
}
