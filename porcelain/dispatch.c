/* Sub-command dispatch shared by `s2e` and `s2e vm`: exact names, then a
 * "did you mean" from the edit distance, as git does. */
#include <stdio.h>
#include <string.h>

#include "porcelain.h"

/* Damerau-free Levenshtein distance of two short words, capped at 9. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (la > 63 || lb > 63)
		return 9;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0], next;
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			next = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (row[j] > row[j - 1] + 1)
				row[j] = row[j - 1] + 1;
			if (row[j] > next + 1)
				row[j] = next + 1;
			diag = next;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

/* The closest command, when it is close enough to be a typo (or a prefix). */
static const struct porcelain_cmd *closest(const struct porcelain_cmd *table, const char *word)
{
	const struct porcelain_cmd *best = NULL;
	unsigned best_d = 3;

	for (const struct porcelain_cmd *c = table; c->name; c++) {
		unsigned d = distance(word, c->name);
		if (!strncmp(c->name, word, strlen(word)))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best;
}

int porcelain_dispatch(const struct s2e_command *parent, const struct porcelain_cmd *table,
		       int argc, char **argv)
{
	const struct porcelain_cmd *hint;
	int top = !strcmp(parent->name, "s2e");

	for (const struct porcelain_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->fn(argc, argv);
	hint = closest(table, argv[0]);
	fprintf(stderr, top ? "%s: '%s' is not an s2e command; see 's2e help'\n"
			    : "%s: '%s' is not an '%s' command; see '%s --help'\n",
		parent->name, argv[0], parent->name, parent->name);
	if (hint)
		fprintf(stderr, "Did you mean '%s %s'?\n", parent->name, hint->name);
	return 2;
}

int porcelain_parse_exit(const struct s2e_command *cmd, const struct porcelain_cmd *table, int code)
{
	int rc = s2e_parse_options_exit(cmd, code, stdout, stderr);

	if (code == S2E_PARSE_COMPLETION)
		for (const struct porcelain_cmd *c = table; c->name; c++)
			printf("command %s\n", c->name);
	return rc;
}

int porcelain_group(const char *name, const char *const *usage,
		    const struct porcelain_cmd *table, int argc, char **argv)
{
	const struct s2e_option options[] = {
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {name, usage, options, "needs a command", 1, -1};

	argc = s2e_parse_options(&cmd, argc, argv, S2E_PARSE_STOP_AT_OPERAND);
	if (argc < 0)
		return porcelain_parse_exit(&cmd, table, argc);
	if (!strcmp(argv[0], "help"))
		return s2e_parse_options_exit(&cmd, S2E_PARSE_HELP, stdout, stderr);
	return porcelain_dispatch(&cmd, table, argc, argv);
}
