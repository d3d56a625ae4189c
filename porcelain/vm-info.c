/* s2e vm info [--json] NAME: s2e_vm_details_read(), then text or JSON.
 * Never takes the lock, never writes.  Everything shown comes from files
 * and the history, so text goes through s2e_put_untrusted() and JSON
 * strings are valid UTF-8 (invalid bytes escaped first). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/vminfo.h"

/* Experiments shown, newest first. */
#define INFO_RUNS 5

static const char *const usage[] = {
	"s2e vm info [--json] NAME",
	NULL,
	"Show everything about VM NAME: its sizes (apparent and allocated), origin,",
	"snapshots with their times and digests, settings, and last experiments.",
	NULL,
};

/* "  Label: value", the value escaped; nothing for NULL. */
static void field(const char *label, const char *value)
{
	if (!value)
		return;
	printf("  %s: ", label);
	s2e_put_untrusted(stdout, value);
	putchar('\n');
}

/* 123 bytes, 4.0KiB, 1.5GiB: for allocated sizes, which need not be round. */
static const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
		return buf;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); v /= 1024)
		u++;
	snprintf(buf, len, "%.1f%s", v, units[u]);
	return buf;
}

static void print_sizes(const struct s2e_vm_details *d)
{
	char size[32], alloc[32], total[32];

	s2e_size_mib(d->vm.size, size, sizeof(size));
	if (d->vm.defunct)
		printf("  <defunct>\n");
	else
		printf("  Size: %s (%llu bytes)\n", size, (unsigned long long)d->vm.size);
	printf("  Allocated: %s, with snapshots %s\n",
	       human(d->vm.allocated, alloc, sizeof(alloc)),
	       human(d->allocated_total, total, sizeof(total)));
}

/* When a snapshot was taken, as recorded (NULL: not recorded). */
static const char *snap_taken(const struct s2e_vm_details *d, size_t i)
{
	const struct s2e_meta_snap *m =
		s2e_meta_find_snap((struct s2e_meta *)&d->vm.meta, d->vm.snaps[i].name);

	return m ? m->taken : NULL;
}

/* Its record, else its file's modification. */
static const char *snap_time(const struct s2e_vm_details *d, size_t i, char *buf, size_t len)
{
	const char *taken = snap_taken(d, i);

	if (taken)
		return taken;
	s2e_time_utc_of(&d->vm.snaps[i].mtime, buf, len);
	return buf;
}

static void print_lists(const struct s2e_vm_details *d)
{
	char when[64];

	printf("  Snapshots:%s\n", d->vm.nsnaps ? "" : " none");
	for (size_t i = 0; i < d->vm.nsnaps; i++) {
		const struct s2e_snap_info *s = &d->vm.snaps[i];
		fputs("    ", stdout);
		s2e_put_untrusted(stdout, s->name);
		printf("\t%s ", snap_taken(d, i) ? "taken" : "modified");
		s2e_put_untrusted(stdout, snap_time(d, i, when, sizeof(when)));
		putchar('\t');
		s2e_put_untrusted(stdout, s->disk_digest ? s->disk_digest : "disk digest unknown");
		puts(s->recorded ? "" : "\t(made by hand)");
	}
	printf("  Settings:%s\n", d->settings.n ? "" : " none");
	for (size_t i = 0; i < d->settings.n; i++) {
		const struct s2e_config_entry *e = &d->settings.entries[i];
		printf("    %s.", e->section);
		if (e->subsection) {
			s2e_put_untrusted(stdout, e->subsection);
			putchar('.');
		}
		printf("%s=", e->key);
		s2e_put_untrusted(stdout, e->value ? e->value : "true");
		putchar('\n');
	}
	printf("  Last experiments:%s\n", d->nruns ? "" : " none");
	for (size_t i = 0; i < d->nruns; i++) {
		const struct s2e_vm_run_summary *r = &d->runs[i];
		fputs("    ", stdout);
		s2e_put_untrusted(stdout, r->name);
		printf("\t");
		s2e_put_untrusted(stdout, r->mode);
		printf(" %s", r->snapshot ? "" : "(booted)");
		if (r->snapshot)
			s2e_put_untrusted(stdout, r->snapshot);
		printf("\t");
		s2e_put_untrusted(stdout, r->state ? r->state : "unknown");
		if (r->exit_status >= 0)
			printf(" (exit %d)", r->exit_status);
		printf("\t");
		s2e_put_untrusted(stdout, r->started ? r->started : "");
		putchar('\n');
	}
}

static void print_text(const struct s2e_vm_details *d)
{
	char created[64];

	s2e_put_untrusted(stdout, d->vm.name);
	putchar('\n');
	print_sizes(d);
	s2e_time_utc_of(&d->vm.created, created, sizeof(created));
	field("Created", d->vm.meta.created ? d->vm.meta.created : created);
	field("Origin", d->vm.has_meta ? (d->vm.meta.origin ? d->vm.meta.origin : "unknown")
				       : "made by hand (not recorded)");
	field("Disk digest", d->vm.meta.digest);
	field("Last commit", d->last_commit[0] ? d->last_commit : NULL);
	field("In use", d->in_use ? "yes (by a running s2e vm run)" : "no");
	print_lists(d);
}

