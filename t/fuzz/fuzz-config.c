/* libFuzzer harness: the git-config reader.  Whatever it accepts must be
 * written back by the writer and read again to the same entries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/config.h"
#include "s2e/error.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2e_config cfg, back;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (s2e_config_parse((const char *)data, size, "fuzz", 0, &cfg)) {
		s2e_error_clear();
		return 0;
	}
	out = open_memstream(&text, &len);
	if (!out)
		abort();
	if (s2e_config_write(out, &cfg))
		abort(); /* everything read can be written */
	fclose(out);
	if (s2e_config_parse(text, len, "fuzz", 0, &back))
		abort(); /* everything written can be read */
	for (size_t i = 0, j = 0; i < cfg.n; i++, j++) {
		/* the writer emits a header before the first key of a section;
		 * re-reading adds a bare header entry there */
		while (j < back.n && !back.entries[j].key && cfg.entries[i].key)
			j++;
		if (j >= back.n || !same(cfg.entries[i].section, back.entries[j].section) ||
		    !same(cfg.entries[i].subsection, back.entries[j].subsection) ||
		    !same(cfg.entries[i].key, back.entries[j].key) ||
		    !same(cfg.entries[i].value, back.entries[j].value))
			abort();
	}
	s2e_config_free(&back);
	s2e_config_free(&cfg);
	free(text);
	return 0;
}
