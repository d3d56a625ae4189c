/* The JSON reader (see include/s2e/json.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/json.h"
#include "s2e/quote.h"

struct parser {
	const char *s, *what;
	size_t len, at;
};

static int fail(struct parser *p, const char *why)
{
	return s2e_error("%s: offset %zu: %s", p->what, p->at, why);
}

static void blanks(struct parser *p)
{
	while (p->at < p->len && strchr(" \t\r\n", p->s[p->at]) && p->s[p->at])
		p->at++;
}

static int literal(struct parser *p, const char *word, enum s2e_json_type type,
		   struct s2e_json *v)
{
	size_t n = strlen(word);

	if (p->len - p->at < n || memcmp(p->s + p->at, word, n))
		return fail(p, "unexpected character");
	p->at += n;
	v->type = type;
	return 0;
}

static int number(struct parser *p, struct s2e_json *v)
{
	size_t start = p->at;
	const char *digits = "0123456789";

	if (p->at < p->len && p->s[p->at] == '-')
		p->at++;
	if (p->at >= p->len || !strchr(digits, p->s[p->at]) || !p->s[p->at])
		return fail(p, "invalid number");
	if (p->s[p->at] == '0')
		p->at++;
	else
		while (p->at < p->len && p->s[p->at] && strchr(digits, p->s[p->at]))
			p->at++;
	while (p->at < p->len && p->s[p->at] && strchr("0123456789.eE+-", p->s[p->at]))
		p->at++; /* fraction and exponent: kept as text, never computed */
	v->type = S2E_JSON_NUMBER;
	v->text = strndup(p->s + start, p->at - start);
	return v->text ? 0 : s2e_error("out of memory");
}

/* One UTF-8 sequence starting at p->at, copied to out (valid, shortest
 * form, no surrogates). */
