/* The manifest of a VM in a store: see include/s2e/storemanifest.h.
 *
 * Two parts: a small strict git-config reader (kept apart so a shared
 * hardened reader can replace it), then the manifest on top of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/storemanifest.h"

/* ---- A strict git-config reader ---------------------------------------
 *
 * Accepts: blank lines; comments (# or ;); `[section]` and
 * `[section "subsection"]` (\" and \\ escapes in the subsection); `key =
 * value` and a bare `key` (true).  Values: surrounding blanks trimmed, double
 * quotes with \" \\ \n \t \b escapes, a # or ; outside quotes starts a
 * comment.  Refused: NUL bytes, control characters, line continuations,
 * `[section.sub]`, keys before any section, bad section or key names, an
 * unterminated quote, lines over CFG_LINE_MAX, and include/includeIf
 * sections.  Section and key names are lower-cased for the callback. */

#define CFG_LINE_MAX 65536

struct cfg_item {
	const char *section; /* lower case */
	const char *sub;     /* NULL when none */
	const char *key;     /* lower case; NULL: the section header itself */
	const char *value;   /* "true" for a bare key */
	const char *raw;     /* the line as written, and its length (no newline) */
	size_t rawlen;
	size_t line;
};

typedef int (*cfg_fn)(void *ctx, const struct cfg_item *item);

struct cfg_state {
	const char *what;
	size_t line;
	char section[64];
	char *sub;
	int have_section;
};

static int cfg_bad(struct cfg_state *s, const char *why)
{
	return s2e_error("%s: line %zu: %s", s->what, s->line, why);
}

static int tolower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int name_char(char c, int dot)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || (dot && c == '.');
}

/* Parse `"…"` at *p into out (cap bytes); escapes allowed are in `esc`. */
static int cfg_quoted(struct cfg_state *s, const char **p, char *out, size_t cap, size_t *n,
		      int value)
{
	const char *q = *p + 1;

	while (*q != '"') {
		char c = *q++;
		if (!c)
			return cfg_bad(s, "unterminated quote");
		if (c == '\\') {
			c = *q++;
			if (value && (c == 'n' || c == 't' || c == 'b'))
				c = c == 'n' ? '\n' : c == 't' ? '\t' : '\b';
			else if (c != '"' && c != '\\')
				return cfg_bad(s, "bad escape in a quoted string");
		}
		if (*n + 1 >= cap)
			return cfg_bad(s, "string too long");
		out[(*n)++] = c;
	}
	*p = q + 1;
	out[*n] = '\0';
	return 0;
}

static int cfg_header(struct cfg_state *s, const char *p, char *buf)
{
	size_t n = 0;

	p++;
	while (name_char(*p, 1) && n < sizeof(s->section) - 1)
		s->section[n++] = (char)tolower_ascii(*p++);
	s->section[n] = '\0';
	if (!n || name_char(*p, 1))
		return cfg_bad(s, "bad section name");
	if (strchr(s->section, '.'))
		return cfg_bad(s, "old-style [section.sub] headers are not accepted");
	free(s->sub);
	s->sub = NULL;
	if (*p == ' ') {
		size_t len = 0;
		while (*p == ' ')
			p++;
		if (*p != '"' || cfg_quoted(s, &p, buf, CFG_LINE_MAX, &len, 0))
			return s->sub ? -1 : cfg_bad(s, "bad subsection");
		if (!(s->sub = strdup(buf)))
			return s2e_error("out of memory");
	}
	if (*p++ != ']')
		return cfg_bad(s, "bad section header");
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != '#' && *p != ';')
		return cfg_bad(s, "text after a section header");
	if (!strcmp(s->section, "include") || !strcmp(s->section, "includeif"))
		return cfg_bad(s, "include and includeIf are not accepted");
	s->have_section = 1;
	return 0;
}

