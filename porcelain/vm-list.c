/* s2e vm list [--json|--short] [NAME...] — never takes the lock, never writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/vm.h"

static const char *const usage[] = {
	"s2e vm list [--json | --short] [NAME...]",
	NULL,
	"List VMs in the order they were created, with their snapshots in the order",
	"they were taken.  --short: one line per VM, NAME, size and snapshots",
	"separated by tabs (snapshots by ', ').",
	NULL,
};

enum format { TEXT, JSON, SHORT };

static void print_short(const struct s2e_vm_info *vm)
{
	char size[32];

	if (vm->defunct)
		snprintf(size, sizeof(size), "<defunct>");
	else
		s2e_size_mib(vm->size, size, sizeof(size));
	printf("%s\t%s\t", vm->name, size);
	for (size_t i = 0; i < vm->nsnaps; i++)
		printf("%s%s", i ? ", " : "", vm->snaps[i].name);
	putchar('\n');
}

static void print_text(const struct s2e_vm_info *vm)
{
	char size[32];

	printf("%s\n", vm->name);
	if (vm->defunct) {
		printf("  <defunct>\n");
	} else {
		s2e_size_mib(vm->size, size, sizeof(size));
		printf("  Size: %s\n", size);
	}
	if (vm->nsnaps)
		printf("  Snapshots:\n");
	for (size_t i = 0; i < vm->nsnaps; i++)
		printf("    %s\n", vm->snaps[i].name);
}

static void json_field(const char *key, const char *value, int last)
{
	printf("\"%s\": ", key);
	if (value)
		s2e_json_string(stdout, value);
	else
		fputs("null", stdout);
	fputs(last ? "" : ", ", stdout);
}

static void print_json(const struct s2e_vm_info *vm)
{
	char created[64];

	s2e_time_utc_of(&vm->created, created, sizeof(created));
	fputs("{", stdout);
	json_field("name", vm->name, 0);
	printf("\"defunct\": %s, ", vm->defunct ? "true" : "false");
	printf("\"recorded\": %s, ", vm->has_meta ? "true" : "false");
	printf("\"size\": %llu, \"allocated\": %llu, ", (unsigned long long)vm->size,
	       (unsigned long long)vm->allocated);
	json_field("created", vm->meta.created ? vm->meta.created : created, 0);
	json_field("origin", vm->meta.origin, 0);
	json_field("digest", vm->meta.digest, 0);
	fputs("\"snapshots\": [", stdout);
	for (size_t i = 0; i < vm->nsnaps; i++) {
		const struct s2e_snap_info *s = &vm->snaps[i];
		fputs(i ? ", {" : "{", stdout);
		json_field("name", s->name, 0);
		printf("\"size\": %llu, \"allocated\": %llu, \"recorded\": %s, ",
		       (unsigned long long)s->size, (unsigned long long)s->allocated,
		       s->recorded ? "true" : "false");
		json_field("disk_digest", s->disk_digest, 1);
		fputs("}", stdout);
	}
	fputs("]}", stdout);
}

static void print_all(struct s2e_vm_info *vms, size_t n, int format)
{
	if (format == JSON)
		fputs("[", stdout);
	for (size_t i = 0; i < n; i++) {
		if (format == JSON) {
			fputs(i ? ",\n " : "", stdout);
			print_json(&vms[i]);
		} else if (format == SHORT) {
			print_short(&vms[i]);
		} else {
			print_text(&vms[i]);
		}
	}
	if (format == JSON)
		fputs("]\n", stdout);
}

/* Only the VMs named, in the order named; a missing one is an error after
 * the others are shown. */
static int list_named(const char *root, char **names, int count, int json)
{
	struct s2e_vm_info *vms = calloc((size_t)count, sizeof(*vms));
	size_t n = 0;
	int rc = 0;

	if (!vms)
		return fail("vm list");
	for (int i = 0; i < count; i++) {
		if (s2e_vm_name_check(names[i]) || s2e_vm_describe(root, names[i], &vms[n])) {
			fail("vm list");
			rc = 1;
			continue;
		}
		n++;
	}
	print_all(vms, n, json);
	s2e_vm_list_free(vms, n);
	return rc;
}

/* Nothing to list from the default S2EDIR ($HOME/s2e, neither --s2edir
 * nor $S2EDIR given): say on stderr where we looked, which may not be where
 * the user keeps the VMs.  Stdout stays empty for scripts. */
static void say_where(const char *root, size_t n, int format)
{
	struct s2e_status st;

	if (n || format == JSON || porcelain_s2edir || getenv("S2EDIR"))
		return;
	s2e_status_init(&st, stderr);
	s2e_status_info(&st, "no VMs in %s (the default S2EDIR: set S2EDIR or use --s2edir DIR "
			     "for another)",
			s2e_printable(root));
}

int cmd_vm_list(int argc, char **argv)
{
	int json = TEXT, rc = 0;
	const struct s2e_option options[] = {
		OPT_SET_INT(0, "json", &json, "print the list as JSON, for scripts", JSON),
		OPT_SET_INT(0, "short", &json, "one line per VM: name, size, snapshots", SHORT),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e vm list", .usage = usage, .options = options};
	struct s2e_vm_info *vms;
	size_t n;
	char *root;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	root = porcelain_root(NULL);
	if (!root)
		return fail("vm list");
	if (argc) {
		rc = list_named(root, argv, argc, json);
	} else if (s2e_vm_list(root, &vms, &n)) {
		rc = fail("vm list");
	} else {
		print_all(vms, n, json);
		say_where(root, n, json);
		s2e_vm_list_free(vms, n);
	}
	free(root);
	return rc;
}
