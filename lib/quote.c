#include <stdio.h>
#include <string.h>

#include "s2e/quote.h"

/* s with non-printable bytes (and the quote and backslash) as \xNN, in
 * one of a few rotating static buffers, cut with "..." when too long. */
static const char *escaped(const char *s, const char *quote)
{
	static _Thread_local char ring[4][1024];
	static _Thread_local unsigned next;
	char *buf = ring[next++ % 4];
	size_t used = 0, room = sizeof(ring[0]) - 8;

	used += (size_t)sprintf(buf, "%s", quote);
	for (const unsigned char *p = (const unsigned char *)s; *p && used < room; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || *p == '\'')
			used += (size_t)snprintf(buf + used, 5, "\\x%02x", *p);
		else
			buf[used++] = (char)*p;
	}
	if (used >= room) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	used += (size_t)sprintf(buf + used, "%s", quote);
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