/* A JSON string of untrusted text: as it is when valid UTF-8, else escaped. */
static void json_text(const char *s)
{
	char *escaped;
	unsigned cp;

	if (!s) {
		fputs("null", stdout);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = s2e_utf8_char(p, &cp);
		if (!n) {
			escaped = s2e_escape_untrusted(s);
			s2e_json_string(stdout, escaped ? escaped : "");
			free(escaped);
			return;
		}
		p += n;
	}
	s2e_json_string(stdout, s);
}

static void json_kv(const char *key, const char *value, const char *sep)
{
	printf("\"%s\": ", key);
	json_text(value);
	fputs(sep, stdout);
}

static void json_u64(const char *key, unsigned long long v, const char *sep)
{
	printf("\"%s\": %llu%s", key, v, sep);
}

static void json_snapshots(const struct s2e_vm_details *d)
{
	char when[64];

	fputs("\"snapshots\": [", stdout);
	for (size_t i = 0; i < d->vm.nsnaps; i++) {
		const struct s2e_snap_info *s = &d->vm.snaps[i];
		fputs(i ? ", {" : "{", stdout);
		json_kv("name", s->name, ", ");
		json_kv("taken", snap_taken(d, i), ", ");
		s2e_time_utc_of(&s->mtime, when, sizeof(when));
		json_kv("modified", when, ", ");
		printf("\"recorded\": %s, ", s->recorded ? "true" : "false");
		json_u64("size", s->size, ", ");
		json_u64("allocated", s->allocated, ", ");
		json_kv("disk_digest", s->disk_digest, "}");
	}
	fputs("], \"settings\": [", stdout);
	for (size_t i = 0; i < d->settings.n; i++) {
		const struct s2e_config_entry *e = &d->settings.entries[i];
		char *key = e->subsection ? s2e_asprintf("%s.%s.%s", e->section, e->subsection, e->key)
					  : s2e_asprintf("%s.%s", e->section, e->key);
		fputs(i ? ", {" : "{", stdout);
		json_kv("key", key ? key : "", ", ");
		json_kv("value", e->value ? e->value : "true", "}");
		free(key);
	}
	fputs("], ", stdout);
}

static void json_runs(const struct s2e_vm_details *d)
{
	fputs("\"experiments\": [", stdout);
	for (size_t i = 0; i < d->nruns; i++) {
		const struct s2e_vm_run_summary *r = &d->runs[i];
		fputs(i ? ", {" : "{", stdout);
		json_kv("name", r->name, ", ");
		json_kv("mode", r->mode, ", ");
		json_kv("snapshot", r->snapshot, ", ");
		json_kv("state", r->state, ", ");
		json_kv("started", r->started, ", ");
		json_kv("ended", r->ended, ", ");
		if (r->exit_status >= 0)
			printf("\"exit_status\": %d, ", r->exit_status);
		else
			fputs("\"exit_status\": null, ", stdout);
		json_kv("commit", r->commit, "}");
	}
	fputs("]", stdout);
}

static void print_json(const struct s2e_vm_details *d)
{
	char created[64];

	s2e_time_utc_of(&d->vm.created, created, sizeof(created));
	fputs("{", stdout);
	json_kv("name", d->vm.name, ", ");
	printf("\"defunct\": %s, \"recorded\": %s, \"in_use\": %s, ", d->vm.defunct ? "true" : "false",
	       d->vm.has_meta ? "true" : "false", d->in_use ? "true" : "false");
	json_u64("size", d->vm.defunct ? 0 : d->vm.size, ", ");
	json_u64("allocated", d->vm.allocated, ", ");
	json_u64("size_total", d->size_total, ", ");
	json_u64("allocated_total", d->allocated_total, ", ");
	json_kv("created", d->vm.meta.created ? d->vm.meta.created : created, ", ");
	json_kv("origin", d->vm.has_meta ? d->vm.meta.origin : NULL, ", ");
	json_kv("digest", d->vm.meta.digest, ", ");
	json_kv("last_commit", d->last_commit[0] ? d->last_commit : NULL, ", ");
	json_snapshots(d);
	json_runs(d);
	fputs("}\n", stdout);
}

int cmd_vm_info(int argc, char **argv)
{
	int json = 0, rc;
	const struct s2e_option options[] = {
		OPT_BOOL(0, "json", &json, "print the information as JSON, for scripts"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm info", usage, options, "takes one NAME", 1, 1};
	struct s2e_vm_details d;
	struct porcelain_run run;

	if (porcelain_start(&run, &cmd, &argc, argv))
		return run.exit;
	rc = s2e_vm_name_check(argv[0]);
	if (!rc)
		rc = s2e_vm_details_read(run.root, argv[0], INFO_RUNS, &d);
	if (!rc) {
		if (json)
			print_json(&d);
		else
			print_text(&d);
		s2e_vm_details_free(&d);
	}
	return porcelain_finish(&run, rc);
}
