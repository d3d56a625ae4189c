/* Status records between plumbing and porcelain: see include/s2e/record.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/record.h"

static int needs_escape(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '%';
}

static void put_field(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (needs_escape(*p))
			fprintf(out, "%%%02X", *p);
		else
			putc(*p, out);
}

int s2e_record_write(FILE *out, const char *keyword, ...)
{
	va_list ap;
	const char *field;

	put_field(out, keyword);
	va_start(ap, keyword);
	while ((field = va_arg(ap, const char *))) {
		putc(' ', out);
		put_field(out, field);
	}
	va_end(ap);
	putc('\n', out);
	if (fflush(out) || ferror(out))
		return s2e_error_errno("cannot write a status record");
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one field of len bytes in place, NUL-terminating it. */
static int decode_field(char *s, size_t len)
{
	char *w = s;

	if (!len)
		return s2e_error("malformed status record: empty field");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;

		if (c != '%') {
			if (needs_escape(c))
				return s2e_error("malformed status record: raw byte 0x%02x", c);
			*w++ = (char)c;
			continue;
		}
		if (i + 2 >= len)
			return s2e_error("malformed status record: truncated %%XX");
		hi = hex_digit(s[i + 1]);
		lo = hex_digit(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi | lo) == 0)
			return s2e_error("malformed status record: bad %%XX escape");
		*w++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*w = '\0';
	return 0;
}

int s2e_record_parse(char *line, size_t len, struct s2e_record *rec)
{
	size_t start = 0;

	rec->n = 0;
	if (memchr(line, '\0', len))
		return s2e_error("malformed status record: NUL byte");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (rec->n == S2E_RECORD_FIELDS)
			return s2e_error("malformed status record: too many fields");
		line[i] = '\0';
		if (decode_field(line + start, i - start))
			return -1;
		rec->field[rec->n++] = line + start;
		start = i + 1;
	}
	return 0;
}

int s2e_record_line(const char *line, size_t len, s2e_record_fn fn, void *ctx)
{
	struct s2e_record rec;
	char *copy;
	int rc;

	if (len > S2E_RECORD_MAX)
		return s2e_error("malformed status record: longer than %d bytes", S2E_RECORD_MAX);
	if (!(copy = malloc(len + 1)))
		return s2e_error("out of memory");
	memcpy(copy, line, len);
	copy[len] = '\0';
	rc = s2e_record_parse(copy, len, &rec);
	if (!rc)
		rc = fn(ctx, &rec);
	free(copy);
	return rc;
}

int s2e_record_u64(const char *field, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (field[0] < '0' || field[0] > '9' || (field[0] == '0' && field[1]))
		return s2e_error("malformed status record: bad number");
	errno = 0;
	v = strtoull(field, &end, 10);
	if (*end || errno)
		return s2e_error("malformed status record: bad number");
	*out = v;
	return 0;
}

int s2e_record_is(const struct s2e_record *rec, const char *keyword, size_t nfields)
{
	if (strcmp(rec->field[0], keyword))
		return 0;
	if (rec->n != nfields + 1)
		return s2e_error("malformed status record: '%s' with %zu fields, expected %zu",
				 keyword, rec->n - 1, nfields);
	return 1;
}

void s2e_record_reader_init(struct s2e_record_reader *r, s2e_record_fn fn, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->fn = fn;
	r->ctx = ctx;
}

/* Append data to the pending line, bounded. */
static int pending_add(struct s2e_record_reader *r, const char *data, size_t len)
{
	if (r->len + len > S2E_RECORD_MAX)
		return s2e_error("malformed status record: longer than %d bytes", S2E_RECORD_MAX);
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *buf;

		while (cap < r->len + len + 1)
			cap *= 2;
		if (!(buf = realloc(r->buf, cap)))
			return s2e_error("out of memory");
		r->buf = buf;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

static int one_line(struct s2e_record_reader *r)
{
	struct s2e_record rec;

	if (s2e_record_parse(r->buf, r->len, &rec))
		return -1;
	r->len = 0;
	return r->fn(r->ctx, &rec);
}

int s2e_record_feed(struct s2e_record_reader *r, const void *data, size_t len)
{
	const char *p = data, *end = p + len;

	if (r->failed)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (pending_add(r, p, n) || (nl && one_line(r))) {
			r->failed = 1;
			return -1;
		}
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

int s2e_record_finish(struct s2e_record_reader *r)
{
	if (r->failed)
		return -1;
	if (r->len) {
		r->failed = 1;
		return s2e_error("malformed status record: unterminated last line");
	}
	return 0;
}

void s2e_record_reader_release(struct s2e_record_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

int s2e_record_read_fd(struct s2e_record_reader *r, int fd)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return s2e_error_errno("cannot read status records");
		if (n == 0)
			return s2e_record_finish(r);
		if (s2e_record_feed(r, buf, (size_t)n))
			return -1;
	}
}
