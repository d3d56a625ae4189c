/* The one reader and writer of git-config syntax (see include/s2e/config.h
 * for the accepted subset and the quoting rule).  The reader mirrors git's
 * own value parser (config.c: parse_value) for what it accepts, and refuses
 * everything where git, libgit2 and a simpler reader could disagree. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/config.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_keychar(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '-';
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int section_name_ok(const char *s, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_keychar((unsigned char)s[i]))
			return 0;
	return 1;
}

static int key_name_ok(const char *s, size_t len)
{
	return len && is_alpha((unsigned char)s[0]) && section_name_ok(s, len);
}

static int is_include(const char *s, size_t len)
{
	return (len == 7 && !strncasecmp(s, "include", 7)) ||
	       (len == 9 && !strncasecmp(s, "includeIf", 9));
}

void s2e_config_free(struct s2e_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		struct s2e_config_entry *e = &cfg->entries[i];
		free(e->section);
		free(e->subsection);
		free(e->key);
		free(e->value);
	}
	free(cfg->entries);
	memset(cfg, 0, sizeof(*cfg));
}

/* Take ownership of the four strings (freed on failure). */
static int add_owned(struct s2e_config *cfg, char *section, char *sub, char *key, char *value,
		     int line)
{
	struct s2e_config_entry *e;

	if (cfg->n == cfg->cap) {
		size_t cap = cfg->cap ? 2 * cfg->cap : 16;
		e = realloc(cfg->entries, cap * sizeof(*e));
		if (!e)
			goto oom;
		cfg->entries = e;
		cfg->cap = cap;
	}
	e = &cfg->entries[cfg->n++];
	e->section = section;
	e->subsection = sub;
	e->key = key;
	e->value = value;
	e->line = line;
	return 0;
oom:
	free(section);
	free(sub);
	free(key);
	free(value);
	return s2e_error("out of memory");
}

int s2e_config_add(struct s2e_config *cfg, const char *section, const char *subsection,
		   const char *key, const char *value)
{
	char *s = strdup(section), *sub = subsection ? strdup(subsection) : NULL;
	char *k = key ? strdup(key) : NULL, *v = value ? strdup(value) : NULL;

	if (!s || (subsection && !sub) || (key && !k) || (value && !v)) {
		free(s);
		free(sub);
		free(k);
		free(v);
		return s2e_error("out of memory");
	}
	return add_owned(cfg, s, sub, k, v, 0);
}

struct parser {
	const char *what;
	int line;
	struct s2e_config *cfg;
	char *section, *sub; /* the current section (owned) */
	int have_section;
};

/* An entry in the current section, taking key and value (freed on failure). */
static int add_copy(struct parser *ps, char *key, char *value)
{
	char *section = strdup(ps->section), *sub = ps->sub ? strdup(ps->sub) : NULL;

	if (!section || (ps->sub && !sub)) {
		free(section);
		free(key);
		free(value);
		return s2e_error("out of memory");
	}
	return add_owned(ps->cfg, section, sub, key, value, ps->line);
}

static int perr(struct parser *ps, const char *why)
{
	return s2e_error("%s line %d: %s", s2e_q(ps->what), ps->line, why);
}

/* [name] or [name "sub"], then only blanks or a comment. */
static int parse_header(struct parser *ps, const char *p, const char *eol)
{
	const char *name = ++p;
	char *sub = NULL, *section;
	size_t n = 0, namelen;

	while (p < eol && is_keychar((unsigned char)*p))
		p++;
	namelen = (size_t)(p - name);
	if (!section_name_ok(name, namelen))
		return perr(ps, "malformed section header");
	if (is_include(name, namelen))
		return perr(ps, "include sections are not allowed");
	if (p < eol && (*p == ' ' || *p == '\t')) {
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol || *p != '"')
			return perr(ps, "malformed section header");
		if (!(sub = malloc((size_t)(eol - p))))
			return s2e_error("out of memory");
		for (p++; p < eol && *p != '"'; p++) {
			if (*p == '\\') {
				if (++p == eol || (*p != '"' && *p != '\\'))
					break;
			}
			sub[n++] = *p;
		}
		sub[n] = '\0';
		if (p == eol || *p != '"') {
			free(sub);
			return perr(ps, "malformed subsection name");
		}
		p++;
	}
	if (p == eol || *p != ']') {
		free(sub);
		return perr(ps, "malformed section header");
	}
	for (p++; p < eol && (*p == ' ' || *p == '\t'); p++)
		;
	if (p < eol && *p != '#' && *p != ';') {
		free(sub);
		return perr(ps, "text after the section header");
	}
	section = strndup(name, namelen);
	free(ps->section);
	free(ps->sub);
	ps->section = section;
	ps->sub = sub;
	ps->have_section = 1;
	return section ? add_copy(ps, NULL, NULL) : s2e_error("out of memory");
}

