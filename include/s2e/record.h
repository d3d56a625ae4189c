/* Status records: the machine-readable lines a plumbing binary writes on its
 * --status-fd for the porcelain that runs it (s2e-pack, s2e-unpack).
 *
 * Format: one record per line, a keyword and its fields separated by single
 * spaces, ended by '\n':
 *
 *     extracted 8192 sha256-1m:0f3c... disk.s2e
 *     skipped my%20notes%0Aline%20two
 *
 * Every field (the keyword too) is escaped on writing: the bytes 0x00-0x20
 * (controls and space), 0x7f and '%' are written as %XX (two upper-case hex
 * digits); every other byte, UTF-8 included, as is.  A field therefore never
 * holds a space or a newline, whatever a file name contains, and a record can
 * be split without ambiguity.  The reader undoes the escaping and refuses
 * (exit of the whole exchange with an error) any line that is not such a
 * record: an empty field, a raw control byte, a bad or lower-case %XX, %00, a
 * line longer than S2E_RECORD_MAX, or an unterminated last line.  The meaning
 * of each keyword and its field count belong to the binary's man page. */
#ifndef S2E_RECORD_H
#define S2E_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The longest record line the reader accepts (escaped, newline excluded). */
#define S2E_RECORD_MAX (256 * 1024)
/* The most fields of one record, keyword included. */
#define S2E_RECORD_FIELDS 8

/* Write the record KEYWORD FIELD... (a NULL-terminated list) and flush.
 * -1 with the error set when the stream fails. */
int s2e_record_write(FILE *out, const char *keyword, ...) __attribute__((sentinel));

/* One decoded record: field[0] is the keyword.  Valid during the callback. */
struct s2e_record {
	size_t n;
	char *field[S2E_RECORD_FIELDS];
};

/* Called for each complete record; returning -1 (error set) stops the reader. */
typedef int (*s2e_record_fn)(void *ctx, const struct s2e_record *rec);

struct s2e_record_reader {
	s2e_record_fn fn;
	void *ctx;
	char *buf; /* the incomplete line so far */
	size_t len, cap;
	int failed;
};

void s2e_record_reader_init(struct s2e_record_reader *r, s2e_record_fn fn, void *ctx);
/* Feed bytes as they arrive, in any chunking; the callback runs for each
 * complete record.  -1 with the error set on a malformed record (and every
 * later call fails too). */
int s2e_record_feed(struct s2e_record_reader *r, const void *data, size_t len);
/* The stream ended: -1 if a partial record is left over. */
int s2e_record_finish(struct s2e_record_reader *r);
void s2e_record_reader_release(struct s2e_record_reader *r);
/* Feed everything read from fd until end of file, then finish. */
int s2e_record_read_fd(struct s2e_record_reader *r, int fd);

/* For readers that split lines themselves: decode one line (without its
 * newline, at most S2E_RECORD_MAX bytes) and pass the record to fn. */
int s2e_record_line(const char *line, size_t len, s2e_record_fn fn, void *ctx);

/* Decode one record line in place (no newline); -1 with the error set. */
int s2e_record_parse(char *line, size_t len, struct s2e_record *rec);

/* Field helpers for callbacks: a decimal number without sign or excess, a
 * keyword check with the field count. */
int s2e_record_u64(const char *field, uint64_t *out);
int s2e_record_is(const struct s2e_record *rec, const char *keyword, size_t nfields);

#endif
