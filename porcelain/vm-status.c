/* s2e vm status [--json] [--record] [NAME...] */
#include <stdio.h>
#include <stdlib.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/reconcile.h"
#include "s2e/s2edir.h"

static const char *const usage[] = {
	"s2e vm status [--json] [--record] [NAME...]",
	NULL,
	"Show what differs between the VMs on disk and the history: VMs and snapshots",
	"added, removed or changed by hand, what interrupted commands left, experiments",
	"whose s2e died, and VMs in use.  --record records the differences.",
	NULL,
};

/* A name found on disk: bare when it is a name s2e accepts, else quoted with
 * its unprintable bytes escaped, so that nothing reaches the terminal raw. */
static const char *shown(const char *name)
{
	return s2e_snap_name_check(name) ? s2e_q(name) : name;
}

/* "NAME", "NAME:SNAP", or the item alone. */
static void print_what(const struct s2e_change *c)
{
	if (c->vm && c->item && c->kind != S2E_CHANGE_INTERRUPTED)
		printf("%s:", shown(c->vm));
	printf("%s", shown(c->item ? c->item : c->vm));
	if (c->kind == S2E_CHANGE_INTERRUPTED && c->vm)
		printf(" (VM %s)", shown(c->vm));
	putchar('\n');
	s2e_error_clear();
}

static void print_group(const struct s2e_changes *ch, int recordable, const char *heading)
{
	int first = 1;

	for (size_t i = 0; i < ch->n; i++) {
		const struct s2e_change *c = &ch->v[i];
		if (s2e_change_recordable(c->kind) != recordable)
			continue;
		if (first)
			printf("%s\n", heading);
		first = 0;
		printf("\t%-24s", s2e_change_label(c->kind));
		print_what(c);
	}
}

static void print_text(const char *root, const struct s2e_changes *ch)
{
	size_t recordable = 0;

	printf("S2EDIR %s\n", s2e_q(root));
	for (size_t i = 0; i < ch->n; i++)
		recordable += s2e_change_recordable(ch->v[i].kind);
	if (!ch->n) {
		printf("nothing to record: the history matches the VMs on disk\n");
		return;
	}
	print_group(ch, 1, "Not recorded in the history (use \"s2e vm status --record\"):");
	print_group(ch, 0, "Not recordable (fix by hand, or wait for the run to end):");
	if (!recordable)
		printf("nothing to record\n");
}

static void print_json(const struct s2e_changes *ch)
{
	printf("[");
	for (size_t i = 0; i < ch->n; i++) {
		const struct s2e_change *c = &ch->v[i];
		printf("%s\n  {\"kind\": \"%s\", \"vm\": ", i ? "," : "", s2e_change_key(c->kind));
		if (c->vm)
			s2e_json_string(stdout, c->vm);
		else
			printf("null");
		printf(", \"item\": ");
		if (c->item)
			s2e_json_string(stdout, c->item);
		else
			printf("null");
		printf(", \"recordable\": %s}", s2e_change_recordable(c->kind) ? "true" : "false");
	}
	printf("%s]\n", ch->n ? "\n" : "");
}

/* Take the lock (which removes leftovers), scan again under it, record. */
static int record(char **names, int n)
{
	struct s2e_changes ch;
	struct s2e_lock lock = {-1};
	char *root = NULL;
	int rc = -1;

	if (porcelain_lock(NULL, &root, &lock))
		return -1;
	if (!s2e_reconcile_scan(root, (const char *const *)(n ? names : NULL), (size_t)n, &ch)) {
		rc = s2e_reconcile_record(root, &ch);
		s2e_changes_free(&ch);
	}
	s2e_unlock(&lock);
	free(root);
	return rc;
}

int cmd_vm_status(int argc, char **argv)
{
	int json = 0, do_record = 0, rc = 0;
	const struct s2e_option options[] = {
		OPT_BOOL(0, "json", &json, "print the differences as JSON, for scripts"),
		OPT_BOOL(0, "record", &do_record, "record the differences, one commit per VM"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "s2e vm status", .usage = usage, .options = options};
	struct s2e_changes ch;
	char *root;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	for (int i = 0; i < argc; i++)
		if (s2e_vm_name_check(argv[i]))
			return fail("vm status");
	if (do_record && record(argv, argc))
		return fail("vm status");
	root = porcelain_root(NULL);
	if (!root || s2e_reconcile_scan(root, (const char *const *)(argc ? argv : NULL),
					(size_t)argc, &ch)) {
		free(root);
		return fail("vm status");
	}
	if (json)
		print_json(&ch);
	else
		print_text(root, &ch);
	s2e_changes_free(&ch);
	free(root);
	return rc;
}
