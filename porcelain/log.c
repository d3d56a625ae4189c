/* s2e log [--vm NAME] [--experiments] [--json] [-n N] [-v]: the history of VMs
 * and experiments, read with libgit2's revwalk.  `git -C "$S2EDIR" log` shows
 * the same commits. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/hostid.h"
#include "s2e/log.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/vm.h"

static const char *const usage[] = {
	"s2e log [--all] [--vm NAME] [--experiments] [--json] [-n N] [-v]",
	"s2e log show [HOSTID/]EXP",
	NULL,
	"Show the history of VMs and experiments, newest first: one line per",
	"operation (commit id, date, what was done).",
	NULL,
};

struct out {
	int json, verbose, all;
	size_t count;
};

static void json_str(const char *key, const char *value, int comma)
{
	printf("%s\"%s\": ", comma ? ", " : "", key);
	if (value)
		s2e_json_string(stdout, value);
	else
		fputs("null", stdout);
}

static void json_strv(const char *key, const struct s2e_strv *sv)
{
	printf(", \"%s\": [", key);
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			fputs(", ", stdout);
		s2e_json_string(stdout, sv->v[i]);
	}
	fputs("]", stdout);
}

/* The record's text fields, in the order --json shows them: NULL ends a
 * group, between which the numeric fields go. */
#define FIELD(key, member) {key, offsetof(struct s2e_experiment, member)}
static const struct {
	const char *key;
	size_t offset;
} text_fields[] = {
	FIELD("name", name),
	FIELD("vm", vm),
	FIELD("snapshot", snapshot),
	FIELD("mode", mode),
	FIELD("build", build),
	FIELD("image", image),
	FIELD("state", state),
	FIELD("started", started),
	FIELD("ended", ended),
	{NULL, 0},
	FIELD("commandLine", cmdline),
	FIELD("outputDir", output_dir),
	FIELD("configFile", config_file),
	FIELD("diskBefore", disk_before),
	FIELD("diskAfter", disk_after),
	{NULL, 0},
	FIELD("snapshotDigest", snapshot_digest),
	FIELD("snapshotRecordedDisk", snapshot_disk),
	{NULL, 0},
};
#undef FIELD

/* The next group of text fields from *i on; *i is left past its end. */
static void json_texts(const struct s2e_experiment *x, size_t *i)
{
	for (; text_fields[*i].key; (*i)++)
		json_str(text_fields[*i].key,
			 *(char *const *)((const char *)x + text_fields[*i].offset), *i > 0);
	(*i)++;
}

static void json_experiment(const struct s2e_experiment *x)
{
	size_t i = 0;

	fputs("{", stdout);
	json_texts(x, &i);
	if (x->duration >= 0)
		printf(", \"duration\": %.3f", x->duration);
	else
		fputs(", \"duration\": null", stdout);
	if (x->exit_status >= 0)
		printf(", \"exitStatus\": %d", x->exit_status);
	else
		fputs(", \"exitStatus\": null", stdout);
	printf(", \"signal\": %d, \"timedOut\": %s, \"forced\": %s", x->signal,
	       x->timed_out ? "true" : "false", x->forced ? "true" : "false");
	if (x->timeout > 0)
		printf(", \"timeout\": %.3f", x->timeout);
	json_texts(x, &i);
	if (x->disk_changed >= 0)
		printf(", \"diskChanged\": %s", x->disk_changed ? "true" : "false");
	json_texts(x, &i);
	json_strv("snapshotsAdded", &x->snaps_added);
	json_strv("snapshotsRemoved", &x->snaps_removed);
	json_strv("snapshotsRetaken", &x->snaps_retaken);
	fputs("}", stdout);
}

static int write_error(void)
{
	return ferror(stdout) ? s2e_error_errno("cannot write the log") : 0;
}

static int show_text(const struct s2e_log_entry *e, struct out *o, const char *date)
{
	/* A history may hold commits s2e did not write: nothing of them
	 * reaches the terminal raw. */
	if (o->all)
		log_lab_text(e, date);
	else
		printf("%.7s %s %s\n", e->oid, date, s2e_printable(e->subject));
	if (o->verbose && *e->body) {
		for (const char *p = e->body; *p;) {
			size_t len = strcspn(p, "\n");
			char *line = strndup(p, len);
			printf("    %s\n", line ? s2e_printable(line) : "");
			free(line);
			p += len;
			if (*p)
				p++;
		}
		putchar('\n');
	}
	o->count++;
	return write_error();
}