/* A value as git reads it: blanks outside quotes collapse at the ends, a
 * comment outside quotes ends it, quotes toggle, \\ \" \n \t \b escape. */
static char *parse_value(struct parser *ps, const char *p, const char *eol)
{
	char *v = malloc((size_t)(eol - p) + 1);
	size_t n = 0, space = 0;
	int quote = 0;

	if (!v) {
		s2e_error("out of memory");
		return NULL;
	}
	for (; p < eol; p++) {
		char c = *p;
		if ((c == ' ' || c == '\t') && !quote) {
			if (n)
				space++;
			continue;
		}
		if (!quote && (c == '#' || c == ';'))
			break;
		for (; space; space--)
			v[n++] = ' ';
		if (c == '"') {
			quote = !quote;
			continue;
		}
		if (c == '\\') {
			if (++p == eol) {
				perr(ps, "line continuations are not supported");
				goto fail;
			}
			switch (*p) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case '\\':
			case '"': c = *p; break;
			default:
				perr(ps, "unknown escape sequence in a value");
				goto fail;
			}
		}
		v[n++] = c;
	}
	if (quote) {
		perr(ps, "unterminated quote");
		goto fail;
	}
	v[n] = '\0';
	return v;
fail:
	free(v);
	return NULL;
}

static int parse_key(struct parser *ps, const char *p, const char *eol)
{
	const char *k = p;
	char *key, *value = NULL;

	while (p < eol && is_keychar((unsigned char)*p))
		p++;
	if (!key_name_ok(k, (size_t)(p - k)) || (p < eol && *p != ' ' && *p != '\t' && *p != '='))
		return perr(ps, "invalid key");
	if (!ps->have_section)
		return perr(ps, "key before any section");
	key = strndup(k, (size_t)(p - k));
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p < eol && *p != '=') {
		free(key);
		return perr(ps, "expected '=' after the key");
	}
	if (p < eol && !(value = parse_value(ps, p + 1, eol))) {
		free(key);
		return -1;
	}
	if (!key) {
		free(value);
		return s2e_error("out of memory");
	}
	return add_copy(ps, key, value);
}

static int parse_line(struct parser *ps, const char *p, const char *eol)
{
	if (eol > p && eol[-1] == '\r')
		eol--;
	if ((size_t)(eol - p) > S2E_CONFIG_LINE_MAX)
		return perr(ps, "line too long");
	for (const char *c = p; c < eol; c++)
		if (*c != '\t' && is_control((unsigned char)*c))
			return perr(ps, *c ? "control character" : "NUL byte");
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || *p == '#' || *p == ';')
		return 0;
	if (*p == '[')
		return parse_header(ps, p, eol);
	return parse_key(ps, p, eol);
}

int s2e_config_parse(const char *text, size_t len, const char *what, size_t max,
		     struct s2e_config *cfg)
{
	struct parser ps = {.what = what, .cfg = cfg};
	const char *p = text, *end = text + len;
	int rc = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!max)
		max = S2E_CONFIG_FILE_MAX;
	if (len > max)
		return s2e_error("%s is too large (%zu bytes, at most %zu)", s2e_q(what), len, max);
	while (p < end && !rc) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		ps.line++;
		rc = parse_line(&ps, p, eol);
		p = eol + 1;
	}
	free(ps.section);
	free(ps.sub);
	if (rc)
		s2e_config_free(cfg);
	return rc;
}

int s2e_config_read_file(const char *path, struct s2e_config *cfg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return s2e_error_errno("cannot open %s", s2e_q(path));
	}
	if (fstat(fd, &st)) {
		s2e_error_errno("cannot read %s", s2e_q(path));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		s2e_error("%s is not a regular file", s2e_q(path));
		goto out;
	}
	if ((uint64_t)st.st_size > S2E_CONFIG_FILE_MAX) {
		s2e_error("%s is too large (%lld bytes, at most %d)", s2e_q(path),
			  (long long)st.st_size, S2E_CONFIG_FILE_MAX);
		goto out;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		s2e_error("out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s2e_error_errno("cannot read %s", s2e_q(path));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			s2e_error("%s changed while it was read", s2e_q(path));
			goto out;
		}
	}
	rc = s2e_config_parse(text, len, path, 0, cfg);
