/* The package manifest: writing it, and parsing it from an untrusted package.
 * The parser reads the subset of git-config syntax we need (sections with an
 * optional quoted subsection, key = value with optional quoting) and skips
 * sections it does not know, such as the VM's vm.config appended to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/manifest.h"
#include "s2e/quote.h"

static int isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

char *s2e_manifest_format(const struct s2e_manifest *m, const char *vmconfig, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	fputs("# s2e package manifest (git-config syntax); see s2e-pack(1)\n", f);
	fprintf(f, "[package]\n\tversion = %d\n", m->version ? m->version : 1);
	if (m->name) {
		fputs("\tname = ", f);
		put_quoted(f, m->name);
		fputc('\n', f);
	}
	if (m->created)
		fprintf(f, "\tcreated = %s\n", m->created);
	if (m->exported_from) {
		fputs("\texportedFrom = ", f);
		put_quoted(f, m->exported_from);
		fputc('\n', f);
	}
	for (size_t i = 0; i < m->nmembers; i++) {
		fputs("[member ", f);
		put_quoted(f, m->members[i].file);
		fprintf(f, "]\n\tsize = %llu\n", (unsigned long long)m->members[i].size);
		if (m->members[i].digest)
			fprintf(f, "\tdigest = %s\n", m->members[i].digest);
	}
	if (vmconfig && *vmconfig) {
		fputs("# the VM's vm.config\n", f);
		fputs(vmconfig, f);
		if (vmconfig[strlen(vmconfig) - 1] != '\n')
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
	memset(m, 0, sizeof(*m));
}

/* Parse a (possibly quoted) value or subsection from p up to end; the result
 * is malloc'd in *out.  Returns the position after it, NULL if malformed. */
