/* libFuzzer harness: VM and snapshot names and NAME[:SNAP] references.  An
 * accepted name must be valid UTF-8 of the allowed length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/names.h"

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
	if (!s2e_vm_ref_parse(s, &vm, &snap)) {
		free(vm);
		free(snap);
	}
	s2e_error_clear();
	free(s);
	return 0;
}
