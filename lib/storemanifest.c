/* The manifest of a VM in a store: see include/s2e/storemanifest.h.
 * Read with the shared hardened git-config reader and written with its writer
 * (include/s2e/config.h), then checked entry by entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s2e/config.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/storemanifest.h"

static int digest_ok(const char *d)
{
	size_t plen = strlen(S2E_DIGEST_PREFIX);

	if (strlen(d) != S2E_DIGEST_LEN - 1 || strncmp(d, S2E_DIGEST_PREFIX, plen))
		return 0;
	return strspn(d + plen, "0123456789abcdef") == S2E_DIGEST_LEN - 1 - plen;
}

/* "disk.s2e" or "disk.s2e.SNAP" with SNAP a valid snapshot name; the SNAP. */
static int file_name_ok(const char *name, const char **snap)
{
	*snap = NULL;
	if (!strcmp(name, "disk.s2e"))
		return 1;
	if (strncmp(name, "disk.s2e.", 9))
		return 0;
	*snap = name + 9;
	if (!strcmp(*snap, ".") || !strcmp(*snap, "..") || s2e_snap_name_check(*snap)) {
		s2e_error_clear();
		return 0;
	}
	return 1;
}

static int bad_at(const char *what, const struct s2e_config_entry *e, const char *why,
		  const char *value)
{
	return s2e_error("%s line %d: %s%s%s", s2e_q(what), e->line, why, value ? " " : "",
			 value ? s2e_q(value) : "");
}

/* The one entry of [section "sub"] with this key (NULL: none); a second one,
 * or one without a value, is refused. */
static const struct s2e_config_entry *only(const struct s2e_config *cfg, const char *what,
					   const char *section, const char *sub, const char *key,
					   int *rc)
{
	const struct s2e_config_entry *found = NULL;

	for (size_t i = 0; i < cfg->n && *rc == 0; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		if (!e->key || strcasecmp(e->key, key) || !s2e_config_in(e, section, sub))
			continue;
		if (found)
			*rc = bad_at(what, e, "duplicate key", key);
		else if (!e->value)
			*rc = bad_at(what, e, "a value is needed for", key);
		found = e;
	}
	return *rc ? NULL : found;
}

static int push_section(const struct s2e_config *cfg, const char *what,
			struct s2e_store_manifest *m)
{
	static const char *const keys[] = {"version", "name", "by", "time", "commit"};
	char **fields[] = {NULL, &m->name, &m->pushed_by, &m->pushed_at, &m->commit};
	int rc = 0;

	for (size_t k = 0; k < 5 && rc == 0; k++) {
		const struct s2e_config_entry *e = only(cfg, what, "push", NULL, keys[k], &rc);
		if (!e)
			continue;
		if (k == 0 && strcmp(e->value, "1"))
			rc = bad_at(what, e, "unknown manifest version", e->value);
		else if (k == 0)
			m->version = 1;
		else if (k == 1 && s2e_vm_name_check(e->value))
			rc = s2e_error_prefix("%s line %d", s2e_q(what), e->line);
		else if (k == 4 && (!*e->value || strlen(e->value) > 64 ||
				    strspn(e->value, "0123456789abcdef") != strlen(e->value)))
			rc = bad_at(what, e, "bad commit", e->value);
		else if (k && !(*fields[k] = strdup(e->value)))
			rc = s2e_error("out of memory");
	}
	return rc;
}

