/* libFuzzer harness: the package manifest parser and the VM metadata read
 * from it.  A manifest that parses is formatted and parsed again to the same
 * members. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/manifest.h"
#include "s2e/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2e_manifest m, back;
	struct s2e_meta meta;
	char *text;
	size_t len;

	if (s2e_manifest_parse((const char *)data, size, &m)) {
		s2e_error_clear();
		return 0;
	}
	if (!s2e_meta_from_config(&m.config, "fuzz", &meta))
		s2e_meta_free(&meta);
	text = s2e_manifest_format(&m, NULL, &len);
	if (!text || s2e_manifest_parse(text, len, &back) || back.nmembers != m.nmembers)
		abort();
	for (size_t i = 0; i < m.nmembers; i++)
		if (strcmp(m.members[i].file, back.members[i].file) ||
		    m.members[i].size != back.members[i].size)
			abort();
	s2e_manifest_free(&back);
	s2e_manifest_free(&m);
	free(text);
	s2e_error_clear();
	return 0;
}
