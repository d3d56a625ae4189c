/* Unit tests for the command-line layer (include/s2e/parse-options.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/parse-options.h"

static const char *const usage[] = {"prog [-f] [-j N] A [B]", NULL, "Does things.", NULL};

struct opts {
	int force, verbose, level, progress;
	unsigned jobs;
	const char *out;
	struct s2e_strv list;
};

static int parse(struct opts *o, char **words, int n)
{
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &o->force, "force"),
		OPT_VERBOSE(&o->verbose),
		OPT_JOBS(&o->jobs),
		OPT_STRING('o', "output", &o->out, "FILE", "write to FILE"),
		OPT_PROGRESS(&o->progress),
		OPT_SET_INT('1', "fast", &o->level, "fast", 1),
		OPT_CALLBACK('q', "qemu-opt", &o->list, "OPT", "repeatable", s2e_opt_string_list),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "prog", .usage = usage, .options = options};

	o->progress = S2E_PROGRESS_NONE;
	return s2e_parse_options(&cmd, n, words, 0);
}

#define ARGV(...) ((char *[]){"prog", __VA_ARGS__, NULL})
#define NARGS(...) ((int)(sizeof((char *[]){"prog", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, ...) parse((o), ARGV(__VA_ARGS__), NARGS(__VA_ARGS__))

static void options_after_operands(void **state)
{
	struct opts o = {0};
	char **w = ARGV("a", "-f", "b", "--output", "x", "-v");
	(void)state;

	assert_int_equal(parse(&o, w, 7), 2);
	assert_string_equal(w[0], "a");
	assert_string_equal(w[1], "b");
	assert_null(w[2]);
	assert_int_equal(o.force, 1);
	assert_int_equal(o.verbose, 1);
	assert_string_equal(o.out, "x");
}

static void bundles_and_values(void **state)
{
	struct opts o = {0};
	char **w = ARGV("-fvj4", "-oFILE", "--jobs=8", "a");
	(void)state;

	assert_int_equal(parse(&o, w, 5), 1);
	assert_int_equal(o.force, 1);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.jobs, 8);
	assert_string_equal(o.out, "FILE");
	assert_string_equal(w[0], "a");
}

static void dashdash_and_dash(void **state)
{
	struct opts o = {0};
	char **w = ARGV("-", "--", "-f", "--x");
	(void)state;

	assert_int_equal(parse(&o, w, 5), 3);
	assert_string_equal(w[0], "-");
	assert_string_equal(w[1], "-f");
	assert_string_equal(w[2], "--x");
	assert_int_equal(o.force, 0);
}

static void optional_value_only_with_equals(void **state)
{
	struct opts o = {0};
	char **w1 = ARGV("--progress", "3");
	char **w2 = ARGV("--progress=3");
	(void)state;

	assert_int_equal(parse(&o, w1, 3), 1);
	assert_int_equal(o.progress, S2E_PROGRESS_BAR);
	assert_string_equal(w1[0], "3");
	assert_int_equal(parse(&o, w2, 2), 0);
	assert_int_equal(o.progress, 3);
}

static void prefixes_and_repeats(void **state)
{
	struct opts o = {0};
	char **w = ARGV("--forc", "--out", "y", "-q", "a,b", "--qemu-opt=-s", "--fast");
	(void)state;

	assert_int_equal(parse(&o, w, 8), 0);
	assert_int_equal(o.force, 1);
	assert_string_equal(o.out, "y");
	assert_int_equal(o.level, 1);
	assert_int_equal((int)o.list.n, 2);
	assert_string_equal(o.list.v[0], "a,b");
	assert_string_equal(o.list.v[1], "-s");
	s2e_strv_clear(&o.list);
}

static void negative_numbers_are_operands(void **state)
{
	struct opts o = {0};
	char **w = ARGV("-5", "-1");
	(void)state;

	/* -1 is an option of this table (--fast); -5 is not. */
	assert_int_equal(parse(&o, w, 3), 1);
	assert_string_equal(w[0], "-5");
	assert_int_equal(o.level, 1);
}

static void errors(void **state)
{
	struct opts o = {0};
	(void)state;

	assert_int_equal(PARSE(&o, "--bogus"), S2E_PARSE_ERROR);
	assert_non_null(strstr(s2e_error_last(), "unknown option --bogus"));
	assert_int_equal(PARSE(&o, "-x"), S2E_PARSE_ERROR);
	assert_int_equal(PARSE(&o, "--jobs"), S2E_PARSE_ERROR);
	assert_non_null(strstr(s2e_error_last(), "needs a value"));
	assert_int_equal(PARSE(&o, "-j", "0"), S2E_PARSE_ERROR);
	assert_non_null(strstr(s2e_error_last(), "invalid job count"));
	assert_int_equal(PARSE(&o, "--force=1"), S2E_PARSE_ERROR);
	assert_int_equal(PARSE(&o, "--f"), S2E_PARSE_ERROR); /* force or fast */
	assert_non_null(strstr(s2e_error_last(), "ambiguous"));
	assert_int_equal(PARSE(&o, "a", "--help"), S2E_PARSE_HELP);
	assert_int_equal(PARSE(&o, "-h"), S2E_PARSE_HELP);
}