static int file_sections(const struct s2e_config *cfg, const char *what,
			 struct s2e_store_manifest *m)
{
	char **subs = NULL;
	size_t n = 0;
	int rc = s2e_config_subsections_of(cfg, "file", &subs, &n);

	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct s2e_config_entry *size, *digest = NULL;
		const char *snap;
		uint64_t bytes;
		if (!file_name_ok(subs[i], &snap)) {
			rc = s2e_error("%s: bad file name %s", s2e_q(what), s2e_q(subs[i]));
			break;
		}
		size = only(cfg, what, "file", subs[i], "size", &rc);
		if (rc == 0)
			digest = only(cfg, what, "file", subs[i], "digest", &rc);
		if (rc)
			break;
		if (!size || !digest)
			rc = s2e_error("%s: file %s has no size or no digest", s2e_q(what),
				       s2e_q(subs[i]));
		else if (s2e_config_u64(size->value, &bytes))
			rc = bad_at(what, size, "bad size", size->value);
		else if (!digest_ok(digest->value))
			rc = bad_at(what, digest, "bad digest", digest->value);
		else
			rc = s2e_store_manifest_add_file(m, subs[i], bytes, digest->value);
	}
	for (size_t i = 0; i < n; i++)
		free(subs[i]);
	free(subs);
	return rc;
}

static int snapshot_entry_ok(const char *what, const struct s2e_config_entry *e)
{
	const char *sub = e->subsection;

	if (!sub || s2e_snap_name_check(sub) || !strcmp(sub, ".") || !strcmp(sub, ".."))
		return bad_at(what, e, "bad snapshot name", sub ? sub : "(none)");
	if (e->key && !strcasecmp(e->key, "disk") && (!e->value || !digest_ok(e->value)))
		return bad_at(what, e, "bad snapshot disk digest", e->value ? e->value : "");
	return 0;
}

/* The other sections: snapshots checked, everything kept as the VM's own
 * vm.config text. */
static int other_sections(const struct s2e_config *cfg, const char *what,
			  struct s2e_store_manifest *m, char ***snaps, size_t *nsnaps)
{
	struct s2e_config vm = {0};
	size_t len = 0;
	FILE *out;
	int rc = 0;

	for (size_t i = 0; i < cfg->n && rc == 0; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		if (!strcasecmp(e->section, "push") && e->subsection)
			rc = bad_at(what, e, "[push] takes no subsection", NULL);
		else if (!strcasecmp(e->section, "push") || !strcasecmp(e->section, "file"))
			continue;
		else if (!strcasecmp(e->section, "snapshot") && snapshot_entry_ok(what, e))
			rc = -1;
		else
			rc = s2e_config_add(&vm, e->section, e->subsection, e->key, e->value);
	}
	if (rc == 0)
		rc = s2e_config_subsections_of(cfg, "snapshot", snaps, nsnaps);
	if (rc == 0 && vm.n) {
		if (!(out = open_memstream(&m->vmconfig, &len)))
			rc = s2e_error("out of memory");
		else {
			/* fclose() in any case: it also ends the memory stream. */
			int bad = s2e_config_write(out, &vm) != 0;
			if (fclose(out) || bad)
				rc = -1;
		}
	}
	s2e_config_free(&vm);
	return rc;
}

/* Everything the sections cannot say on their own. */
static int manifest_check(const char *what, const struct s2e_store_manifest *m, char **snaps,
			  size_t nsnaps)
{
	if (!m->version)
		return s2e_error("%s: no [push] version", s2e_q(what));
	if (!m->name)
		return s2e_error("%s: no VM name", s2e_q(what));
	if (!m->nfiles || strcmp(m->files[0].name, "disk.s2e"))
		return s2e_error("%s: the first file must be disk.s2e", s2e_q(what));
	if (nsnaps != m->nfiles - 1)
		return s2e_error("%s: %zu snapshot files but %zu snapshots", s2e_q(what),
				 m->nfiles - 1, nsnaps);
	for (size_t i = 0; i < nsnaps; i++)
		if (strcmp(m->files[i + 1].name + 9, snaps[i]))
			return s2e_error("%s: file %s does not match snapshot %s (order)",
					 s2e_q(what), s2e_q(m->files[i + 1].name), s2e_q(snaps[i]));
	return 0;
}

