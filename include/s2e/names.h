/* VM and snapshot names (SPEC §2).  Both are checked before anything on disk
 * is touched, so a bad name never leaves a trace. */
#ifndef S2E_NAMES_H
#define S2E_NAMES_H

#include <stddef.h>

#define S2E_NAME_MAX 128

/* Both kinds of name refuse control characters (C0, DEL, C1) and invisible
 * or bidirectional formatting characters that let a name pass for another:
 * U+00AD, U+061C, U+180E, U+200B–U+200F, U+2028–U+202E, U+2060–U+206F,
 * U+FEFF, U+FFF9–U+FFFB, U+E0000–U+E007F. */
/* 1–128 bytes of valid UTF-8, no '/', ':', no leading '.' or '-'. */
int s2e_vm_name_check(const char *name);
/* 1–128 bytes of valid UTF-8, no '/'. */
int s2e_snap_name_check(const char *name);
/* Split "NAME[:SNAP]" at the first ':' and check both parts.  *snap is NULL
 * when there is no ':'.  Both results are malloc'd. */
int s2e_vm_ref_parse(const char *ref, char **vm, char **snap);

/* Length of the UTF-8 sequence at p (1-4) with its code point in *cp, or 0
 * when it is not valid UTF-8 (overlong forms, surrogates, past U+10FFFF). */
size_t s2e_utf8_char(const unsigned char *p, unsigned *cp);
/* Is cp one of the invisible or bidirectional formatting characters above? */
int s2e_unicode_spoofing(unsigned cp);

/* Position lookups in long name lists (snapshots) in O(log n): fill v with
 * (name, position) pairs, sort once, then find.  The strings are borrowed. */
struct s2e_name_pos {
	const char *name;
	size_t pos;
};
void s2e_name_pos_sort(struct s2e_name_pos *v, size_t n);
/* The lowest position recorded for name, SIZE_MAX when it is absent. */
size_t s2e_name_pos_find(const struct s2e_name_pos *v, size_t n, const char *name);

#endif
