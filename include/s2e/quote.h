/* Quoting, for messages, shell command lines and JSON. */
#ifndef S2E_QUOTE_H
#define S2E_QUOTE_H

#include <stddef.h>
#include <stdio.h>

/* 'name' with non-printable bytes as \xNN, for error messages.  Returns a
 * pointer into one of a few rotating static buffers (valid for a few calls). */
const char *s2e_q(const char *s);
/* Shell-quote one word so that `sh` reads it back unchanged. */
void s2e_shell_quote(FILE *out, const char *word);
/* The same into one of a few rotating static buffers, for messages and
 * commit subjects: "vm create 'My Box' 1G". */
const char *s2e_sq(const char *word);
/* Shell-quoted words joined by spaces, one line that `sh` reads back as
 * the same words (malloc'd; NULL with the error set). */
char *s2e_shell_join(const char *const *argv, size_t argc);
/* A JSON string literal, quotes included. */
void s2e_json_string(FILE *out, const char *s);

#endif
