/* The package manifest: writing it, and parsing it from an untrusted package,
 * both through the one git-config module (s2e/config.h).  Sections the
 * manifest does not define, such as the VM's vm.config carried in it, are
 * kept in the parsed config and otherwise ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/manifest.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

/* The VM's vm.config, re-written through the one writer so that the manifest
 * is always what the reader accepts; [package] and [member] sections in it
 * would change the manifest's meaning and are left out. */
static int put_vmconfig(FILE *f, const char *vmconfig)
{
	struct s2e_config cfg, view = {0};
	int rc;

	if (s2e_config_parse(vmconfig, strlen(vmconfig), "vm.config", 0, &cfg))
		return -1;
	view.entries = malloc((cfg.n + 1) * sizeof(*view.entries));
	if (!view.entries) {
		s2e_config_free(&cfg);
		return s2e_error("out of memory");
	}
	for (size_t i = 0; i < cfg.n; i++)
		if (strcasecmp(cfg.entries[i].section, "package") &&
		    strcasecmp(cfg.entries[i].section, "member"))
			view.entries[view.n++] = cfg.entries[i];
	fputs("# the VM's vm.config\n", f);
	rc = s2e_config_write(f, &view);
	free(view.entries);
	s2e_config_free(&cfg);
	return rc;
}

static int put_manifest(FILE *f, const struct s2e_manifest *m, const char *vmconfig)
{
	char num[32];

	fputs("# s2e package manifest (git-config syntax); see s2e-pack(1)\n", f);
	snprintf(num, sizeof(num), "%d", m->version ? m->version : 1);
	if (s2e_config_put_section(f, "package", NULL) || s2e_config_put(f, "version", num) ||
	    (m->name && s2e_config_put(f, "name", m->name)) ||
	    (m->created && s2e_config_put(f, "created", m->created)) ||
	    (m->exported_from && s2e_config_put(f, "exportedFrom", m->exported_from)))
		return -1;
	for (size_t i = 0; i < m->nmembers; i++) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)m->members[i].size);
		if (s2e_config_put_section(f, "member", m->members[i].file) ||
		    s2e_config_put(f, "size", num) ||
		    (m->members[i].digest && s2e_config_put(f, "digest", m->members[i].digest)))
			return -1;
	}
	return vmconfig && *vmconfig ? put_vmconfig(f, vmconfig) : 0;
}

struct manifest_args {
	const struct s2e_manifest *m;
	const char *vmconfig;
};

static int put_args(FILE *f, const void *arg)
{
	const struct manifest_args *a = arg;
	return put_manifest(f, a->m, a->vmconfig);
}

char *s2e_manifest_format(const struct s2e_manifest *m, const char *vmconfig, size_t *len)
{
	struct manifest_args a = {m, vmconfig};
	char *text = s2e_config_text(put_args, &a, len);

	if (!text)
		s2e_error_prefix("cannot write the manifest");
	return text;
}

struct s2e_manifest_member *s2e_manifest_find(const struct s2e_manifest *m, const char *file)
{
	for (size_t i = 0; i < m->nmembers; i++)
		if (!strcmp(m->members[i].file, file))
			return &m->members[i];
	return NULL;
}

int s2e_manifest_add(struct s2e_manifest *m, const char *file, uint64_t size, const char *digest)
{
	struct s2e_manifest_member *mm;

	mm = realloc(m->members, (m->nmembers + 1) * sizeof(*mm));
	if (!mm)
		return s2e_error("out of memory");
	m->members = mm;
	mm += m->nmembers;
	memset(mm, 0, sizeof(*mm));
	mm->size = size;
	if (!(mm->file = s2e_strdup(file)) || (digest && !(mm->digest = s2e_strdup(digest)))) {
		free(mm->file);
		return -1;
	}
	m->nmembers++;
	return 0;
}

void s2e_manifest_free(struct s2e_manifest *m)
{
	for (size_t i = 0; i < m->nmembers; i++) {
		free(m->members[i].file);
		free(m->members[i].digest);
	}
	free(m->members);
	free(m->name);
	free(m->created);
	free(m->exported_from);
	s2e_config_free(&m->config);
	memset(m, 0, sizeof(*m));
}

static int digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256-1m:", 10) || strlen(d) != 74)
		return 0;
	for (d += 10; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return 0;
	return 1;
}

static int set_text(char **field, const char *value)
{
	free(*field);
	*field = NULL;
	return value && !(*field = s2e_strdup(value)) ? -1 : 0;
}

/* Text for people (name, exportedFrom) goes into commit messages, metadata
 * and terminals: it is kept escaped (s2e_escape_untrusted). */
static int set_escaped(char **field, const char *value)
{
	free(*field);
	*field = NULL;
	return value && !(*field = s2e_escape_untrusted(value)) ? -1 : 0;
}

