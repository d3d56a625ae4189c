/* s2e vm info's data: see include/s2e/vminfo.h. */
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/inuse.h"
#include "s2e/log.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/vmconfig.h"
#include "s2e/vminfo.h"

/* The settings: vm.config without what s2e itself keeps there. */
static int read_settings(const char *root, const char *name, struct s2e_config *out)
{
	struct s2e_config cfg;
	int rc = s2e_vmconfig_read(root, name, &cfg);

	memset(out, 0, sizeof(*out));
	if (rc == S2E_ENOTFOUND || rc > 0)
		return 0; /* no vm.config: no settings */
	for (size_t i = 0; rc == 0 && i < cfg.n; i++) {
		const struct s2e_config_entry *e = &cfg.entries[i];
		if (e->key && strcasecmp(e->section, "vm") && strcasecmp(e->section, "snapshot"))
			rc = s2e_config_add(out, e->section, e->subsection, e->key, e->value);
	}
	s2e_config_free(&cfg);
	return rc;
}

struct runs {
	struct s2e_vm_details *d;
	size_t max;
	int oom;
};

static int has_run(const struct s2e_vm_details *d, const char *name)
{
	for (size_t i = 0; i < d->nruns; i++)
		if (d->runs[i].name && !strcmp(d->runs[i].name, name))
			return 1;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* One commit about the VM's experiments, newest first: the first state seen
 * of each experiment is its newest. */
static int on_commit(const struct s2e_log_entry *e, void *ctx)
{
	struct runs *r = ctx;
	struct s2e_vm_details *d = r->d;

	for (size_t i = 0; i < e->nexperiments && d->nruns < r->max; i++) {
		const struct s2e_experiment *x = &e->experiments[i];
		struct s2e_vm_run_summary *s;
		if (!x->name || has_run(d, x->name) || !x->mode)
			continue; /* a removed record has a name only */
		s = &d->runs[d->nruns++];
		memset(s, 0, sizeof(*s));
		s->name = strdup(x->name);
		s->snapshot = dup_or_null(x->snapshot);
		s->mode = dup_or_null(x->mode);
		s->state = dup_or_null(x->state);
		s->started = dup_or_null(x->started);
		s->ended = dup_or_null(x->ended);
		s->exit_status = x->exit_status;
		memcpy(s->commit, e->oid, sizeof(s->commit));
		if (!s->name || (x->snapshot && !s->snapshot) || (x->state && !s->state) ||
		    (x->started && !s->started) || (x->ended && !s->ended) || !s->mode)
			return s2e_error("out of memory");
	}
	return d->nruns >= r->max ? 1 : 0;
}

static int read_runs(const char *root, const char *name, size_t max, struct s2e_vm_details *d)
{
	struct s2e_log_filter f = {.vm = name, .experiments = 1};
	struct runs r = {d, max, 0};
	int rc;

	if (!max)
		return 0;
	if (!(d->runs = calloc(max, sizeof(*d->runs))))
		return s2e_error("out of memory");
	rc = s2e_log_walk_follow(root, &f, on_commit, &r);
	return rc < 0 ? rc : 0;
}

int s2e_vm_details_read(const char *root, const char *name, size_t max_runs,
			struct s2e_vm_details *d)
{
	char *path;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = s2e_vm_exists(root, name)) != 1)
		return rc < 0 ? rc : s2e_error_set(S2E_ENOTFOUND, "no such VM %s", s2e_q(name));
	if ((rc = s2e_vm_describe(root, name, &d->vm)))
		return rc;
	d->allocated_total = d->vm.allocated;
	d->size_total = d->vm.defunct ? 0 : d->vm.size;
	for (size_t i = 0; i < d->vm.nsnaps; i++) {
		d->allocated_total += d->vm.snaps[i].allocated;
		d->size_total += d->vm.snaps[i].size;
	}
	d->in_use = s2e_inuse_held(root, S2E_INUSE_VM, name) == 1;
	if (!(path = s2e_asprintf("vm/%s", name)))
		rc = -1;
	else if (s2e_history_last(root, path, d->last_commit) < 0)
		d->last_commit[0] = '\0'; /* no readable history: nothing to show */
	free(path);
	if (!rc)
		rc = read_settings(root, name, &d->settings);
	if (!rc)
		rc = read_runs(root, name, max_runs, d);
	if (rc)
		s2e_vm_details_free(d);
	return rc;
}

void s2e_vm_details_free(struct s2e_vm_details *d)
{
	s2e_vm_info_free(&d->vm);
	s2e_config_free(&d->settings);
	for (size_t i = 0; i < d->nruns; i++) {
		struct s2e_vm_run_summary *s = &d->runs[i];
		free(s->name);
		free(s->snapshot);
		free(s->mode);
		free(s->state);
		free(s->started);
		free(s->ended);
	}
	free(d->runs);
	memset(d, 0, sizeof(*d));
}
