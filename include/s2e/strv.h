/* A growable, NULL-terminated vector of strings (argv-like).  The strings are
 * borrowed: the vector never frees them, so it can hold argv words, string
 * literals and strings owned elsewhere alike. */
#ifndef S2E_STRV_H
#define S2E_STRV_H

#include <stddef.h>

struct s2e_strv {
	const char **v; /* NULL until the first add; then v[n] == NULL */
	size_t n, alloc;
};

#define S2E_STRV_INIT {NULL, 0, 0}

/* Append s; -1 with the error set when out of memory. */
int s2e_strv_add(struct s2e_strv *sv, const char *s);
/* Free the vector (not the strings) and make it empty again. */
void s2e_strv_clear(struct s2e_strv *sv);

/* For a vector that owns its strings: append a malloc'd copy of s, and free
 * the strings with the vector. */
int s2e_strv_add_dup(struct s2e_strv *sv, const char *s);
void s2e_strv_clear_owned(struct s2e_strv *sv);
/* Whether s is one of the strings (strcmp). */
int s2e_strv_has(const struct s2e_strv *sv, const char *s);

#endif