int s2e_store_manifest_parse(const char *text, size_t len, const char *what,
			     struct s2e_store_manifest *m)
{
	struct s2e_config cfg = {0};
	char **snaps = NULL;
	size_t nsnaps = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > S2E_STORE_MANIFEST_MAX)
		return s2e_error("%s: larger than %d bytes", s2e_q(what), S2E_STORE_MANIFEST_MAX);
	rc = s2e_config_parse(text, len, what, S2E_STORE_MANIFEST_MAX, &cfg);
	if (rc == 0)
		rc = push_section(&cfg, what, m);
	if (rc == 0)
		rc = file_sections(&cfg, what, m);
	if (rc == 0)
		rc = other_sections(&cfg, what, m, &snaps, &nsnaps);
	if (rc == 0)
		rc = manifest_check(what, m, snaps, nsnaps);
	for (size_t i = 0; i < nsnaps; i++)
		free(snaps[i]);
	free(snaps);
	s2e_config_free(&cfg);
	if (rc)
		s2e_store_manifest_free(m);
	return rc;
}

/* [push] and [file] sections with the shared writer, then the VM's own text. */
static int format_to(FILE *f, const struct s2e_store_manifest *m)
{
	char version[16], size[32];
	int rc;

	snprintf(version, sizeof(version), "%d", S2E_STORE_MANIFEST_VERSION);
	fputs("# s2e store manifest (git-config syntax); see s2e-chunk(1)\n", f);
	rc = s2e_config_put_section(f, "push", NULL) || s2e_config_put(f, "version", version) ||
	     s2e_config_put(f, "name", m->name ? m->name : "") ||
	     (m->pushed_by && s2e_config_put(f, "by", m->pushed_by)) ||
	     (m->pushed_at && s2e_config_put(f, "time", m->pushed_at)) ||
	     (m->commit && s2e_config_put(f, "commit", m->commit));
	for (size_t i = 0; i < m->nfiles && rc == 0; i++) {
		snprintf(size, sizeof(size), "%llu", (unsigned long long)m->files[i].size);
		rc = s2e_config_put_section(f, "file", m->files[i].name) ||
		     s2e_config_put(f, "size", size) ||
		     s2e_config_put(f, "digest", m->files[i].digest);
	}
	if (rc == 0 && m->vmconfig && *m->vmconfig) {
		fputs(m->vmconfig, f);
		if (m->vmconfig[strlen(m->vmconfig) - 1] != '\n')
			fputc('\n', f);
	}
	return rc ? -1 : 0;
}

static int put_store_manifest(FILE *f, const void *m)
{
	return format_to(f, m);
}

char *s2e_store_manifest_format(const struct s2e_store_manifest *m, size_t *len)
{
	return s2e_config_text(put_store_manifest, m, len);
}

int s2e_store_manifest_add_file(struct s2e_store_manifest *m, const char *file, uint64_t size,
				const char *digest)
{
	struct s2e_store_file *p = realloc(m->files, (m->nfiles + 1) * sizeof(*p));

	if (!p)
		return s2e_error("out of memory");
	m->files = p;
	p += m->nfiles;
	memset(p, 0, sizeof(*p));
	if (!(p->name = strdup(file)))
		return s2e_error("out of memory");
	p->size = size;
	snprintf(p->digest, sizeof(p->digest), "%s", digest ? digest : "");
	m->nfiles++;
	return 0;
}

uint64_t s2e_store_manifest_bytes(const struct s2e_store_manifest *m)
{
	uint64_t total = 0;

	for (size_t i = 0; i < m->nfiles; i++)
		total += m->files[i].size;
	return total;
}

void s2e_store_manifest_free(struct s2e_store_manifest *m)
{
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].name);
	free(m->files);
	free(m->name);
	free(m->pushed_by);
	free(m->pushed_at);
	free(m->commit);
	free(m->vmconfig);
	memset(m, 0, sizeof(*m));
}

char *s2e_store_vm_path(const char *vm, const char *file)
{
	if (s2e_vm_name_check(vm))
		return NULL;
	return s2e_asprintf("vm/%s/%s", vm, file);
}