static void help_text_comes_from_the_table(void **state)
{
	struct opts o = {0};
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &o.force, "replace it"),
		OPT_STRING(0, "s2edir", &o.out, "DIR", "use DIR"),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = "prog", .usage = usage, .options = options};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	(void)state;

	assert_int_equal(s2e_parse_options_exit(&cmd, S2E_PARSE_HELP, f, stderr), 0);
	fclose(f);
	assert_string_equal(text, "usage: prog [-f] [-j N] A [B]\n"
				  "\n"
				  "Does things.\n"
				  "\n"
				  "    -f, --force           replace it\n"
				  "    --s2edir DIR          use DIR\n"
				  "    -h, --help            show this help\n");
	free(text);
}

static void operand_counts(void **state)
{
	int force = 0;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "force"),
		OPT_END(),
	};
	const struct s2e_command cmd = {"prog", usage, options, "takes A and an optional B", 1, 2};
	(void)state;

	assert_int_equal(s2e_parse_options(&cmd, 2, ARGV("a"), 0), 1);
	assert_int_equal(s2e_parse_options(&cmd, 4, ARGV("a", "-f", "b"), 0), 2);
	assert_int_equal(s2e_parse_options(&cmd, 2, ARGV("-f"), 0), S2E_PARSE_ERROR);
	assert_string_equal(s2e_error_last(), "takes A and an optional B");
	assert_int_equal(s2e_parse_options(&cmd, 4, ARGV("a", "b", "c"), 0), S2E_PARSE_ERROR);
	assert_int_equal(s2e_parse_options(&cmd, 3, ARGV("a", "-h"), 0), S2E_PARSE_HELP);
}

/* The completion helper: found anywhere before `--`, hidden from --help,
 * and its lines say what each option takes and what each operand is. */
static void completion_helper(void **state)
{
	int force = 0, progress = 0;
	const char *dir = NULL, *accel = NULL;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "force"),
		OPT_STRING(0, "accel", &accel, "kvm|tcg", "how"),
		OPT_PROGRESS(&progress),
		OPT_STRING(0, "batch", &dir, "FILE", "batch"),
		OPT_HIDDEN_BOOL(0, "secret", &force),
		OPT_OPERAND_WORDS("MODE", "kvm|prep|sym"),
		OPT_END(),
	};
	static const char *const u[] = {
		"prog [-f] [--accel kvm|tcg] NAME[:SNAP] MODE [-- ARG...]",
		"prog --batch FILE --other VALUE [NAME...]",
		NULL,
		NULL,
	};
	const struct s2e_command cmd = {.name = "prog", .usage = u, .options = options};
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	(void)state;

	assert_int_equal(s2e_parse_options(&cmd, 4, ARGV("a", "--s2e-completion-helper", "--bad"), 0),
			 S2E_PARSE_COMPLETION);
	assert_int_equal(s2e_parse_options(&cmd, 4, ARGV("a", "--", "--s2e-completion-helper"), 0), 2);
	f = open_memstream(&text, &len);
	assert_int_equal(s2e_parse_options_exit(&cmd, S2E_PARSE_COMPLETION, f, stderr), 0);
	fclose(f);
	assert_string_equal(text, "option -f\n"
				  "option --force\n"
				  "option --accel kvm|tcg\n"
				  "option --progress= FD\n"
				  "option --batch FILE\n"
				  "words MODE kvm|prep|sym\n"
				  "option -h\n"
				  "option --help\n"
				  "operand 0 NAME:SNAP\n"
				  "operand 1 MODE\n"
				  "operand 0 NAME...\n");
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	s2e_usage_write(f, &cmd);
	fclose(f);
	assert_null(strstr(text, "kvm|prep|sym"));
	assert_null(strstr(text, "secret"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_after_operands),
		cmocka_unit_test(bundles_and_values),
		cmocka_unit_test(dashdash_and_dash),
		cmocka_unit_test(optional_value_only_with_equals),
		cmocka_unit_test(prefixes_and_repeats),
		cmocka_unit_test(negative_numbers_are_operands),
		cmocka_unit_test(errors),
		cmocka_unit_test(help_text_comes_from_the_table),
		cmocka_unit_test(operand_counts),
		cmocka_unit_test(completion_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
