/* s2e vm: dispatch to the VM commands. */
#include <stdio.h>
#include <string.h>

#include "porcelain.h"

static const char vm_usage[] =
	"usage: s2e vm create [-f] NAME [SIZE]\n"
	"   or: s2e vm list [--json] [NAME...]\n"
	"   or: s2e vm clone [-f] [--no-sync] SRC DST\n"
	"   or: s2e vm export [-f] [--format gzip|zstd|none] NAME [FILE|-]\n"
	"   or: s2e vm import [--raw] [-f] FILE|- NAME\n"
	"   or: s2e vm delete [-y] NAME[:SNAP]\n"
	"   or: s2e vm run [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]\n"
	"\n"
	"Every command takes --s2edir DIR and --help.  See s2e-vm(1).\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} vm_commands[] = {
	{"create", cmd_vm_create}, {"list", cmd_vm_list},	  {"clone", cmd_vm_clone},
	{"export", cmd_vm_export}, {"import", cmd_vm_import}, {"delete", cmd_vm_delete},
	{"run", cmd_vm_run},
};

int cmd_vm(int argc, char **argv)
{
	if (argc < 2)
		return usage_error(vm_usage, "'s2e vm' needs a command");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage_help(vm_usage);
	for (size_t i = 0; i < sizeof(vm_commands) / sizeof(vm_commands[0]); i++)
		if (!strcmp(vm_commands[i].name, argv[1]))
			return vm_commands[i].fn(argc - 1, argv + 1);
	return usage_error(vm_usage, "'%s' is not an 's2e vm' command; see 's2e vm --help'", argv[1]);
}
