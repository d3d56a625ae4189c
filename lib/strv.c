/* Growable string vectors: see include/s2e/strv.h. */
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/strv.h"

int s2e_strv_add(struct s2e_strv *sv, const char *s)
{
	if (sv->n + 2 > sv->alloc) {
		size_t alloc = sv->alloc ? sv->alloc * 2 : 8;
		const char **v = realloc(sv->v, alloc * sizeof(*v));
		if (!v)
			return s2e_error("out of memory");
		sv->v = v;
		sv->alloc = alloc;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

void s2e_strv_clear(struct s2e_strv *sv)
{
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

int s2e_strv_add_dup(struct s2e_strv *sv, const char *s)
{
	char *copy = strdup(s);

	if (!copy || s2e_strv_add(sv, copy)) {
		free(copy);
		return s2e_error("out of memory");
	}
	return 0;
}

void s2e_strv_clear_owned(struct s2e_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free((char *)sv->v[i]);
	s2e_strv_clear(sv);
}

int s2e_strv_has(const struct s2e_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}