static int package_entry(struct s2e_manifest *m, const struct s2e_config_entry *e)
{
	uint64_t v;

	if (!e->key)
		return 0;
	if (!strcasecmp(e->key, "version")) {
		if (s2e_config_u64(e->value, &v) || v != 1)
			return s2e_error("%s line %d: unsupported version %s", S2E_MANIFEST_NAME,
					 e->line, s2e_q(e->value ? e->value : ""));
		m->version = 1;
		return 0;
	}
	if (!strcasecmp(e->key, "name"))
		return set_escaped(&m->name, e->value);
	if (!strcasecmp(e->key, "created"))
		return set_escaped(&m->created, e->value);
	if (!strcasecmp(e->key, "exportedFrom"))
		return set_escaped(&m->exported_from, e->value);
	return 0;
}

static int member_entry(struct s2e_manifest *m, const struct s2e_config_entry *e)
{
	struct s2e_manifest_member *cur = &m->members[m->nmembers - 1];

	if (!e->key)
		return 0;
	if (!strcasecmp(e->key, "size") && s2e_config_u64(e->value, &cur->size))
		return s2e_error("%s line %d: bad size %s", S2E_MANIFEST_NAME, e->line,
				 s2e_q(e->value ? e->value : ""));
	if (!strcasecmp(e->key, "digest")) {
		if (!digest_valid(e->value))
			return s2e_error("%s line %d: bad digest %s", S2E_MANIFEST_NAME, e->line,
					 s2e_q(e->value ? e->value : ""));
		return set_text(&cur->digest, e->value);
	}
	return 0;
}

/* A [member "FILE"] header: FILE is a VM file name, listed once. */
static int member_header(struct s2e_manifest *m, const struct s2e_config_entry *e,
			 const struct s2e_name_pos *pos, size_t npos, size_t i)
{
	const char *file = e->subsection, *snap = s2e_package_snap(file);

	if (s2e_name_pos_find(pos, npos, file) != i)
		return s2e_error("%s line %d: member %s listed twice", S2E_MANIFEST_NAME, e->line,
				 s2e_q(file));
	if (strcmp(file, S2E_VM_DISK) && !snap)
		return s2e_error("%s line %d: member %s is not a VM file", S2E_MANIFEST_NAME,
				 e->line, s2e_q(file));
	if (snap && s2e_snap_name_check(snap))
		return s2e_error_prefix("%s line %d: member %s", S2E_MANIFEST_NAME, e->line,
					s2e_q(file));
	if (s2e_manifest_add(m, file, UINT64_MAX, NULL))
		return -1;
	return 0;
}

static int is_member(const struct s2e_config_entry *e)
{
	return e->subsection && !strcasecmp(e->section, "member");
}

/* Interpret the parsed config; member headers are found in O(log n). */
static int manifest_from_config(struct s2e_manifest *m)
{
	const struct s2e_config *cfg = &m->config;
	struct s2e_name_pos *pos = calloc(cfg->n + 1, sizeof(*pos));
	size_t npos = 0;
	int saw_package = 0, rc = -1;

	if (!pos)
		return s2e_error("out of memory");
	for (size_t i = 0; i < cfg->n; i++)
		if (is_member(&cfg->entries[i]) && !cfg->entries[i].key) {
			pos[npos].name = cfg->entries[i].subsection;
			pos[npos++].pos = i;
		}
	s2e_name_pos_sort(pos, npos);
	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		int r = 0;
		if (s2e_config_in(e, "package", NULL)) {
			saw_package = 1;
			r = package_entry(m, e);
		} else if (is_member(e)) {
			r = e->key ? member_entry(m, e) : member_header(m, e, pos, npos, i);
		}
		if (r)
			goto out;
	}
	if (!saw_package || !m->version) {
		s2e_error("manifest %s has no [package] version", s2e_q(S2E_MANIFEST_NAME));
		goto out;
	}
	for (size_t i = 0; i < m->nmembers; i++)
		if (m->members[i].size == UINT64_MAX) {
			s2e_error("manifest: member %s has no size", s2e_q(m->members[i].file));
			goto out;
		}
	rc = 0;
out:
	free(pos);
	return rc;
}

int s2e_manifest_parse(const char *text, size_t len, struct s2e_manifest *m)
{
	memset(m, 0, sizeof(*m));
	if (s2e_config_parse(text, len, S2E_MANIFEST_NAME, S2E_MANIFEST_MAX, &m->config))
		return -1;
	if (manifest_from_config(m)) {
		s2e_manifest_free(m);
		return -1;
	}
	return 0;
}

int s2e_config_subsections(const char *text, size_t len, const char *section, char ***subs,
			   size_t *n)
{
	struct s2e_config cfg;
	int rc;

	*subs = NULL;
	*n = 0;
	if (s2e_config_parse(text, len, "config", 0, &cfg))
		return -1;
	rc = s2e_config_subsections_of(&cfg, section, subs, n);
	s2e_config_free(&cfg);
	return rc;
}
