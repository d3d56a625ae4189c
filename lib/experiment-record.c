/* Experiment records: their git-config text and commit bodies (see
 * include/s2e/experiment.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s2e/config.h"
#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"

void s2e_experiment_init(struct s2e_experiment *e)
{
	memset(e, 0, sizeof(*e));
	e->duration = -1;
	e->exit_status = -1;
	e->disk_changed = -1;
}

char *s2e_experiment_path(const char *name)
{
	return s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s", name);
}

/* Values go through the one git-config writer (lib/config.c). */
static int put(FILE *f, const char *key, const char *value)
{
	return value ? s2e_config_put(f, key, value) : 0;
}

static int put_int(FILE *f, const char *key, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return s2e_config_put(f, key, buf);
}

static int put_bool(FILE *f, const char *key, int v)
{
	return s2e_config_put(f, key, v ? "true" : "false");
}

static int put_seconds(FILE *f, const char *key, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", v);
	return s2e_config_put(f, key, buf);
}

static int put_strv(FILE *f, const char *key, const struct s2e_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		if (s2e_config_put(f, key, sv->v[i]))
			return -1;
	return 0;
}

static int format_experiment(FILE *f, const struct s2e_experiment *e)
{
	int rc = s2e_config_put_section(f, "experiment", NULL) || put(f, "name", e->name) ||
		 put(f, "vm", e->vm) || put(f, "snapshot", e->snapshot) ||
		 put(f, "mode", e->mode) || put(f, "build", e->build) ||
		 put(f, "image", e->image) || put(f, "state", e->state) ||
		 put(f, "started", e->started) || put(f, "ended", e->ended);

	if (!rc && e->duration >= 0)
		rc = put_seconds(f, "duration", e->duration);
	if (!rc && e->exit_status >= 0)
		rc = put_int(f, "exitStatus", e->exit_status);
	if (!rc && e->signal > 0)
		rc = put_int(f, "signal", e->signal) ||
		     put(f, "signalName", s2e_signame(e->signal));
	if (!rc && e->timeout > 0)
		rc = put_seconds(f, "timeout", e->timeout);
	if (!rc && (e->timeout > 0 || e->timed_out))
		rc = put_bool(f, "timedOut", e->timed_out);
	return rc || put_bool(f, "forced", e->forced) || put(f, "outputDir", e->output_dir) ||
	       put(f, "configFile", e->config_file) || put(f, "error", e->error) ||
	       put(f, "againOf", e->again_of);
}

static int format_rest(FILE *f, const struct s2e_experiment *e)
{
	if (s2e_config_put_section(f, "qemu", NULL) || put(f, "binary", e->binary) ||
	    put(f, "commandLine", e->cmdline) || put_strv(f, "arg", &e->argv))
		return -1;
	if ((e->disk_before || e->disk_after) &&
	    (s2e_config_put_section(f, "disk", NULL) || put(f, "before", e->disk_before) ||
	     put(f, "after", e->disk_after) ||
	     (e->disk_changed >= 0 && put_bool(f, "changed", e->disk_changed))))
		return -1;
	if (e->invocation.n &&
	    (s2e_config_put_section(f, "invocation", NULL) || put_strv(f, "word", &e->invocation)))
		return -1;
	if ((e->memory || e->nic) &&
	    (s2e_config_put_section(f, "settings", NULL) || put(f, "memory", e->memory) ||
	     put(f, "nic", e->nic)))
		return -1;
	if ((e->snapshot_digest || e->snapshot_disk) &&
	    (s2e_config_put_section(f, "snapshot", NULL) ||
	     put(f, "digest", e->snapshot_digest) || put(f, "recordedDisk", e->snapshot_disk)))
		return -1;
	if (e->batch &&
	    (s2e_config_put_section(f, "batch", NULL) || put(f, "name", e->batch) ||
	     put(f, "job", e->batch_job) || put(f, "jobs", e->batch_jobs) ||
	     put(f, "engine", e->batch_engine) || put(f, "engineJobId", e->batch_engine_id) ||
	     put(f, "hostId", e->batch_host_id) || put(f, "hostname", e->batch_hostname) ||
	     put(f, "file", e->batch_file) || put(f, "guest", e->batch_guest)))
		return -1;
	if ((e->snaps_added.n || e->snaps_removed.n || e->snaps_retaken.n) &&
	    (s2e_config_put_section(f, "snapshots", NULL) ||
	     put_strv(f, "added", &e->snaps_added) || put_strv(f, "removed", &e->snaps_removed) ||
	     put_strv(f, "retaken", &e->snaps_retaken)))
		return -1;
	return 0;
}

char *s2e_experiment_format(const struct s2e_experiment *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	rc = format_experiment(f, e) || format_rest(f, e);
	if (fclose(f) || rc) {
		if (!rc)
			s2e_error("out of memory");
		free(buf);
		return NULL;
	}
	return buf;
}