static int cfg_value(struct cfg_state *s, const char *p, char *out)
{
	size_t n = 0, keep = 0; /* keep: length without trailing blanks */

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != '#' && *p != ';') {
		if (*p == '"') {
			if (cfg_quoted(s, &p, out, CFG_LINE_MAX, &n, 1))
				return -1;
			keep = n;
			continue;
		}
		if (*p == '\\')
			return cfg_bad(s, "backslash outside quotes (or a line continuation)");
		out[n++] = *p;
		if (*p != ' ' && *p != '\t')
			keep = n;
		p++;
	}
	out[keep] = '\0';
	return 0;
}

static int cfg_line(struct cfg_state *s, const char *p, size_t len, char *buf, char *val, cfg_fn fn,
		    void *ctx)
{
	struct cfg_item it = {.raw = p, .rawlen = len, .line = s->line};
	char key[64];
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#' || *p == ';')
		return 0;
	if (*p == '[') {
		if (cfg_header(s, p, buf))
			return -1;
		it.section = s->section;
		it.sub = s->sub;
		return fn(ctx, &it);
	}
	if (!s->have_section)
		return cfg_bad(s, "a key outside any section");
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return cfg_bad(s, "bad key name");
	while (name_char(*p, 0) && n < sizeof(key) - 1)
		key[n++] = (char)tolower_ascii(*p++);
	key[n] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=') {
		if (cfg_value(s, p + 1, val))
			return -1;
	} else if (!*p || *p == '#' || *p == ';') {
		strcpy(val, "true");
	} else {
		return cfg_bad(s, "bad key name or missing '='");
	}
	it.section = s->section;
	it.sub = s->sub;
	it.key = key;
	it.value = val;
	return fn(ctx, &it);
}

