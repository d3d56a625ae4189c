/* Unit tests for the status records of include/s2e/record.h: any bytes
 * survive a round trip, any chunking reads the same, malformed lines are
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/record.h"

struct seen {
	size_t n;
	char fields[8][4096];
	size_t nfields[8];
};

static int collect(void *ctx, const struct s2e_record *rec)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	snprintf(s->fields[s->n], sizeof(s->fields[0]), "%s", rec->field[rec->n - 1]);
	s->nfields[s->n++] = rec->n;
	return 0;
}

/* Write one record into a memory buffer; the text is malloc'd. */
static char *written(const char *kw, const char *a, const char *b, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	assert_non_null(f);
	assert_int_equal(s2e_record_write(f, kw, a, b, NULL), 0);
	fclose(f);
	return text;
}

static void round_trip_every_byte(void **state)
{
	char name[256];
	struct seen s = {0};
	struct s2e_record_reader r;
	size_t len;
	char *text;

	(void)state;
	for (int i = 1; i < 256; i++)
		name[i - 1] = (char)i;
	name[255] = '\0';
	text = written("skipped", "x y", name, &len);
	assert_null(memchr(text, '\n', len - 1)); /* one line */
	s2e_record_reader_init(&r, collect, &s);
	for (size_t i = 0; i < len; i++) /* one byte at a time */
		assert_int_equal(s2e_record_feed(&r, text + i, 1), 0);
	assert_int_equal(s2e_record_finish(&r), 0);
	s2e_record_reader_release(&r);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.nfields[0], 3);
	assert_string_equal(s.fields[0], name);
	free(text);
}

static void long_names(void **state)
{
	size_t big = 20000, len;
	char *name = malloc(big + 1), *text;
	struct seen s = {0};
	struct s2e_record_reader r;

	(void)state;
	memset(name, 'n', big);
	memcpy(name + 8183, "extracted 7 - disk.s2e.x\n", 25);
	name[big] = '\0';
	text = written("skipped", name, NULL, &len);
	s2e_record_reader_init(&r, collect, &s);
	assert_int_equal(s2e_record_feed(&r, text, len), 0);
	assert_int_equal(s2e_record_finish(&r), 0);
	s2e_record_reader_release(&r);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.nfields[0], 2);
	free(text);
	free(name);
}

static int refused(const char *line)
{
	struct seen s = {0};
	struct s2e_record_reader r;
	int rc;

	s2e_record_reader_init(&r, collect, &s);
	rc = s2e_record_feed(&r, line, strlen(line));
	if (!rc)
		rc = s2e_record_finish(&r);
	s2e_record_reader_release(&r);
	return rc == -1 && s.n == 0;
}

static void malformed(void **state)
{
	char *huge = malloc(S2E_RECORD_MAX + 2);

	(void)state;
	assert_true(refused("\n"));		  /* empty keyword */
	assert_true(refused("skipped  x\n"));	  /* empty field */
	assert_true(refused("skipped x \n"));	  /* trailing space */
	assert_true(refused("skipped a\tb\n"));	  /* raw control byte */
	assert_true(refused("skipped a%0\n"));	  /* truncated escape */
	assert_true(refused("skipped a%0a\n"));	  /* lower case */
	assert_true(refused("skipped a%00\n"));	  /* NUL */
	assert_true(refused("skipped a%G0\n"));	  /* not hex */
	assert_true(refused("skipped abc"));	  /* unterminated */
	assert_true(refused("a b c d e f g h i\n")); /* too many fields */
	memset(huge, 'x', S2E_RECORD_MAX + 1);
	huge[S2E_RECORD_MAX + 1] = '\0';
	assert_true(refused(huge));
	free(huge);
}

static void numbers(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(s2e_record_u64("0", &v), 0);
	assert_int_equal(s2e_record_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(s2e_record_u64("18446744073709551616", &v), -1);
	assert_int_equal(s2e_record_u64("-1", &v), -1);
	assert_int_equal(s2e_record_u64("01", &v), -1);
	assert_int_equal(s2e_record_u64("1x", &v), -1);
	assert_int_equal(s2e_record_u64("", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_every_byte),
		cmocka_unit_test(long_names),
		cmocka_unit_test(malformed),
		cmocka_unit_test(numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
