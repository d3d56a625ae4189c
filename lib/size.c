#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/quote.h"
#include "s2e/size.h"

struct unit {
	const char *suffix;
	unsigned shift;
};

/* Longest first, so "MiB" is not read as "M" followed by garbage. */
static const struct unit units[] = {
	{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"K", 10}, {"M", 20}, {"G", 30},
	{"T", 40},   {"k", 10},	  {"m", 20},   {"g", 30},   {"t", 40}, {"B", 0},  {"", 0},
};

static const struct unit *find_unit(const char *suffix)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i].suffix, suffix))
			return &units[i];
	return NULL;
}

/* Split "1.5G" into its number ("1.5") and a known unit; -1 if malformed. */
static int split(const char *text, size_t *numlen, const struct unit **unit)
{
	size_t i = 0, digits = 0, dots = 0;

	while (isdigit((unsigned char)text[i]) || text[i] == '.') {
		if (text[i] == '.')
			dots++;
		else
			digits++;
		i++;
	}
	if (!digits || dots > 1 || text[0] == '.' || (i && text[i - 1] == '.'))
		return -1;
	*unit = find_unit(text + i);
	if (!*unit)
		return -1;
	*numlen = i;
	return 0;
}

int s2e_size_parse(const char *text, uint64_t *bytes)
{
	const struct unit *unit;
	unsigned __int128 whole = 0, frac = 0, scale = 1, value, part;
	size_t numlen, i;
	int in_frac = 0, sticky = 0;

	if (!text || !*text)
		return s2e_error("invalid size '': a size is a number with an optional unit "
				 "(K, M, G, T), like 7680M");
	if (split(text, &numlen, &unit))
		return s2e_error("invalid size %s: a size is a number with an optional unit "
				 "(K, M, G, T), like 7680M",
				 s2e_q(text));
	for (i = 0; i < numlen; i++) {
		if (text[i] == '.') {
			in_frac = 1;
			continue;
		}
		if (in_frac) {
			if (scale > (unsigned __int128)1e18) {
				/* Too fine to keep, but a non-zero digit still rounds up. */
				sticky |= text[i] != '0';
				continue;
			}
			frac = frac * 10 + (unsigned)(text[i] - '0');
			scale *= 10;
		} else {
			whole = whole * 10 + (unsigned)(text[i] - '0');
			if (whole > S2E_SIZE_MAX)
				return s2e_error("invalid size %s: too large (at most %llu bytes)",
						 s2e_q(text), (unsigned long long)S2E_SIZE_MAX);
		}
	}
	part = frac << unit->shift;
	value = (whole << unit->shift) + part / scale + (part % scale || sticky);
	value = (value + 511) & ~(unsigned __int128)511;
	if (value == 0)
		return s2e_error("invalid size %s: must be greater than zero", s2e_q(text));
	if (value > S2E_SIZE_MAX)
		return s2e_error("invalid size %s: too large (at most %llu bytes)", s2e_q(text),
				 (unsigned long long)S2E_SIZE_MAX);
	*bytes = (uint64_t)value;
	return 0;
}

int s2e_size_label(const char *text, char *buf, size_t len)
{
	static const char *const labels[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	const struct unit *unit;
	size_t numlen;

	if (split(text, &numlen, &unit))
		return s2e_error("invalid size %s", s2e_q(text));
	snprintf(buf, len, "%.*s%s", (int)numlen, text, labels[unit->shift / 10]);
	return 0;
}

void s2e_size_mib(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%.1fMiB", (double)bytes / (1024.0 * 1024.0));
}

void s2e_size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double value = (double)bytes;
	size_t i = 0;

	while (value >= 1024 && i + 1 < sizeof(names) / sizeof(names[0])) {
		value /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", value, names[i]);
}
