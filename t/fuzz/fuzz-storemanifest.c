/* libFuzzer harness: the store manifest parser (lib/storemanifest.c).  A
 * manifest it accepts names a valid VM and disk.s2e first, and formatted
 * again it parses to the same VM, files, sizes and digests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/storemanifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2e_store_manifest m, back;
	char *text;
	size_t len;

	if (s2e_store_manifest_parse((const char *)data, size, "fuzz", &m)) {
		s2e_error_clear();
		return 0;
	}
	if (!m.nfiles || strcmp(m.files[0].name, "disk.s2e") || !m.name)
		abort();
	for (size_t i = 0; i < m.nfiles; i++)
		if (strchr(m.files[i].name, '/') || strstr(m.files[i].name, ".."))
			abort();
	text = s2e_store_manifest_format(&m, &len);
	if (!text || s2e_store_manifest_parse(text, len, "fuzz again", &back))
		abort();
	if (strcmp(m.name, back.name) || m.nfiles != back.nfiles ||
	    s2e_store_manifest_bytes(&m) != s2e_store_manifest_bytes(&back))
		abort();
	for (size_t i = 0; i < m.nfiles; i++)
		if (strcmp(m.files[i].name, back.files[i].name) ||
		    m.files[i].size != back.files[i].size ||
		    strcmp(m.files[i].digest, back.files[i].digest))
			abort();
	s2e_store_manifest_free(&back);
	s2e_store_manifest_free(&m);
	free(text);
	s2e_error_clear();
	return 0;
}
