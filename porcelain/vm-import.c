/* s2e vm import [--raw] [-f] FILE|- [NAME]: parse, s2e_vm_import(), report
 * (include/s2e/vmpkg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/vmpkg.h"

static const char *const usage[] = {
	"s2e vm import [--raw] [-f] FILE|- [NAME]",
	NULL,
	"Create VM NAME from the package FILE ('-': standard input), made by 's2e vm",
	"export' or by tar (gzip, zstd, xz or uncompressed).  Without NAME, the name",
	"the package's manifest gives.",
	NULL,
};

static void warn(void *st, const char *text)
{
	s2e_status_warn(st, "%s", text);
}

static void info(void *st, const char *text)
{
	s2e_status_info(st, "%s", text);
}

int cmd_vm_import(int argc, char **argv)
{
	int force = 0, raw = 0, rc = -1;
	const struct s2e_option options[] = {
		OPT_BOOL(0, "raw", &raw, "FILE is a raw disk image: it becomes NAME's disk.s2e"),
		OPT_BOOL('f', "force", &force, "replace an existing VM NAME, once the new one is complete"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm import", usage, options,
					"takes a FILE (or -) and an optional NAME", 1, 2};
	struct s2e_pkg_report report = {.warn = warn, .info = info};
	struct porcelain_run run;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--s2e-env"))
			return cmd_vm_import_s2e_env(argc, argv);

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	report.vm = run.report;
	rc = s2e_vm_import(run.root, argv[0], argc == 2 ? argv[1] : NULL,
			   (force ? S2E_PKG_FORCE : 0) | (raw ? S2E_PKG_RAW : 0), &report);
	return porcelain_finish(&run, rc);
}