static const char *parse_value(const char *p, const char *end, char **out, int quoted_only)
{
	char *v = malloc((size_t)(end - p) + 1);
	size_t n = 0;
	int in_quote = 0;

	if (!v)
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (quoted_only && (p == end || *p != '"')) {
		free(v);
		return NULL;
	}
	for (; p < end; p++) {
		char c = *p;
		if (c == '"') {
			in_quote = !in_quote;
			if (quoted_only && !in_quote) {
				p++;
				break;
			}
			continue;
		}
		if (c == '\\') {
			if (++p == end)
				goto bad;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			if (c != '"' && c != '\\' && c != '\n' && c != '\t')
				goto bad;
			v[n++] = c;
			continue;
		}
		if (!in_quote && (c == '#' || c == ';'))
			break;
		if (c == '\0')
			goto bad;
		v[n++] = c;
	}
	if (in_quote)
		goto bad;
	if (!quoted_only)
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
	v[n] = '\0';
	*out = v;
	return p;
bad:
	free(v);
	return NULL;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

static int digest_valid(const char *d)
{
	if (strncmp(d, "sha256-1m:", 10) || strlen(d) != 74)
		return 0;
	for (d += 10; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return 0;
	return 1;
}

int s2e_manifest_parse(const char *text, size_t len, struct s2e_manifest *m)
{
	const char *p = text, *end = text + len;
	enum { OTHER, PACKAGE, MEMBER } section = OTHER;
	struct s2e_manifest_member *cur = NULL;
	int lineno = 0, saw_package = 0;

	memset(m, 0, sizeof(*m));
	if (memchr(text, '\0', len))
		return s2e_error("manifest %s is not text", s2e_q(S2E_MANIFEST_NAME));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		char *key = NULL, *val = NULL;

		if (!eol)
			eol = end;
		lineno++;
		q = p;
		p = eol + 1;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == eol || *q == '#' || *q == ';')
			continue;
		if (*q == '[') {
			const char *name = ++q;
			char *sub = NULL;
			while (q < eol && (isalnum_ascii(*q) || *q == '-' || *q == '.'))
				q++;
			size_t nlen = (size_t)(q - name);
			if (q < eol && *q == ' ') {
				q = parse_value(q, eol, &sub, 1);
				if (!q)
					goto bad;
			}
			if (q >= eol || *q != ']') {
				free(sub);
				goto bad;
			}
			section = OTHER;
			cur = NULL;
			if ((nlen == 7 && !strncasecmp(name, "include", 7)) ||
			    (nlen == 9 && !strncasecmp(name, "includeif", 9))) {
				free(sub);
				s2e_error("manifest line %d: includes are not allowed", lineno);
				goto fail;
			}
			if (nlen == 7 && !strncmp(name, "package", 7) && !sub) {
				section = PACKAGE;
				saw_package = 1;
			} else if (nlen == 6 && !strncmp(name, "member", 6) && sub) {
				if (s2e_manifest_find(m, sub)) {
					s2e_error("manifest line %d: member %s listed twice",
						  lineno, s2e_q(sub));
					free(sub);
					goto fail;
				}
				if (s2e_manifest_add(m, sub, 0, NULL)) {
					free(sub);
					goto fail;
				}
				cur = &m->members[m->nmembers - 1];
				cur->size = UINT64_MAX;
				section = MEMBER;
			}
			free(sub);
			continue;
		}
		{
			const char *k = q;
			while (q < eol && (isalnum_ascii(*q) || *q == '-'))
				q++;
			if (q == k)
				goto bad;
			key = strndup(k, (size_t)(q - k));
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q < eol && *q == '=') {
				const char *ve = eol;
				if (ve > q + 1 && ve[-1] == '\r')
					ve--;
				if (!parse_value(q + 1, ve, &val, 0)) {
					free(key);
					goto bad;
				}
			} else {
				val = strdup("true");
			}
			if (!key || !val) {
				free(key);
				free(val);
				s2e_error("out of memory");
				goto fail;
			}
		}
		int rc = 0;
		if (section == PACKAGE) {
			if (!strcasecmp(key, "version")) {
				uint64_t v;
				if (parse_u64(val, &v) || v != 1)
					rc = s2e_error("manifest line %d: unsupported version %s",
						       lineno, s2e_q(val));
				m->version = 1;
			} else if (!strcasecmp(key, "name")) {
				free(m->name);
				m->name = val;
				val = NULL;
			} else if (!strcasecmp(key, "created")) {
				free(m->created);
				m->created = val;
				val = NULL;
			} else if (!strcasecmp(key, "exportedFrom")) {
				free(m->exported_from);
				m->exported_from = val;
				val = NULL;
			}
		} else if (section == MEMBER) {
			if (!strcasecmp(key, "size")) {
				if (parse_u64(val, &cur->size))
					rc = s2e_error("manifest line %d: bad size %s", lineno,
						       s2e_q(val));
			} else if (!strcasecmp(key, "digest")) {
				if (!digest_valid(val))
					rc = s2e_error("manifest line %d: bad digest %s", lineno,
						       s2e_q(val));
				free(cur->digest);
				cur->digest = val;
				val = NULL;
			}
		}
		free(key);
		free(val);
		if (rc)
			goto fail;
	}
	if (!saw_package || !m->version) {
		s2e_error("manifest %s has no [package] version", s2e_q(S2E_MANIFEST_NAME));
		goto fail;
	}
	for (size_t i = 0; i < m->nmembers; i++)
		if (m->members[i].size == UINT64_MAX) {
			s2e_error("manifest: member %s has no size", s2e_q(m->members[i].file));
			goto fail;
		}
	return 0;
bad:
	s2e_error("manifest line %d is malformed", lineno);
fail:
	s2e_manifest_free(m);
	return -1;
}

int s2e_config_subsections(const char *text, size_t len, const char *section, char ***subs,
			   size_t *n)
{
	const char *p = text, *end = text + len;
	size_t slen = strlen(section);

	*subs = NULL;
	*n = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		char *sub = NULL, **grown;

		if (!eol)
			eol = end;
		p = eol + 1;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (q == eol || *q != '[' || (size_t)(eol - q) < slen + 2 ||
		    strncasecmp(q + 1, section, slen) || q[slen + 1] != ' ')
			continue;
		q = parse_value(q + slen + 1, eol, &sub, 1);
		if (!q || *q != ']') {
			free(sub);
			continue;
		}
		grown = realloc(*subs, (*n + 1) * sizeof(*grown));
		if (!grown) {
			free(sub);
			return s2e_error("out of memory");
		}
		*subs = grown;
		(*subs)[(*n)++] = sub;
	}
	return 0;
}
