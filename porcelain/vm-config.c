/* s2e vm config NAME [KEY [VALUE]]: a VM's settings (include/s2e/vmconfig.h),
 * with git config's semantics. */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/quote.h"
#include "s2e/vmconfig.h"

static const char *const usage[] = {
	"s2e vm config [--list] NAME",
	"s2e vm config [--get-all] NAME KEY",
	"s2e vm config NAME KEY VALUE",
	"s2e vm config --add NAME KEY VALUE",
	"s2e vm config --unset NAME KEY",
	NULL,
	"Show or change the settings VM NAME keeps in its vm.config: the defaults of",
	"'s2e vm run' (run.memory, run.network, run.nic, run.build, run.qemu, and",
	"run.qemuArg, which takes several values) and its description (image.os,",
	"image.version, image.arch, image.build, image.description).  NAME alone lists",
	"the file as 'git config --list' does; KEY prints its last value (--get-all:",
	"every value; exit 1 when unset).  KEY VALUE replaces every value of KEY, --add",
	"appends one, --unset removes every value.  Each change is one commit, and is",
	"refused while a run uses the VM.",
	NULL,
};

struct cli {
	int list, add, unset, get_all;
};

static int show(const char *root, const char *name, const char *key, int all)
{
	struct s2e_config cfg;
	struct s2e_strv values = S2E_STRV_INIT;
	int rc = s2e_vmconfig_read(root, name, &cfg);

	if (rc)
		return rc;
	if (!key) {
		rc = s2e_vmconfig_list(stdout, &cfg);
	} else {
		rc = s2e_vmconfig_get(&cfg, key, &values);
		if (!rc && !values.n)
			rc = s2e_error_set(S2E_ENOTFOUND, "VM %s: %s is not set", s2e_q(name),
					   s2e_q(key));
		for (size_t i = all ? 0 : values.n - (values.n > 0); !rc && i < values.n; i++)
			printf("%s\n", values.v[i]);
	}
	s2e_strv_clear(&values);
	s2e_config_free(&cfg);
	return rc;
}

/* The operands against the mode: NULL when fine, else what is wrong. */
static const char *check(const struct cli *c, int argc)
{
	if (c->list + c->add + c->unset + c->get_all > 1)
		return "--list, --get-all, --add and --unset exclude each other";
	if (c->list)
		return argc == 1 ? NULL : "--list takes NAME only";
	if (c->add)
		return argc == 3 ? NULL : "--add takes NAME KEY VALUE";
	if (c->unset)
		return argc == 2 ? NULL : "--unset takes NAME KEY";
	if (c->get_all)
		return argc == 2 ? NULL : "--get-all takes NAME KEY";
	return argc >= 1 && argc <= 3 ? NULL : "takes NAME [KEY [VALUE]]";
}

int cmd_vm_config(int argc, char **argv)
{
	struct cli c = {0};
	const struct s2e_option options[] = {
		OPT_BOOL('l', "list", &c.list, "list every key of vm.config"),
		OPT_BOOL(0, "get-all", &c.get_all, "print every value of KEY"),
		OPT_BOOL(0, "add", &c.add, "add a value to KEY (run.qemuArg)"),
		OPT_BOOL(0, "unset", &c.unset, "remove every value of KEY"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e vm config", .usage = usage, .options = options};
	const char *why;
	char *root;
	int rc = -1;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	why = check(&c, argc);
	if (why)
		return s2e_usage_fail(&cmd, stderr, "%s", why);
	root = porcelain_root(NULL);
	if (root && argc <= 2 && !c.unset)
		rc = show(root, argv[0], argc == 2 ? argv[1] : NULL, c.get_all);
	else if (root)
		rc = s2e_vmconfig_change(root, argv[0],
					 c.add	   ? S2E_VMCONFIG_ADD
					 : c.unset ? S2E_VMCONFIG_UNSET
						   : S2E_VMCONFIG_SET,
					 argv[1], argc == 3 ? argv[2] : NULL);
	free(root);
	return porcelain_done(&cmd, rc);
}
