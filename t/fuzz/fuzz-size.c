/* libFuzzer harness: sizes as users type them.  An accepted size is a
 * positive multiple of 512 no larger than S2E_SIZE_MAX, and has a label. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), label[64];
	uint64_t bytes;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!s2e_size_parse(s, &bytes)) {
		if (!bytes || bytes % 512 || bytes > S2E_SIZE_MAX)
			abort();
		if (s2e_size_label(s, label, sizeof(label)))
			abort();
		s2e_size_mib(bytes, label, sizeof(label));
		s2e_size_human(bytes, label, sizeof(label));
	}
	s2e_error_clear();
	free(s);
	return 0;
}
