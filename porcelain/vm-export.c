/* s2e vm export [-f] NAME [FILE|-]: parse, s2e_vm_export(), report
 * (include/s2e/vmpkg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/vmpkg.h"

static const char *const usage[] = {
	"s2e vm export [-f] [--format gzip|zstd|none] NAME [FILE|-]",
	NULL,
	"Package VM NAME into FILE (default ./NAME.tar.gz, or .tar.zst or .tar by format; a",
	"directory gets that name inside it; '-' writes to standard output).  FILE's",
	"suffix chooses the format: .tar.gz or .tgz gzip, .tar.zst or .tzst zstd, .tar",
	"none; --format may not contradict it.",
	NULL,
};

static void info(void *st, const char *text)
{
	s2e_status_info(st, "%s", text);
}

int cmd_vm_export(int argc, char **argv)
{
	int force = 0, rc = -1;
	const char *format = NULL, *file;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace an existing FILE"),
		OPT_STRING(0, "format", &format, "FORMAT", "gzip, zstd or none (default: by FILE's suffix, else gzip)"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm export", usage, options,
					"takes a NAME and an optional FILE", 1, 2};
	struct s2e_pkg_report report = {.info = info};
	struct porcelain_run run;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--s2e-env"))
			return cmd_vm_export_s2e_env(argc, argv);

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	file = argc == 2 ? argv[1] : NULL;
	if (file && !strcmp(file, "-")) /* stdout carries the package */
		s2e_status_init(&run.st, stderr);
	report.vm = run.report;
	rc = s2e_vm_export(run.root, argv[0], file, format, force ? S2E_PKG_FORCE : 0, &report);
	return porcelain_finish(&run, rc);
}