out:
	free(text);
	close(fd);
	return rc;
}

int s2e_config_in(const struct s2e_config_entry *e, const char *section,
		  const char *subsection)
{
	if (strcasecmp(e->section, section))
		return 0;
	if (!subsection || !e->subsection)
		return !subsection && !e->subsection;
	return !strcmp(e->subsection, subsection);
}

const char *s2e_config_get(const struct s2e_config *cfg, const char *section,
			   const char *subsection, const char *key)
{
	for (size_t i = cfg->n; i-- > 0;) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		if (e->key && !strcasecmp(e->key, key) && s2e_config_in(e, section, subsection))
			return e->value;
	}
	return NULL;
}

int s2e_config_subsections_of(const struct s2e_config *cfg, const char *section, char ***subs,
			      size_t *n)
{
	const char *last = NULL;

	*subs = NULL;
	*n = 0;
	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		char **grown;
		if (!e->subsection || strcasecmp(e->section, section) ||
		    (last && !strcmp(last, e->subsection)))
			continue;
		last = e->subsection;
		grown = realloc(*subs, (*n + 1) * sizeof(*grown));
		if (!grown || !(grown[*n] = strdup(e->subsection))) {
			*subs = grown ? grown : *subs;
			for (size_t j = 0; j < *n; j++)
				free((*subs)[j]);
			free(*subs);
			*subs = NULL;
			*n = 0;
			return s2e_error("out of memory");
		}
		*subs = grown;
		(*n)++;
	}
	return 0;
}

int s2e_config_u64(const char *value, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!value || *value < '0' || *value > '9')
		return -1;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno || *end || v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/* ---- writing ---- */

int s2e_config_value_ok(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (is_control(*p) && *p != '\n' && *p != '\t' && *p != '\b')
			return 0;
	return 1;
}

int s2e_config_put_section(FILE *out, const char *section, const char *subsection)
{
	if (!section_name_ok(section, strlen(section)) || is_include(section, strlen(section)))
		return s2e_error("cannot write section name %s", s2e_q(section));
	if (!subsection) {
		fprintf(out, "[%s]\n", section);
		return 0;
	}
	for (const unsigned char *p = (const unsigned char *)subsection; *p; p++)
		if (*p != '\t' && is_control(*p))
			return s2e_error("cannot write %s as a subsection name: control character",
					 s2e_q(subsection));
	fprintf(out, "[%s \"", section);
	for (const char *p = subsection; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputs("\"]\n", out);
	return 0;
}

int s2e_config_put(FILE *out, const char *key, const char *value)
{
	size_t len;
	int quote;

	if (!key_name_ok(key, strlen(key)))
		return s2e_error("cannot write key name %s", s2e_q(key));
	if (!value) {
		fprintf(out, "\t%s\n", key);
		return 0;
	}
	if (!s2e_config_value_ok(value))
		return s2e_error("cannot write the value of %s: control character", key);
	len = strlen(value);
	quote = !len || strchr(" \t", value[0]) || strchr(" \t", value[len - 1]) ||
		strpbrk(value, "#;");
	fprintf(out, "\t%s = %s", key, quote ? "\"" : "");
	for (const char *p = value; *p; p++) {
		switch (*p) {
		case '\\': fputs("\\\\", out); break;
		case '"': fputs("\\\"", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		default: fputc(*p, out);
		}
	}
	fputs(quote ? "\"\n" : "\n", out);
	return 0;
}

int s2e_config_write(FILE *out, const struct s2e_config *cfg)
{
	const struct s2e_config_entry *prev = NULL;

	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		int same = prev && !strcmp(prev->section, e->section) &&
			   (prev->subsection ? e->subsection && !strcmp(prev->subsection, e->subsection)
					     : !e->subsection);
		if ((!same || !e->key) && s2e_config_put_section(out, e->section, e->subsection))
			return -1;
		if (e->key && s2e_config_put(out, e->key, e->value))
			return -1;
		prev = e;
	}
	return 0;
}

char *s2e_config_text(int (*put)(FILE *f, const void *arg), const void *arg, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int rc;

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	rc = put(f, arg);
	if (fclose(f) && !rc)
		rc = s2e_error("out of memory");
	if (rc) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
