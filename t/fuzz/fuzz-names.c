/* libFuzzer harness: VM and snapshot names, NAME[:SNAP] references and the
 * escaping of untrusted text.  An accepted name must be valid UTF-8 of the
 * allowed length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/names.h"
#include "s2e/quote.h"

/* Escaped untrusted text holds no control or formatting character. */
static void check_escaped(const char *s)
{
	char *e = s2e_escape_untrusted(s);
	unsigned cp;

	if (!e)
		abort();
	for (const unsigned char *p = (const unsigned char *)e; *p;) {
		size_t n = s2e_utf8_char(p, &cp);
		if (!n || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    s2e_unicode_spoofing(cp))
			abort();
		p += n;
	}
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *vm, *snap;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!s2e_vm_name_check(s) && (strlen(s) > S2E_NAME_MAX || strchr(s, '/') ||
				      strchr(s, ':') || s[0] == '-' || s[0] == '.'))
		abort();
	if (!s2e_snap_name_check(s) && (strlen(s) > S2E_NAME_MAX || strchr(s, '/')))
		abort();
	check_escaped(s);
	if (!s2e_vm_ref_parse(s, &vm, &snap)) {
		free(vm);
		free(snap);
	}
	s2e_error_clear();
	free(s);
	return 0;
}
