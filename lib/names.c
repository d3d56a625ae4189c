#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"

/* Length of the UTF-8 sequence at p (1–4), or 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are refused).
 * *cp receives the code point. */
size_t s2e_utf8_char(const unsigned char *p, unsigned *cp)
{
	unsigned c = p[0], min, len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		len = 2, min = 0x80, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		len = 3, min = 0x800, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	for (unsigned i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that change how the rest of a line is shown or that show
 * nothing at all, so that a name can look like another one: bidirectional
 * embeddings, overrides, isolates and marks, zero-width characters, line and
 * paragraph separators, invisible operators, the BOM, interlinear
 * annotations and tag characters. */
int s2e_unicode_spoofing(unsigned cp)
{
	return cp == 0x00ad || cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

static int check_name(const char *what, const char *name, const char *forbidden)
{
	size_t len = strlen(name);

	if (len == 0)
		return s2e_error("invalid %s name '': a name cannot be empty", what);
	if (len > S2E_NAME_MAX)
		return s2e_error("invalid %s name %s: longer than %d bytes (%zu)", what, s2e_q(name),
				 S2E_NAME_MAX, len);
	for (const unsigned char *p = (const unsigned char *)name; *p;) {
		unsigned cp;
		size_t n = s2e_utf8_char(p, &cp);
		if (!n)
			return s2e_error("invalid %s name %s: not valid UTF-8", what, s2e_q(name));
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return s2e_error("invalid %s name %s: control characters are not allowed",
					 what, s2e_q(name));
		if (s2e_unicode_spoofing(cp))
			return s2e_error("invalid %s name %s: invisible or bidirectional "
					 "formatting character U+%04X is not allowed",
					 what, s2e_q(name), cp);
		if (cp < 0x80 && strchr(forbidden, (int)cp))
			return s2e_error("invalid %s name %s: '%c' is not allowed", what,
					 s2e_q(name), (char)cp);
		p += n;
	}
	return 0;
}

int s2e_vm_name_check(const char *name)
{
	if (check_name("VM", name, "/:"))
		return -1;
	if (name[0] == '.')
		return s2e_error("invalid VM name %s: a name cannot start with '.'", s2e_q(name));
	if (name[0] == '-')
		return s2e_error("invalid VM name %s: a name cannot start with '-' (it would read "
				 "as an option)",
				 s2e_q(name));
	return 0;
}

int s2e_snap_name_check(const char *name)
{
	return check_name("snapshot", name, "/");
}

int s2e_vm_ref_parse(const char *ref, char **vm, char **snap)
{
	const char *colon = strchr(ref, ':');

	*vm = *snap = NULL;
	*vm = colon ? strndup(ref, (size_t)(colon - ref)) : strdup(ref);
	if (!*vm)
		return s2e_error("out of memory");
	if (s2e_vm_name_check(*vm))
		goto fail;
	if (colon) {
		*snap = s2e_strdup(colon + 1);
		if (!*snap || s2e_snap_name_check(*snap))
			goto fail;
	}
	return 0;
fail:
	free(*vm);
	free(*snap);
	*vm = *snap = NULL;
	return -1;
}

static int name_pos_cmp(const void *pa, const void *pb)
{
	const struct s2e_name_pos *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

void s2e_name_pos_sort(struct s2e_name_pos *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), name_pos_cmp);
}

size_t s2e_name_pos_find(const struct s2e_name_pos *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(v[lo].name, name) ? v[lo].pos : SIZE_MAX;
}