int s2e_experiment_write(const char *path, const struct s2e_experiment *e)
{
	char *text = s2e_experiment_format(e);
	int rc;

	if (!text)
		return -1;
	rc = s2e_write_file_atomic(path, text, strlen(text), 0644);
	free(text);
	return rc;
}

static int set(char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return s2e_error("out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int is_true(const char *v)
{
	return !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
	       !strcmp(v, "1");
}

/* Where each key of a record goes. */
enum kind { STR, STRV, INT, SECONDS, BOOL };
#define F(field) offsetof(struct s2e_experiment, field)
static const struct {
	const char *section, *key;
	enum kind kind;
	size_t off;
} fields[] = {
    {"experiment", "name", STR, F(name)},
    {"experiment", "vm", STR, F(vm)},
    {"experiment", "snapshot", STR, F(snapshot)},
    {"experiment", "mode", STR, F(mode)},
    {"experiment", "build", STR, F(build)},
    {"experiment", "image", STR, F(image)},
    {"experiment", "state", STR, F(state)},
    {"experiment", "started", STR, F(started)},
    {"experiment", "ended", STR, F(ended)},
    {"experiment", "duration", SECONDS, F(duration)},
    {"experiment", "exitStatus", INT, F(exit_status)},
    {"experiment", "signal", INT, F(signal)},
    {"experiment", "timeout", SECONDS, F(timeout)},
    {"experiment", "timedOut", BOOL, F(timed_out)},
    {"experiment", "forced", BOOL, F(forced)},
    {"experiment", "outputDir", STR, F(output_dir)},
    {"experiment", "configFile", STR, F(config_file)},
    {"experiment", "error", STR, F(error)},
    {"experiment", "againOf", STR, F(again_of)},
    {"invocation", "word", STRV, F(invocation)},
    {"settings", "memory", STR, F(memory)},
    {"settings", "nic", STR, F(nic)},
    {"qemu", "binary", STR, F(binary)},
    {"qemu", "commandLine", STR, F(cmdline)},
    {"qemu", "arg", STRV, F(argv)},
    {"disk", "before", STR, F(disk_before)},
    {"disk", "after", STR, F(disk_after)},
    {"disk", "changed", BOOL, F(disk_changed)},
    {"snapshot", "digest", STR, F(snapshot_digest)},
    {"snapshot", "recordedDisk", STR, F(snapshot_disk)},
    {"snapshots", "added", STRV, F(snaps_added)},
    {"snapshots", "removed", STRV, F(snaps_removed)},
    {"snapshots", "retaken", STRV, F(snaps_retaken)},
    {"batch", "name", STR, F(batch)},
    {"batch", "job", STR, F(batch_job)},
    {"batch", "jobs", STR, F(batch_jobs)},
    {"batch", "engine", STR, F(batch_engine)},
    {"batch", "engineJobId", STR, F(batch_engine_id)},
    {"batch", "hostId", STR, F(batch_host_id)},
    {"batch", "hostname", STR, F(batch_hostname)},
    {"batch", "file", STR, F(batch_file)},
    {"batch", "guest", STR, F(batch_guest)},
};
#undef F

static int assign(struct s2e_experiment *e, const char *section, const char *key, const char *v)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *at = (char *)e + fields[i].off;
		if (strcasecmp(section, fields[i].section) || strcasecmp(key, fields[i].key))
			continue;
		switch (fields[i].kind) {
		case STR:
			return set((char **)at, v);
		case STRV:
			return s2e_strv_add_dup((struct s2e_strv *)at, v);
		case INT:
			*(int *)at = atoi(v);
			return 0;
		case SECONDS:
			*(double *)at = strtod(v, NULL);
			return 0;
		case BOOL:
			*(int *)at = is_true(v);
			return 0;
		}
	}
	return 0; /* a key of a newer version: ignored */
}

int s2e_experiment_parse(const char *text, struct s2e_experiment *e)
{
	struct s2e_config cfg;
	int rc = 0;

	s2e_experiment_init(e);
	if (s2e_config_parse(text, strlen(text), S2E_EXPERIMENT_RECORD, 0, &cfg))
		return -1;
	for (size_t i = 0; i < cfg.n && rc == 0; i++) {
		const struct s2e_config_entry *en = &cfg.entries[i];
		if (!en->subsection && en->key && en->value)
			rc = assign(e, en->section, en->key, en->value);
	}
	s2e_config_free(&cfg);
	if (rc)
		s2e_experiment_free(e);
	return rc;
}

int s2e_experiment_read(const char *path, struct s2e_experiment *e)
{
	char *text;
	int rc;

	if (s2e_read_file(path, &text, NULL))
		return -1;
	rc = s2e_experiment_parse(text, e);
	free(text);
	return rc;
}

void s2e_experiment_free(struct s2e_experiment *e)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *at = (char *)e + fields[i].off;
		if (fields[i].kind == STR) {
			free(*(char **)at);
			*(char **)at = NULL;
		} else if (fields[i].kind == STRV) {
			s2e_strv_clear_owned((struct s2e_strv *)at);
		}
	}
}

