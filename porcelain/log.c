/* s2e log [--vm NAME] [--experiments] [--json] [-n N] [-v]: the history of VMs
 * and experiments, read with libgit2's revwalk.  `git -C "$S2EDIR" log` shows
 * the same commits. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/log.h"
#include "s2e/names.h"
#include "s2e/quote.h"

static const char usage[] =
    "usage: s2e log [--vm NAME] [--experiments] [--json] [-n N] [-v] [--s2edir DIR]\n"
    "\n"
    "Show the history of VMs and experiments, newest first: one line per\n"
    "operation (commit id, date, what was done).\n"
    "\n"
    "  --vm NAME          only the life of VM NAME: its changes and its runs\n"
    "  --experiments      only experiment records (s2e vm run)\n"
    "  --json             machine-readable output, with the experiment records\n"
    "  -n, --max-count N  show at most N entries\n"
    "  -v, --verbose      show each commit's body (what changed)\n"
    "  --s2edir DIR       use DIR instead of $S2EDIR\n"
    "  -h, --help         show this help\n";

struct out {
	int json, verbose;
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

static void json_strv(const char *key, char *const *v, size_t n)
{
	printf(", \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", stdout);
		s2e_json_string(stdout, v[i]);
	}
	fputs("]", stdout);
}

static void json_experiment(const struct s2e_experiment *x)
{
	fputs("{", stdout);
	json_str("name", x->name, 0);
	json_str("vm", x->vm, 1);
	json_str("snapshot", x->snapshot, 1);
	json_str("mode", x->mode, 1);
	json_str("build", x->build, 1);
	json_str("image", x->image, 1);
	json_str("state", x->state, 1);
	json_str("started", x->started, 1);
	json_str("ended", x->ended, 1);
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
	json_str("commandLine", x->cmdline, 1);
	json_str("outputDir", x->output_dir, 1);
	json_str("configFile", x->config_file, 1);
	json_str("diskBefore", x->disk_before, 1);
	json_str("diskAfter", x->disk_after, 1);
	if (x->disk_changed >= 0)
		printf(", \"diskChanged\": %s", x->disk_changed ? "true" : "false");
	json_str("snapshotDigest", x->snapshot_digest, 1);
	json_str("snapshotRecordedDisk", x->snapshot_disk, 1);
	json_strv("snapshotsAdded", x->snaps_added, x->nadded);
	json_strv("snapshotsRemoved", x->snaps_removed, x->nremoved);
	json_strv("snapshotsRetaken", x->snaps_retaken, x->nretaken);
	fputs("}", stdout);
}

static int show(const struct s2e_log_entry *e, void *ctx)
{
	struct out *o = ctx;
	char date[64];

	s2e_log_date(e, date, sizeof(date));
	if (!o->json) {
		printf("%.7s %s %s\n", e->oid, date, e->subject);
		if (o->verbose && *e->body) {
			for (const char *p = e->body; *p;) {
				size_t len = strcspn(p, "\n");
				printf("    %.*s\n", (int)len, p);
				p += len;
				if (*p)
					p++;
			}
			putchar('\n');
		}
		o->count++;
		return ferror(stdout) ? s2e_error_errno("cannot write the log") : 0;
	}
	/* ISO 8601: "2026-11-28 10:00:00 +0100" -> "2026-11-28T10:00:00+01:00" */
	char iso[40];
	snprintf(iso, sizeof(iso), "%.10sT%.8s%.3s:%.2s", date, date + 11, date + 20, date + 23);
	fputs(o->count ? ",\n  {" : "\n  {", stdout);
	json_str("commit", e->oid, 0);
	json_str("author", e->author, 1);
	json_str("email", e->email, 1);
	json_str("date", iso, 1);
	json_str("subject", e->subject, 1);
	json_str("body", e->body, 1);
	json_strv("vms", e->vms, e->nvms);
	fputs(", \"experiments\": [", stdout);
	for (size_t i = 0; i < e->nexperiments; i++) {
		if (i)
			fputs(", ", stdout);
		json_experiment(&e->experiments[i]);
	}
	fputs("]}", stdout);
	o->count++;
	return ferror(stdout) ? s2e_error_errno("cannot write the log") : 0;
}

int cmd_log(int argc, char **argv)
{
	static const struct option options[] = {
	    {"vm", required_argument, NULL, 'V'},
	    {"experiments", no_argument, NULL, 'e'},
	    {"json", no_argument, NULL, 'j'},
	    {"max-count", required_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    S2EDIR_LONGOPT,
	    {NULL, 0, NULL, 0},
	};
	struct s2e_log_filter filter = {0};
	struct out o = {0};
	const char *s2edir = NULL;
	char *root, *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+n:vh", options, NULL)) != -1) {
		switch (c) {
		case 'V':
			if (s2e_vm_name_check(optarg))
				return fail("log");
			filter.vm = optarg;
			break;
		case 'e':
			filter.experiments = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'n':
			filter.max = strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || filter.max == 0)
				return usage_error(
				    usage, "invalid count '%s': expected a number > 0", optarg);
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			return usage_help(usage);
		case S2EDIR_OPTION:
			s2edir = optarg;
			break;
		default:
			return usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	root = porcelain_root(s2edir);
	if (!root)
		return fail("log");
	if (o.json)
		fputs("[", stdout);
	rc = s2e_log_walk(root, &filter, show, &o);
	free(root);
	if (rc < 0)
		return fail("log");
	if (o.json)
		fputs(o.count ? "\n]\n" : "]\n", stdout);
	if (fflush(stdout)) {
		s2e_error_errno("cannot write the log");
		return fail("log");
	}
	return 0;
}
