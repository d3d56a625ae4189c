/* Quoting, for messages, shell command lines and JSON. */
#ifndef S2E_QUOTE_H
#define S2E_QUOTE_H

#include <stddef.h>
#include <stdio.h>

/* 'name' with non-printable bytes as \xNN, for error messages.  Returns a
 * pointer into one of a few rotating static buffers (valid for a few calls). */
const char *s2e_q(const char *s);
/* The same without the quotes, for text that reads as a bare word in a
 * message ("misformatted file: README"). */
const char *s2e_printable(const char *s);
/* Shell-quote one word so that `sh` reads it back unchanged. */
void s2e_shell_quote(FILE *out, const char *word);
/* The same into one of a few rotating static buffers, for messages and
 * commit subjects: "vm create 'My Box' 1G". */
const char *s2e_sq(const char *word);
/* Shell-quoted words joined by spaces, one line that `sh` reads back as
 * the same words (malloc'd; NULL with the error set). */
char *s2e_shell_join(const char *const *argv, size_t argc);
/* Untrusted text (from a package, a manifest, a file name found on disk)
 * made safe to show on a terminal and to put in a commit message or a
 * metadata value: one line of printable text that stands for the original
 * unambiguously.  Backslash becomes \\, newline \n, tab \t, other C0
 * controls, DEL and bytes that are not valid UTF-8 \xNN, C1 controls and the
 * invisible or bidirectional formatting characters of s2e/names.h \uNNNN
 * (\U00NNNNNN past U+FFFF).  Valid UTF-8 text otherwise passes unchanged.
 * Returns malloc'd text, or NULL with the error set. */
char *s2e_escape_untrusted(const char *s);
/* The same onto a stream. */
void s2e_put_untrusted(FILE *out, const char *s);
/* A JSON string literal, quotes included. */
void s2e_json_string(FILE *out, const char *s);

#endif
