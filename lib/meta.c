#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
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

int s2e_meta_add_snap(struct s2e_meta *meta, const char *name, const char *taken, const char *digest)
{
	struct s2e_meta_snap *snap = s2e_meta_find_snap(meta, name), *grown;

	if (!snap) {
		grown = realloc(meta->snaps, (meta->nsnaps + 1) * sizeof(*grown));
		if (!grown)
			return s2e_error("out of memory");
		meta->snaps = grown;
		snap = &meta->snaps[meta->nsnaps];
		memset(snap, 0, sizeof(*snap));
		if (!(snap->name = s2e_strdup(name)))
			return -1;
		meta->nsnaps++;
	}
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
	memset(meta, 0, sizeof(*meta));
}

/* libgit2 gives names as "section.subsection.key" with section and key in
 * lower case; the subsection (a snapshot name) may itself hold dots. */
static int read_entry(const git_config_entry *entry, void *payload)
{
	struct s2e_meta *meta = payload;
	const char *name = entry->name, *value = entry->value ? entry->value : "";
	const char *key;

	if (!strncmp(name, "vm.", 3)) {
		key = name + 3;
		if (!strcmp(key, "size"))
			meta->size = strtoull(value, NULL, 10);
		else if (!strcmp(key, "sizelabel"))
			return s2e_meta_set(&meta->size_label, value);
		else if (!strcmp(key, "created"))
			return s2e_meta_set(&meta->created, value);
		else if (!strcmp(key, "updated"))
			return s2e_meta_set(&meta->updated, value);
		else if (!strcmp(key, "origin"))
			return s2e_meta_set(&meta->origin, value);
		else if (!strcmp(key, "digest"))
			return s2e_meta_set(&meta->digest, value);
		return 0;
	}
	if (!strncmp(name, "snapshot.", 9)) {
		const char *sub = name + 9, *dot = strrchr(sub, '.');
		char *snap;
		int rc;

		if (!dot || dot == sub)
			return 0;
		snap = strndup(sub, (size_t)(dot - sub));
		if (!snap)
			return s2e_error("out of memory");
		key = dot + 1;
		if (!strcmp(key, "taken"))
			rc = s2e_meta_add_snap(meta, snap, value, NULL);
		else if (!strcmp(key, "disk"))
			rc = s2e_meta_add_snap(meta, snap, NULL, value);
		else
			rc = s2e_meta_add_snap(meta, snap, NULL, NULL);
		free(snap);
		return rc;
	}
	return 0;
}

int s2e_meta_read(const char *path, struct s2e_meta *meta)
{
	git_config *cfg = NULL;
	struct stat st;
	int rc;

	memset(meta, 0, sizeof(*meta));
	if (stat(path, &st))
		return 1;
	s2e_git_init();
	if (git_config_open_ondisk(&cfg, path) < 0) {
		const git_error *e = git_error_last();
		rc = s2e_error("cannot read metadata %s: %s", s2e_q(path), e ? e->message : "?");
		goto out;
	}
	rc = git_config_foreach(cfg, read_entry, meta);
	if (rc) {
		const git_error *e = git_error_last();
		if (rc != -1 || e)
			s2e_error("cannot read metadata %s: %s", s2e_q(path),
				  e ? e->message : s2e_error_last());
		rc = -1;
		s2e_meta_free(meta);
	}
out:
	git_config_free(cfg);
	return rc;
}

/* A value as git-config writes it: quoted when it has leading or trailing
 * space or a comment character, with \ " and control characters escaped. */
static void put_value(FILE *out, const char *value)
{
	size_t len = strlen(value);
	int quote = len && (value[0] == ' ' || value[len - 1] == ' ' || strpbrk(value, "#;"));

	if (quote)
		fputc('"', out);
	for (const char *p = value; *p; p++) {
		switch (*p) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '"':
			fputs("\\\"", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			fputc(*p, out);
		}
	}
	if (quote)
		fputc('"', out);
}

static void put(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, "\t%s = ", key);
	put_value(out, value);
	fputc('\n', out);
}

int s2e_meta_write(const char *path, const struct s2e_meta *meta)
{
	char *text = NULL, size[32];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	if (!out)
		return s2e_error("out of memory");
	fputs("# s2e VM metadata (git-config syntax), tracked by the S2EDIR history.\n", out);
	fputs("[vm]\n", out);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)meta->size);
	put(out, "size", size);
	put(out, "sizeLabel", meta->size_label);
	put(out, "created", meta->created);
	put(out, "origin", meta->origin);
	put(out, "updated", meta->updated);
	put(out, "digest", meta->digest);
	for (size_t i = 0; i < meta->nsnaps; i++) {
		const struct s2e_meta_snap *snap = &meta->snaps[i];
		fputs("[snapshot \"", out);
		for (const char *p = snap->name; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', out);
			fputc(*p, out);
		}
		fputs("\"]\n", out);
		put(out, "taken", snap->taken ? snap->taken : "unknown");
		put(out, "disk", snap->disk_digest);
	}
	if (fclose(out)) {
		free(text);
		return s2e_error("out of memory");
	}
	rc = s2e_write_file_atomic(path, text, len, 0644);
	free(text);
	return rc;
}