static int show_json(const struct s2e_log_entry *e, struct out *o, const char *date)
{
	char iso[40];

	/* ISO 8601: "2026-11-28 10:00:00 +0100" -> "2026-11-28T10:00:00+01:00" */
	snprintf(iso, sizeof(iso), "%.10sT%.8s%.3s:%.2s", date, date + 11, date + 20, date + 23);
	fputs(o->count ? ",\n  {" : "\n  {", stdout);
	json_str("commit", e->oid, 0);
	json_str("author", e->author, 1);
	json_str("email", e->email, 1);
	json_str("date", iso, 1);
	json_str("subject", e->subject, 1);
	if (o->all) {
		struct s2e_host h;
		if (log_host(e, &h) == 0) {
			json_str("hostId", h.id[0] ? h.id : NULL, 1);
			json_str("host", h.name, 1);
			json_str("user", h.user, 1);
		}
	}
	json_str("body", e->body, 1);
	json_strv("vms", &e->vms);
	fputs(", \"experiments\": [", stdout);
	for (size_t i = 0; i < e->nexperiments; i++) {
		if (i)
			fputs(", ", stdout);
		json_experiment(&e->experiments[i]);
	}
	fputs("]}", stdout);
	o->count++;
	return write_error();
}

static int show(const struct s2e_log_entry *e, void *ctx)
{
	struct out *o = ctx;
	char date[64];

	s2e_log_date(e, date, sizeof(date));
	return o->json ? show_json(e, o, date) : show_text(e, o, date);
}

static int opt_count(const struct s2e_option *opt, const char *value)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (*end || !*value || *value == '-' || n == 0 || errno)
		return s2e_error("invalid count '%s': expected a number > 0", value);
	*(size_t *)opt->value = n;
	return 0;
}

/* The walk, between the JSON brackets. */
static int walk(const struct s2e_log_filter *filter, struct out *o)
{
	char *root = porcelain_root(NULL);
	int rc;

	if (!root)
		return -1;
	if (o->json)
		fputs("[", stdout);
	rc = s2e_log_walk_follow(root, filter, show, o);
	free(root);
	if (rc < 0)
		return -1;
	if (o->json)
		fputs(o->count ? "\n]\n" : "]\n", stdout);
	if (fflush(stdout))
		return s2e_error_errno("cannot write the log");
	return 0;
}

static int count(const struct s2e_log_entry *e, void *ctx)
{
	(void)e;
	(*(size_t *)ctx)++;
	return 0;
}

/* --vm NAME names a VM of S2EDIR now, or one its history knows (deleted,
 * renamed): else an error, not an empty log. */
static int known_vm(const struct s2e_log_filter *filter)
{
	struct s2e_log_filter any = {.vm = filter->vm, .all = filter->all, .max = 1};
	char *root = porcelain_root(NULL);
	size_t n = 0;
	int rc = root ? s2e_vm_exists(root, filter->vm) : -1;

	if (rc == 0 && (rc = s2e_log_walk(root, &any, count, &n)) >= 0)
		rc = n > 0;
	if (rc == 0)
		s2e_error("no VM named %s in %s or its history", s2e_q(filter->vm), root);
	free(root);
	return rc > 0 ? 0 : -1;
}

int cmd_log(int argc, char **argv)
{
	struct s2e_log_filter filter = {0};
	struct out o = {0};
	const struct s2e_option options[] = {
		OPT_STRING(0, "vm", &filter.vm, "NAME", "only the life of VM NAME: its changes and runs"),
		OPT_BOOL(0, "experiments", &filter.experiments, "only experiment records (s2e vm run)"),
		OPT_BOOL(0, "json", &o.json, "machine-readable output, with the experiment records"),
		OPT_CALLBACK('n', "max-count", &filter.max, "N", "show at most N entries", opt_count),
		OPT_BOOL('v', "verbose", &o.verbose, "show each commit's body (what changed)"),
		OPT_BOOL(0, "all", &filter.all, "every host's history (see s2e history pull), with host and user"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e log", usage, options,
					"takes no operands (see --vm and --experiments)", 0, 0};

	if (argc > 1 && !strcmp(argv[1], "show"))
		return cmd_log_show(argc - 1, argv + 1);
	argc = s2e_parse_options(&cmd, argc, argv, 0);
	o.all = filter.all;
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (filter.vm && (s2e_vm_name_check(filter.vm) || known_vm(&filter)))
		return fail("log");
	if (walk(&filter, &o))
		return fail("log");
	return 0;
}
