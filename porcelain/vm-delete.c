/* s2e vm delete [-y] NAME[:SNAP]... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/strv.h"
#include "s2e/vm.h"
#include "s2e/vmops.h"

static const char *const usage[] = {
	"s2e vm delete [-y] NAME[:SNAP]...",
	NULL,
	"Delete snapshot SNAP of VM NAME, or the whole VM NAME (asking first).  With",
	"several, each must exist and none be in use before any is deleted.",
	NULL,
};

/* The operands, split: names[i] and snaps[i] (NULL for a whole VM). */
struct refs {
	char **names, **snaps;
	int n, vms; /* vms: how many are whole VMs */
};

static void refs_free(struct refs *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->names[i]);
		free(r->snaps[i]);
	}
	free(r->names);
	free(r->snaps);
}

/* Parse and check every operand before anything is deleted; each problem
 * is reported, and any one fails the whole command. */
static int check_all(const char *root, int argc, char **argv, struct refs *r)
{
	int bad = 0;

	r->names = calloc((size_t)argc, sizeof(*r->names));
	r->snaps = calloc((size_t)argc, sizeof(*r->snaps));
	if (!r->names || !r->snaps)
		return s2e_error("out of memory");
	for (int i = 0; i < argc; i++) {
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= !strcmp(argv[i], argv[j]);
		if (s2e_vm_ref_parse(argv[i], &r->names[r->n], &r->snaps[r->n]) ||
		    (dup && s2e_error("%s is named twice", s2e_q(argv[i]))) ||
		    s2e_vm_delete_check(root, r->names[r->n], r->snaps[r->n])) {
			if (argc > 1)
				fail("vm delete");
			free(r->names[r->n]);
			free(r->snaps[r->n]);
			bad++;
			continue;
		}
		r->vms += !r->snaps[r->n];
		r->n++;
	}
	if (bad && argc > 1)
		return s2e_error("nothing deleted: %d of %d operands %s wrong", bad, argc,
				 bad == 1 ? "is" : "are");
	return bad ? -1 : 0;
}

/* "Delete VM NAME? [y/N] " ("Delete VMs A, B? [y/N] ") on a terminal; no
 * terminal means no.  Asked before the lock is taken: a prompt must not hold
 * up others. */
static int confirm(const struct refs *r)
{
	char answer[64], what[256];
	const char *sep = "";
	int first = 0;

	while (r->snaps[first])
		first++;
	if (r->vms > 1)
		snprintf(what, sizeof(what), "%d VMs", r->vms);
	else
		snprintf(what, sizeof(what), "VM %s", s2e_q(r->names[first]));
	if (!isatty(STDIN_FILENO))
		return s2e_error("refusing to delete %s without confirmation: standard input "
				 "is not a terminal (use -y)",
				 what);
	fprintf(stderr, "Delete VM%s ", r->vms > 1 ? "s" : "");
	for (int i = 0; i < r->n; i++, sep = ", ")
		if (!r->snaps[i])
			fprintf(stderr, "%s%s", sep, s2e_printable(r->names[i]));
	fputs("? [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		answer[0] = '\0';
	answer[strcspn(answer, "\r\n")] = '\0';
	if (!strcasecmp(answer, "y") || !strcasecmp(answer, "yes"))
		return 0;
	return s2e_error("%s not deleted", what);
}

int cmd_vm_delete(int argc, char **argv)
{
	int yes = 0, rc;
	const struct s2e_option options[] = {
		OPT_BOOL('y', "yes", &yes, "do not ask (needed when standard input is not a terminal)"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm delete", usage, options,
					"takes one or more NAME or NAME:SNAP", 1, -1};
	struct porcelain_run run;
	struct refs refs = {0};

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = check_all(run.root, argc, argv, &refs);
	if (!rc && refs.vms && !yes)
		rc = confirm(&refs);
	for (int i = 0; !rc && i < refs.n; i++)
		rc = refs.snaps[i] ? s2e_vm_delete_snapshot(run.root, refs.names[i], refs.snaps[i],
							    &run.report)
				   : s2e_vm_delete(run.root, refs.names[i], &run.report);
	refs_free(&refs);
	return porcelain_finish(&run, rc);
}
