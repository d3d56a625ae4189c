#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/names.h"
#include "s2e/quote.h"

/* One character of untrusted text, escaped when it is not plain printable
 * text: the rule of s2e_escape_untrusted(); also_x: ASCII characters written
 * as \xNN too (s2e_q's quote). */
static size_t put_char(FILE *out, const unsigned char *p, const char *also_x)
{
	unsigned cp;
	size_t n = s2e_utf8_char(p, &cp);

	if (n == 0) {
		fprintf(out, "\\x%02x", *p);
		return 1;
	}
	if (cp < 0x80 && *also_x && strchr(also_x, (int)cp))
		fprintf(out, "\\x%02x", cp);
	else if (cp == '\\')
		fputs("\\\\", out);
	else if (cp == '\n')
		fputs("\\n", out);
	else if (cp == '\t')
		fputs("\\t", out);
	else if (cp < 0x20 || cp == 0x7f)
		fprintf(out, "\\x%02x", cp);
	else if ((cp >= 0x80 && cp < 0xa0) || s2e_unicode_spoofing(cp))
		fprintf(out, cp > 0xffff ? "\\U%08X" : "\\u%04X", cp);
	else
		fwrite(p, 1, n, out);
	return n;
}

/* s with controls, backslash and the quote as \xNN (as s2e_q always did),
 * invalid UTF-8 as \xNN, C1 controls and formatting characters as \uNNNN,
 * in one of a few rotating static buffers, cut with "..." when too long. */
static const char *escaped(const char *s, const char *quote)
{
	static _Thread_local char ring[4][1024];
	static _Thread_local unsigned next;
	char *buf = ring[next++ % 4];
	FILE *out = fmemopen(buf, sizeof(ring[0]), "w");
	const unsigned char *p = (const unsigned char *)s;

	if (!out)
		return "'?'";
	fputs(quote, out);
	while (*p && ftell(out) < (long)sizeof(ring[0]) - 24)
		p += put_char(out, p, *quote ? "\n\t\\'" : "\n\t\\");
	if (*p)
		fputs("...", out);
	fputs(quote, out);
	fclose(out);
	return buf;
}

const char *s2e_q(const char *s)
{
	return escaped(s, "'");
}

const char *s2e_printable(const char *s)
{
	return escaped(s, "");
}

/* Words made only of these (and of UTF-8 beyond ASCII, which no shell treats
 * specially) need no quotes. */
static int shell_safe(const char *word)
{
	if (!*word)
		return 0;
	for (const unsigned char *p = (const unsigned char *)word; *p; p++)
		if (*p < 0x80 && !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_-+=.,/:@%^",
					 *p))
			return 0;
	return 1;
}

const char *s2e_sq(const char *word)
{
	static _Thread_local char ring[4][4 * 4096 + 16];
	static _Thread_local unsigned next;
	char *buf = ring[next++ % 4];
	FILE *out = fmemopen(buf, sizeof(ring[0]), "w");

	if (!out)
		return word;
	s2e_shell_quote(out, word);
	fclose(out);
	return buf;
}

void s2e_shell_quote(FILE *out, const char *word)
{
	if (shell_safe(word)) {
		fputs(word, out);
		return;
	}
	fputc('\'', out);
	for (const char *p = word; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	}
	fputc('\'', out);
}

void s2e_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

char *s2e_shell_join(const char *const *argv, size_t argc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		s2e_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < argc; i++) {
		if (i)
			fputc(' ', f);
		s2e_shell_quote(f, argv[i]);
	}
	if (fclose(f)) {
		free(buf);
		s2e_error("out of memory");
		return NULL;
	}
	return buf;
}

void s2e_put_untrusted(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;)
		p += put_char(out, p, "");
}

char *s2e_escape_untrusted(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out) {
		s2e_error("out of memory");
		return NULL;
	}
	s2e_put_untrusted(out, s);
	if (fclose(out)) {
		free(text);
		s2e_error("out of memory");
		return NULL;
	}
	return text;
}
