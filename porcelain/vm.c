/* s2e vm: dispatch to the VM commands. */
#include <stdio.h>
#include <string.h>

#include "porcelain.h"

static const struct porcelain_cmd vm_commands[] = {
	{"create", cmd_vm_create, "create a VM with an empty sparse disk image"},
	{"list", cmd_vm_list, "list VMs, their sizes and snapshots"},
	{"clone", cmd_vm_clone, "copy a VM and its snapshots"},
	{"export", cmd_vm_export, "write a VM as a package"},
	{"import", cmd_vm_import, "make a VM from a package or a raw image"},
	{"push", cmd_vm_push, "upload a VM to a store"},
	{"pull", cmd_vm_pull, "fetch a VM from a store"},
	{"delete", cmd_vm_delete, "delete VMs or snapshots"},
	{"rename", cmd_vm_rename, "rename a VM"},
	{"info", cmd_vm_info, "show everything about one VM"},
	{"run", cmd_vm_run_entry, "run QEMU/S2E on a VM, or a batch of runs"},
	{"status", cmd_vm_status, "show VMs changed outside s2e, and record them"},
	{"config", cmd_vm_config, "show or change a VM's settings"},
	{NULL, NULL, NULL},
};

static const char *const usage[] = {
	"s2e vm [--s2edir DIR] COMMAND [ARGS]",
	NULL,
	"Commands (each has --help and a page s2e-vm-COMMAND(1)):",
	"",
	"   create   s2e vm create [-f] NAME [SIZE]",
	"   list     s2e vm list [--json | --short] [NAME...]",
	"   clone    s2e vm clone [-f] SRC DST",
	"   export   s2e vm export [-f] [--format gzip|zstd|none] NAME [FILE|-]",
	"            s2e vm export --s2e-env NAME DIR",
	"   import   s2e vm import [--raw] [-f] FILE|- [NAME]",
	"            s2e vm import --s2e-env [-f] DIR [NAME]",
	"   push     s2e vm push [-f] [-j N] NAME STORE[/REMOTENAME]",
	"   pull     s2e vm pull [-f] [-j N] STORE/NAME [LOCALNAME]",
	"   delete   s2e vm delete [-y] NAME[:SNAP]...",
	"   rename   s2e vm rename OLD NEW",
	"   info     s2e vm info [--json] NAME",
	"   run      s2e vm run [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]",
	"   status   s2e vm status [--json] [--record] [NAME...]",
	"   config   s2e vm config NAME [KEY [VALUE]]",
	NULL,
};

int cmd_vm(int argc, char **argv)
{
	return porcelain_group("s2e vm", usage, vm_commands, argc, argv);
}