static int cfg_parse(const char *text, size_t len, const char *what, cfg_fn fn, void *ctx)
{
	struct cfg_state s = {.what = what};
	char *line = malloc(CFG_LINE_MAX + 1), *buf = malloc(CFG_LINE_MAX + 1);
	char *val = malloc(CFG_LINE_MAX + 1);
	size_t pos = 0;
	int rc = 0;

	if (!line || !buf || !val)
		rc = s2e_error("out of memory");
	while (rc == 0 && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		s.line++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (n > CFG_LINE_MAX) {
			rc = cfg_bad(&s, "line too long");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		for (size_t i = 0; i < n && rc == 0; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
				rc = cfg_bad(&s, line[i] ? "control character" : "NUL byte");
		if (rc == 0)
			rc = cfg_line(&s, line, n, buf, val, fn, ctx);
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
	}
	free(s.sub);
	free(line);
	free(buf);
	free(val);
	return rc;
}

/* ---- The manifest ------------------------------------------------------ */

struct mparse {
	struct s2e_store_manifest *m;
	const char *what;
	enum { PART_PUSH, PART_FILE, PART_OTHER } part;
	struct s2e_store_file *file; /* the [file] section being read */
	unsigned seen;		     /* bit per key of the current section */
	FILE *vm;		     /* the other sections, verbatim */
	char **snaps;
	size_t nsnaps;
};

static int bad_at(struct mparse *mp, const struct cfg_item *it, const char *why, const char *what)
{
	return s2e_error("%s: line %zu: %s%s%s", mp->what, it->line, why, what ? " " : "",
			 what ? s2e_q(what) : "");
}

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

static int once(struct mparse *mp, const struct cfg_item *it, unsigned bit)
{
	if (mp->seen & bit)
		return bad_at(mp, it, "duplicate key", it->key);
	mp->seen |= bit;
	return 0;
}

static int set_string(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
	return *field ? 0 : s2e_error("out of memory");
}

static int push_key(struct mparse *mp, const struct cfg_item *it)
{
	struct s2e_store_manifest *m = mp->m;
	const char *k = it->key, *v = it->value;

	if (!strcmp(k, "version")) {
		if (once(mp, it, 1))
			return -1;
		if (strcmp(v, "1"))
			return bad_at(mp, it, "unknown manifest version", v);
		m->version = 1;
	} else if (!strcmp(k, "name")) {
		if (once(mp, it, 2))
			return -1;
		if (s2e_vm_name_check(v))
			return s2e_error_prefix("%s: line %zu", mp->what, it->line);
		return set_string(&m->name, v);
	} else if (!strcmp(k, "by")) {
		return once(mp, it, 4) ? -1 : set_string(&m->pushed_by, v);
	} else if (!strcmp(k, "time")) {
		return once(mp, it, 8) ? -1 : set_string(&m->pushed_at, v);
	} else if (!strcmp(k, "commit")) {
		if (once(mp, it, 16))
			return -1;
		if (!*v || strlen(v) > 64 || strspn(v, "0123456789abcdef") != strlen(v))
			return bad_at(mp, it, "bad commit", v);
		return set_string(&m->commit, v);
	}
	return 0; /* keys of later versions */
}

static int file_key(struct mparse *mp, const struct cfg_item *it)
{
	struct s2e_store_file *f = mp->file;
	const char *v = it->value;
	char *end;

	if (!strcmp(it->key, "size")) {
		if (once(mp, it, 1))
			return -1;
		f->size = strtoull(v, &end, 10);
		if (!*v || *end || *v == '-' || *v == '+' || f->size > (uint64_t)INT64_MAX)
			return bad_at(mp, it, "bad size", v);
	} else if (!strcmp(it->key, "digest")) {
		if (once(mp, it, 2))
			return -1;
		if (!digest_ok(v))
			return bad_at(mp, it, "bad digest", v);
		strcpy(f->digest, v);
	}
	return 0;
}

static int file_section(struct mparse *mp, const struct cfg_item *it)
{
	const char *snap;

	if (!it->sub || !file_name_ok(it->sub, &snap))
		return bad_at(mp, it, "bad file name", it->sub ? it->sub : "(none)");
	for (size_t i = 0; i < mp->m->nfiles; i++)
		if (!strcmp(mp->m->files[i].name, it->sub))
			return bad_at(mp, it, "duplicate file", it->sub);
	if (s2e_store_manifest_add_file(mp->m, it->sub, UINT64_MAX, ""))
		return -1;
	mp->file = &mp->m->files[mp->m->nfiles - 1];
	mp->file->size = UINT64_MAX;
	return 0;
}

static int other_item(struct mparse *mp, const struct cfg_item *it)
{
	if (!it->key && !strcmp(it->section, "snapshot")) {
		char **p;
		if (!it->sub || s2e_snap_name_check(it->sub) || !strcmp(it->sub, ".") ||
		    !strcmp(it->sub, ".."))
			return bad_at(mp, it, "bad snapshot name", it->sub ? it->sub : "(none)");
		for (size_t i = 0; i < mp->nsnaps; i++)
			if (!strcmp(mp->snaps[i], it->sub))
				return bad_at(mp, it, "duplicate snapshot", it->sub);
		if (!(p = realloc(mp->snaps, (mp->nsnaps + 1) * sizeof(*p))))
			return s2e_error("out of memory");
		mp->snaps = p;
		if (!(p[mp->nsnaps] = strdup(it->sub)))
			return s2e_error("out of memory");
		mp->nsnaps++;
	}
	if (it->key && !strcmp(it->section, "snapshot") && !strcmp(it->key, "disk") &&
	    !digest_ok(it->value))
		return bad_at(mp, it, "bad snapshot disk digest", it->value);
	fwrite(it->raw, 1, it->rawlen, mp->vm);
	fputc('\n', mp->vm);
	return 0;
}

static int manifest_item(void *ctx, const struct cfg_item *it)
{
	struct mparse *mp = ctx;

	if (!it->key) {
		mp->seen = 0;
		mp->part = !strcmp(it->section, "push")	  ? PART_PUSH
			   : !strcmp(it->section, "file") ? PART_FILE
							  : PART_OTHER;
		if (mp->part == PART_PUSH && it->sub)
			return bad_at(mp, it, "[push] takes no subsection", NULL);
		if (mp->part == PART_FILE)
			return file_section(mp, it);
	}
	switch (mp->part) {
	case PART_PUSH:
		return it->key ? push_key(mp, it) : 0;
	case PART_FILE:
		return file_key(mp, it);
	default:
		return other_item(mp, it);
	}
}

/* Everything the sections cannot say on their own. */
static int manifest_check(struct mparse *mp)
{
	struct s2e_store_manifest *m = mp->m;

	if (!m->version)
		return s2e_error("%s: no [push] version", mp->what);
	if (!m->name)
		return s2e_error("%s: no VM name", mp->what);
	if (!m->nfiles || strcmp(m->files[0].name, "disk.s2e"))
		return s2e_error("%s: the first file must be disk.s2e", mp->what);
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].size == UINT64_MAX || !m->files[i].digest[0])
			return s2e_error("%s: file %s has no size or no digest", mp->what,
					 s2e_q(m->files[i].name));
	if (mp->nsnaps != m->nfiles - 1)
		return s2e_error("%s: %zu snapshot files but %zu snapshots", mp->what,
				 m->nfiles - 1, mp->nsnaps);
	for (size_t i = 0; i < mp->nsnaps; i++)
		if (strcmp(m->files[i + 1].name + 9, mp->snaps[i]))
			return s2e_error("%s: file %s does not match snapshot %s (order)", mp->what,
					 s2e_q(m->files[i + 1].name), s2e_q(mp->snaps[i]));
	return 0;
}

