#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"

int s2e_meta_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = s2e_strdup(value)))
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

struct s2e_meta_snap *s2e_meta_find_snap(struct s2e_meta *meta, const char *name)
{
	for (size_t i = 0; i < meta->nsnaps; i++)
		if (!strcmp(meta->snaps[i].name, name))
			return &meta->snaps[i];
	return NULL;
}

static struct s2e_meta_snap *append_snap(struct s2e_meta *meta, const char *name)
{
	struct s2e_meta_snap *grown, *snap;

	if (meta->nsnaps >= meta->snaps_cap) {
		size_t cap = meta->nsnaps < 8 ? 8 : 2 * meta->nsnaps;
		grown = realloc(meta->snaps, cap * sizeof(*grown));
		if (!grown) {
			s2e_error("out of memory");
			return NULL;
		}
		meta->snaps = grown;
		meta->snaps_cap = cap;
	}
	snap = &meta->snaps[meta->nsnaps];
	memset(snap, 0, sizeof(*snap));
	if (!(snap->name = s2e_strdup(name)))
		return NULL;
	meta->nsnaps++;
	return snap;
}

int s2e_meta_add_snap(struct s2e_meta *meta, const char *name, const char *taken, const char *digest)
{
	struct s2e_meta_snap *snap = s2e_meta_find_snap(meta, name);

	if (!snap && !(snap = append_snap(meta, name)))
		return -1;
	if ((taken && s2e_meta_set(&snap->taken, taken)) ||
	    (digest && s2e_meta_set(&snap->disk_digest, digest)))
		return -1;
	return 0;
}

static void free_snap(struct s2e_meta_snap *snap)
{
	free(snap->name);
	free(snap->taken);
	free(snap->disk_digest);
	s2e_config_free(&snap->extra);
}

int s2e_meta_remove_snap(struct s2e_meta *meta, const char *name)
{
	struct s2e_meta_snap *snap = s2e_meta_find_snap(meta, name);
	size_t i;

	if (!snap)
		return 0;
	i = (size_t)(snap - meta->snaps);
	free_snap(snap);
	memmove(&meta->snaps[i], &meta->snaps[i + 1], (meta->nsnaps - i - 1) * sizeof(*snap));
	meta->nsnaps--;
	return 1;
}

void s2e_meta_free(struct s2e_meta *meta)
{
	for (size_t i = 0; i < meta->nsnaps; i++)
		free_snap(&meta->snaps[i]);
	free(meta->snaps);
	free(meta->size_label);
	free(meta->created);
	free(meta->updated);
	free(meta->origin);
	free(meta->digest);
	s2e_config_free(&meta->extra);
	memset(meta, 0, sizeof(*meta));
}

static int is_snap_entry(const struct s2e_config_entry *e)
{
	return e->subsection && !strcasecmp(e->section, "snapshot");
}

static int vm_entry(struct s2e_meta *meta, const struct s2e_config_entry *e, const char *what)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{"sizeLabel", offsetof(struct s2e_meta, size_label)},
		{"created", offsetof(struct s2e_meta, created)},
		{"updated", offsetof(struct s2e_meta, updated)},
		{"origin", offsetof(struct s2e_meta, origin)},
		{"digest", offsetof(struct s2e_meta, digest)},
	};

	if (!e->key)
		return 0;
	if (!strcasecmp(e->key, "size")) {
		if (s2e_config_u64(e->value, &meta->size))
			return s2e_error("%s line %d: bad size %s", s2e_q(what), e->line,
					 s2e_q(e->value ? e->value : ""));
		return 0;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcasecmp(e->key, fields[i].key))
			return s2e_meta_set((char **)((char *)meta + fields[i].off), e->value);
	return s2e_config_add(&meta->extra, e->section, NULL, e->key, e->value);
}

static int snap_entry(struct s2e_meta_snap *snap, const struct s2e_config_entry *e)
{
	if (!e->key)
		return 0;
	if (!strcasecmp(e->key, "taken"))
		return s2e_meta_set(&snap->taken, e->value);
	if (!strcasecmp(e->key, "disk"))
		return s2e_meta_set(&snap->disk_digest, e->value);
	return s2e_config_add(&snap->extra, e->section, e->subsection, e->key, e->value);
}

/* Snapshot sections may repeat; each snapshot is found by name in O(log n)
 * (pos), and made when its name first appears (snap_of: entry -> snapshot). */