static int utf8(struct parser *p, char *out, size_t *o)
{
	const unsigned char *u = (const unsigned char *)p->s + p->at;
	size_t left = p->len - p->at, n;
	uint32_t c;

	if (u[0] < 0x80)
		n = 1, c = u[0];
	else if ((u[0] & 0xe0) == 0xc0)
		n = 2, c = u[0] & 0x1f;
	else if ((u[0] & 0xf0) == 0xe0)
		n = 3, c = u[0] & 0x0f;
	else if ((u[0] & 0xf8) == 0xf0)
		n = 4, c = u[0] & 0x07;
	else
		return fail(p, "invalid UTF-8");
	if (n > left)
		return fail(p, "invalid UTF-8");
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return fail(p, "invalid UTF-8");
		c = c << 6 | (u[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return fail(p, "invalid UTF-8");
	memcpy(out + *o, u, n);
	*o += n;
	p->at += n;
	return 0;
}

static int hex4(struct parser *p, uint32_t *c)
{
	*c = 0;
	if (p->len - p->at < 4)
		return fail(p, "invalid \\u escape");
	for (int i = 0; i < 4; i++) {
		char h = p->s[p->at++];
		int d = h >= '0' && h <= '9'   ? h - '0'
			: h >= 'a' && h <= 'f' ? h - 'a' + 10
			: h >= 'A' && h <= 'F' ? h - 'A' + 10
					       : -1;
		if (d < 0)
			return fail(p, "invalid \\u escape");
		*c = *c << 4 | (uint32_t)d;
	}
	return 0;
}

static void put_utf8(char *out, size_t *o, uint32_t c)
{
	if (c < 0x80) {
		out[(*o)++] = (char)c;
	} else if (c < 0x800) {
		out[(*o)++] = (char)(0xc0 | c >> 6);
		out[(*o)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*o)++] = (char)(0xe0 | c >> 12);
		out[(*o)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | c >> 18);
		out[(*o)++] = (char)(0x80 | ((c >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (c & 0x3f));
	}
}

static int escape(struct parser *p, char *out, size_t *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	uint32_t c, lo;

	if (p->at >= p->len)
		return fail(p, "unterminated string");
	e = p->s[p->at] ? strchr(from, p->s[p->at]) : NULL;
	if (e) {
		out[(*o)++] = to[e - from];
		p->at++;
		return 0;
	}
	if (p->s[p->at++] != 'u')
		return fail(p, "invalid escape");
	if (hex4(p, &c))
		return -1;
	if (c >= 0xd800 && c <= 0xdbff) {
		if (p->len - p->at < 2 || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
			return fail(p, "unpaired surrogate");
		p->at += 2;
		if (hex4(p, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "unpaired surrogate");
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	} else if (c >= 0xdc00 && c <= 0xdfff) {
		return fail(p, "unpaired surrogate");
	}
	if (c == 0)
		return fail(p, "NUL in a string");
	put_utf8(out, o, c);
	return 0;
}

/* A string after its opening quote; *out malloc'd. */
static int string(struct parser *p, char **out)
{
	char *buf = malloc(p->len - p->at + 1);
	size_t o = 0;
	int rc = 0;

	if (!buf)
		return s2e_error("out of memory");
	while (rc == 0) {
		unsigned char c;
		if (p->at >= p->len) {
			rc = fail(p, "unterminated string");
			break;
		}
		c = (unsigned char)p->s[p->at];
		if (c == '"') {
			p->at++;
			break;
		}
		if (c < 0x20)
			rc = fail(p, "control character in a string");
		else if (c == '\\')
			p->at++, rc = escape(p, buf, &o);
		else
			rc = utf8(p, buf, &o);
	}
	buf[o] = '\0';
	if (rc) {
		free(buf);
		return rc;
	}
	{
		char *fit = realloc(buf, o + 1); /* only what it holds: many strings stay small */
		*out = fit ? fit : buf;
	}
	return 0;
}

static int value(struct parser *p, struct s2e_json *v, int depth);

static int grow(struct s2e_json *v, size_t *cap, int keys)
{
	if (v->n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 8;
	struct s2e_json *items = realloc(v->items, *cap * sizeof(*items));
	if (!items)
		return s2e_error("out of memory");
	v->items = items;
	if (keys) {
		char **k = realloc(v->keys, *cap * sizeof(*k));
		if (!k)
			return s2e_error("out of memory");
		v->keys = k;
	}
	return 0;
}

/* An array or object after its bracket. */
static int members(struct parser *p, struct s2e_json *v, int depth, char close)
{
	int object = close == '}';
	size_t cap = 0;

	v->type = object ? S2E_JSON_OBJECT : S2E_JSON_ARRAY;
	blanks(p);
	if (p->at < p->len && p->s[p->at] == close) {
		p->at++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		blanks(p);
		if (grow(v, &cap, object))
			return -1;
		if (object) {
			if (p->at >= p->len || p->s[p->at] != '"')
				return fail(p, "expected a key");
			p->at++;
			if (string(p, &key))
				return -1;
			if (s2e_json_member(v, key)) {
				free(key);
				return fail(p, "a key given twice");
			}
			v->keys[v->n] = key;
			blanks(p);
			if (p->at >= p->len || p->s[p->at++] != ':')
				return free(key), fail(p, "expected ':'");
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;
		if (value(p, &v->items[v->n - 1], depth + 1))
			return -1;
		blanks(p);
		if (p->at < p->len && p->s[p->at] == ',') {
			p->at++;
			continue;
		}
		if (p->at < p->len && p->s[p->at] == close) {
			p->at++;
			return 0;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct parser *p, struct s2e_json *v, int depth)
{
	if (depth > S2E_JSON_MAX_DEPTH)
		return fail(p, "nested too deeply");
	blanks(p);
	if (p->at >= p->len)
		return fail(p, "unexpected end");
	switch (p->s[p->at]) {
	case '{':
		p->at++;
		return members(p, v, depth, '}');
	case '[':
		p->at++;
		return members(p, v, depth, ']');
	case '"':
		p->at++;
		v->type = S2E_JSON_STRING;
		return string(p, &v->text);
	case 'n':
		return literal(p, "null", S2E_JSON_NULL, v);
	case 't':
		return literal(p, "true", S2E_JSON_TRUE, v);
	case 'f':
		return literal(p, "false", S2E_JSON_FALSE, v);
	default:
		return number(p, v);
	}
}

int s2e_json_parse(const char *text, size_t len, const char *what, struct s2e_json *out)
{
	struct parser p = {text, what, len, 0};

	memset(out, 0, sizeof(*out));
	if (len > S2E_JSON_MAX_BYTES)
		return s2e_error("%s: larger than %d bytes", what, S2E_JSON_MAX_BYTES);
	if (value(&p, out, 0) == 0) {
		blanks(&p);
		if (p.at == p.len)
			return 0;
		fail(&p, "text after the value");
	}
	s2e_json_free(out);
	return -1;
}

void s2e_json_free(struct s2e_json *v)
{
	for (size_t i = 0; i < v->n; i++) {
		s2e_json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

const struct s2e_json *s2e_json_member(const struct s2e_json *v, const char *key)
{
	if (!v || v->type != S2E_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (v->keys[i] && !strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const char *s2e_json_text(const struct s2e_json *v, const char *key)
{
	const struct s2e_json *m = s2e_json_member(v, key);

	return m && (m->type == S2E_JSON_STRING || m->type == S2E_JSON_NUMBER) ? m->text : NULL;
}

/* A new member key (value null) at the end of object v. */
static struct s2e_json *add_member(struct s2e_json *v, const char *key)
{
	struct s2e_json *items = realloc(v->items, (v->n + 1) * sizeof(*items));
	char **keys;

	if (!items)
		return s2e_error("out of memory"), NULL;
	v->items = items;
	keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));
	if (!keys)
		return s2e_error("out of memory"), NULL;
	v->keys = keys;
	if (!(v->keys[v->n] = strdup(key)))
		return s2e_error("out of memory"), NULL;
	memset(&v->items[v->n], 0, sizeof(v->items[0]));
	return &v->items[v->n++];
}

static struct s2e_json *member_rw(struct s2e_json *v, const char *key)
{
	if (!v || v->type != S2E_JSON_OBJECT) {
		s2e_error("not a JSON object");
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return add_member(v, key);
}

int s2e_json_set_string(struct s2e_json *v, const char *key, const char *value)
{
	struct s2e_json *m = member_rw(v, key);
	char *copy = value ? strdup(value) : NULL;

	if (!m || !copy) {
		free(copy);
		return m ? s2e_error("out of memory") : -1;
	}
	s2e_json_free(m);
	m->type = S2E_JSON_STRING;
	m->text = copy;
	return 0;
}

struct s2e_json *s2e_json_object_member(struct s2e_json *v, const char *key)
{
	struct s2e_json *m = member_rw(v, key);

	if (m && m->type == S2E_JSON_NULL && !m->n)
		m->type = S2E_JSON_OBJECT;
	return m && m->type == S2E_JSON_OBJECT ? m : NULL;
}

static void indent(FILE *out, int level)
{
	fprintf(out, "\n%*s", level * 4, "");
}

int s2e_json_write(FILE *out, const struct s2e_json *v, int level)
{
	static const char *const words[] = {"null", "false", "true"};
	int object = v->type == S2E_JSON_OBJECT;

	switch (v->type) {
	case S2E_JSON_NULL:
	case S2E_JSON_FALSE:
	case S2E_JSON_TRUE:
		fputs(words[v->type], out);
		break;
	case S2E_JSON_NUMBER:
		fputs(v->text, out);
		break;
	case S2E_JSON_STRING:
		s2e_json_string(out, v->text);
		break;
	case S2E_JSON_ARRAY:
	case S2E_JSON_OBJECT:
		fputc(object ? '{' : '[', out);
		for (size_t i = 0; i < v->n; i++) {
			fputs(i ? "," : "", out);
			indent(out, level + 1);
			if (object) {
				s2e_json_string(out, v->keys[i]);
				fputs(": ", out);
			}
			s2e_json_write(out, &v->items[i], level + 1);
		}
		if (v->n)
			indent(out, level);
		fputc(object ? '}' : ']', out);
		break;
	}
	return ferror(out) ? s2e_error_errno("cannot write JSON") : 0;
}