int s2e_store_manifest_parse(const char *text, size_t len, const char *what,
			     struct s2e_store_manifest *m)
{
	struct mparse mp = {.m = m, .what = what};
	size_t vmlen = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > S2E_STORE_MANIFEST_MAX)
		return s2e_error("%s: larger than %d bytes", what, S2E_STORE_MANIFEST_MAX);
	if (memchr(text, '\0', len))
		return s2e_error("%s: NUL byte", what);
	if (!(mp.vm = open_memstream(&m->vmconfig, &vmlen)))
		return s2e_error("out of memory");
	rc = cfg_parse(text, len, what, manifest_item, &mp);
	if (fclose(mp.vm) && rc == 0)
		rc = s2e_error("out of memory");
	if (rc == 0)
		rc = manifest_check(&mp);
	for (size_t i = 0; i < mp.nsnaps; i++)
		free(mp.snaps[i]);
	free(mp.snaps);
	if (rc)
		s2e_store_manifest_free(m);
	return rc;
}

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n' || *s == '\t')
			fputs(*s == '\n' ? "\\n" : "\\t", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

char *s2e_store_manifest_format(const struct s2e_store_manifest *m, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	fputs("# s2e store manifest (git-config syntax); see s2e-chunk(1)\n", f);
	fprintf(f, "[push]\n\tversion = %d\n\tname = ", S2E_STORE_MANIFEST_VERSION);
	put_quoted(f, m->name ? m->name : "");
	if (m->pushed_by) {
		fputs("\n\tby = ", f);
		put_quoted(f, m->pushed_by);
	}
	if (m->pushed_at)
		fprintf(f, "\n\ttime = %s", m->pushed_at);
	if (m->commit)
		fprintf(f, "\n\tcommit = %s", m->commit);
	fputc('\n', f);
	for (size_t i = 0; i < m->nfiles; i++) {
		fputs("[file ", f);
		put_quoted(f, m->files[i].name);
		fprintf(f, "]\n\tsize = %llu\n\tdigest = %s\n",
			(unsigned long long)m->files[i].size, m->files[i].digest);
	}
	if (m->vmconfig && *m->vmconfig) {
		fputs(m->vmconfig, f);
		if (m->vmconfig[strlen(m->vmconfig) - 1] != '\n')
			fputc('\n', f);
	}
	if (fclose(f)) {
		free(buf);
		s2e_error("out of memory");
		return NULL;
	}
	*len = size;
	return buf;
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
