/* s2e vm import --s2e-env [-f] DIR [NAME] and s2e vm export --s2e-env NAME
 * DIR: s2e-env image directories (include/s2e/s2eenv.h). */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/s2eenv.h"
#include "s2e/vmops.h"

static const char *const usage[] = {
	"s2e vm import --s2e-env [-f] DIR [NAME]",
	NULL,
	"Make VM NAME (default: image.json's name, else DIR's) of the s2e-env image",
	"directory DIR: image.raw.s2e, its snapshots image.raw.s2e.SNAP and the",
	"settings of image.json.",
	NULL,
};

int cmd_vm_import_s2e_env(int argc, char **argv)
{
	int env = 0, force = 0, rc;
	const struct s2e_option options[] = {
		OPT_BOOL(0, "s2e-env", &env, "DIR is an s2e-env image directory"),
		OPT_BOOL('f', "force", &force, "replace an existing VM"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm import", usage, options,
					"takes DIR and an optional NAME", 1, 2};
	struct porcelain_run run;

	(void)env;
	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = s2e_vm_import_s2e_env(run.root, argv[0], argc == 2 ? argv[1] : NULL,
				   force ? S2E_VMOP_FORCE : 0, &run.report, NULL);
	return porcelain_finish(&run, rc);
}

static const char *const export_usage[] = {
	"s2e vm export --s2e-env NAME DIR",
	NULL,
	"Write VM NAME as the s2e-env image directory DIR (which must not exist):",
	"image.raw.s2e, image.raw.s2e.SNAP and image.json, from the image.json it was",
	"imported with and its settings of now.",
	NULL,
};

int cmd_vm_export_s2e_env(int argc, char **argv)
{
	int env = 0, rc;
	const struct s2e_option options[] = {
		OPT_BOOL(0, "s2e-env", &env, "write an s2e-env image directory"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm export", export_usage, options,
					"takes NAME and DIR", 2, 2};
	struct porcelain_run run;

	(void)env;
	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = s2e_vm_export_s2e_env(run.root, argv[0], argv[1], &run.report);
	return porcelain_finish(&run, rc);
}
