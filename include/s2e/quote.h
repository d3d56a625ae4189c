/* Quoting, for messages, shell command lines and JSON. */
#ifndef S2E_QUOTE_H
#define S2E_QUOTE_H

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
/* A JSON string literal, quotes included. */
void s2e_json_string(FILE *out, const char *s);

#endif