static char *join_names(const struct s2e_strv *names)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < names->n; i++)
		fprintf(f, "%s%s", i ? ", " : "", names->v[i]);
	fclose(f);
	return buf;
}

static void text_header(FILE *f, const struct s2e_experiment *e)
{
	fprintf(f, "Experiment: %s\n", e->name);
	if (e->vm)
		fprintf(f, "VM: %s\n", e->vm);
	else
		fprintf(f, "Image: %s\n", e->image);
	if (e->snapshot)
		fprintf(f, "Snapshot: %s\n", e->snapshot);
	fprintf(f, "Mode: %s\n", e->mode);
	if (e->build)
		fprintf(f, "Build: %s\n", e->build);
	else
		fprintf(f, "Binary: %s\n", e->binary);
	if (e->again_of)
		fprintf(f, "Again: %s\n", e->again_of);
}

static void text_before(FILE *f, const struct s2e_experiment *e)
{
	if (e->disk_before)
		fprintf(f, "Disk: %s\n", e->disk_before);
	if (e->snapshot_digest)
		fprintf(f, "Snapshot file: %s\n", e->snapshot_digest);
	if (e->snapshot_disk)
		fprintf(f, "Snapshot taken against disk: %s\n", e->snapshot_disk);
	if (e->forced)
		fprintf(f, "Forced: yes (the disk changed since the snapshot was taken)\n");
	if (e->memory)
		fprintf(f, "Memory: %s%s\n", e->memory, strcmp(e->memory, "default") ? " MiB" : "");
	if (e->nic)
		fprintf(f, "NIC: %s\n", e->nic);
	if (e->config_file)
		fprintf(f, "S2E config: %s (copied as %s)\n", e->config_file, S2E_EXPERIMENT_CONFIG);
	if (e->output_dir)
		fprintf(f, "Output: %s\n", e->output_dir);
	if (e->timeout > 0)
		fprintf(f, "Timeout: %.3fs\n", e->timeout);
	fprintf(f, "Command line: %s\n", e->cmdline);
}

static void text_names(FILE *f, const char *label, const struct s2e_strv *names)
{
	char *joined;

	if (names->n && (joined = join_names(names))) {
		fprintf(f, "%s: %s\n", label, joined);
		free(joined);
	}
}

static void text_after(FILE *f, const struct s2e_experiment *e)
{
	fprintf(f, "State: %s\nStarted: %s\n", e->state, e->started ? e->started : "-");
	if (e->ended)
		fprintf(f, "Ended: %s\nDuration: %.3fs\n", e->ended, e->duration);
	if (e->exit_status >= 0)
		fprintf(f, "Exit status: %d\n", e->exit_status);
	if (e->signal)
		fprintf(f, "Signal: %d (SIG%s)\n", e->signal, s2e_signame(e->signal));
	if (e->timeout > 0 && e->ended)
		fprintf(f, "Timed out: %s\n", e->timed_out ? "yes" : "no");
	if (e->error)
		fprintf(f, "Error: %s\n", e->error);
	if (e->disk_changed >= 0)
		fprintf(f, "Disk changed: %s\n", e->disk_changed ? "yes" : "no");
	if (e->disk_after && e->disk_changed > 0)
		fprintf(f, "Disk now: %s\n", e->disk_after);
	text_names(f, "Snapshots added", &e->snaps_added);
	text_names(f, "Snapshots removed", &e->snaps_removed);
	text_names(f, "Snapshots taken again", &e->snaps_retaken);
}

static void text_batch(FILE *f, const struct s2e_experiment *e)
{
	if (!e->batch)
		return;
	fprintf(f, "Batch: %s, job %s of %s\n", e->batch, e->batch_job ? e->batch_job : "?",
		e->batch_jobs ? e->batch_jobs : "?");
	fprintf(f, "Batch engine: %s%s%s\n", e->batch_engine ? e->batch_engine : "?",
		e->batch_engine_id ? " job " : "", e->batch_engine_id ? e->batch_engine_id : "");
	if (e->batch_host_id || e->batch_hostname)
		fprintf(f, "Batch host: %s %s\n", e->batch_host_id ? e->batch_host_id : "?",
			e->batch_hostname ? e->batch_hostname : "?");
	if (e->batch_file)
		fprintf(f, "Batch file: %s\n", e->batch_file);
	if (e->batch_guest)
		fprintf(f, "Guest command: %s\n", e->batch_guest);
}

static char *text(const struct s2e_experiment *e, int before, int after)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	text_header(f, e);
	if (before && after) /* commit bodies carry the batch in their own lines */
		text_batch(f, e);
	if (before)
		text_before(f, e);
	if (after)
		text_after(f, e);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The commit body: the record's essentials in a readable form. */
char *s2e_experiment_body(const struct s2e_experiment *e, int after)
{
	return text(e, !after, after);
}

char *s2e_experiment_describe(const struct s2e_experiment *e)
{
	return text(e, 1, 1);
}