int s2e_meta_from_config(const struct s2e_config *cfg, const char *what, struct s2e_meta *meta)
{
	struct s2e_name_pos *pos = calloc(cfg->n + 1, sizeof(*pos));
	size_t *snap_of = calloc(cfg->n + 1, sizeof(*snap_of)), k = 0;
	int rc = -1;

	memset(meta, 0, sizeof(*meta));
	if (!pos || !snap_of) {
		s2e_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		if (!is_snap_entry(e))
			continue;
		if (s2e_snap_name_check(e->subsection)) {
			s2e_error_prefix("%s line %d", s2e_q(what), e->line);
			goto out;
		}
		pos[k].name = e->subsection;
		pos[k++].pos = i;
	}
	s2e_name_pos_sort(pos, k);
	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		int r;
		if (is_snap_entry(e)) {
			size_t first = s2e_name_pos_find(pos, k, e->subsection);
			if (first == i) {
				if (!append_snap(meta, e->subsection))
					goto out;
				snap_of[i] = meta->nsnaps - 1;
			}
			r = snap_entry(&meta->snaps[snap_of[first]], e);
		} else if (!e->subsection && !strcasecmp(e->section, "vm")) {
			r = vm_entry(meta, e, what);
		} else {
			r = s2e_config_add(&meta->extra, e->section, e->subsection, e->key, e->value);
		}
		if (r)
			goto out;
	}
	rc = 0;
out:
	free(pos);
	free(snap_of);
	if (rc)
		s2e_meta_free(meta);
	return rc;
}

int s2e_meta_read(const char *path, struct s2e_meta *meta)
{
	struct s2e_config cfg;
	int rc;

	memset(meta, 0, sizeof(*meta));
	rc = s2e_config_read_file(path, &cfg);
	if (rc < 0)
		return s2e_error_prefix("cannot read metadata");
	if (rc == 0)
		rc = s2e_meta_from_config(&cfg, path, meta);
	s2e_config_free(&cfg);
	return rc;
}

static int put_known(FILE *out, const char *key, const char *value)
{
	return value ? s2e_config_put(out, key, value) : 0;
}

/* The extra entries of cfg in (in) or not in (!in) section [vm]. */
static int put_extra(FILE *out, const struct s2e_config *cfg, int in_vm)
{
	struct s2e_config view = {0};
	int rc;

	if (!in_vm) {
		view.entries = malloc((cfg->n + 1) * sizeof(*view.entries));
		if (!view.entries)
			return s2e_error("out of memory");
	}
	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		if (s2e_config_in(e, "vm", NULL) != in_vm)
			continue;
		if (!in_vm)
			view.entries[view.n++] = *e;
		else if (e->key && s2e_config_put(out, e->key, e->value))
			return -1;
	}
	rc = in_vm ? 0 : s2e_config_write(out, &view);
	free(view.entries);
	return rc;
}

static int put_meta(FILE *out, const struct s2e_meta *meta)
{
	char size[32];

	snprintf(size, sizeof(size), "%llu", (unsigned long long)meta->size);
	fputs("# s2e VM metadata (git-config syntax), tracked by the S2EDIR history.\n", out);
	if (s2e_config_put_section(out, "vm", NULL) || s2e_config_put(out, "size", size) ||
	    put_known(out, "sizeLabel", meta->size_label) ||
	    put_known(out, "created", meta->created) || put_known(out, "origin", meta->origin) ||
	    put_known(out, "updated", meta->updated) || put_known(out, "digest", meta->digest) ||
	    put_extra(out, &meta->extra, 1))
		return -1;
	for (size_t i = 0; i < meta->nsnaps; i++) {
		const struct s2e_meta_snap *snap = &meta->snaps[i];
		if (s2e_snap_name_check(snap->name))
			return s2e_error_prefix("cannot record snapshot");
		if (s2e_config_put_section(out, "snapshot", snap->name) ||
		    s2e_config_put(out, "taken", snap->taken ? snap->taken : "unknown") ||
		    put_known(out, "disk", snap->disk_digest))
			return -1;
		for (size_t j = 0; j < snap->extra.n; j++)
			if (snap->extra.entries[j].key &&
			    s2e_config_put(out, snap->extra.entries[j].key,
					   snap->extra.entries[j].value))
				return -1;
	}
	return put_extra(out, &meta->extra, 0);
}

int s2e_meta_write(const char *path, const struct s2e_meta *meta)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	if (!out)
		return s2e_error("out of memory");
	rc = put_meta(out, meta);
	if (fclose(out) && !rc)
		rc = s2e_error("out of memory");
	if (rc)
		s2e_error_prefix("cannot write %s", s2e_q(path));
	else
		rc = s2e_write_file_atomic(path, text, len, 0644);
	free(text);
	return rc;
}
