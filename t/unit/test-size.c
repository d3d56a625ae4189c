/* Unit tests for size parsing and formatting (SPEC §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/size.h"

static uint64_t parse(const char *text)
{
	uint64_t bytes = 0;

	assert_int_equal(s2e_size_parse(text, &bytes), 0);
	return bytes;
}

static void accepted(void **state)
{
	(void)state;
	assert_true(parse("7680M") == 8053063680ULL);
	assert_true(parse("5G") == 5368709120ULL);
	assert_true(parse("512K") == 524288);
	assert_true(parse("1T") == 1099511627776ULL);
	assert_true(parse("1.5G") == 1610612736ULL);
	assert_true(parse("7680MiB") == 8053063680ULL);
	assert_true(parse("5g") == 5368709120ULL);
	assert_true(parse("2k") == 2048);
	assert_true(parse("4096") == 4096);
	assert_true(parse("4096B") == 4096);
	/* rounded up to 512 */
	assert_true(parse("1") == 512);
	assert_true(parse("513") == 1024);
	assert_true(parse("0.001K") == 512);
	assert_true(parse("1.0000000000000000000001K") == 1536);
}

static void refused(void **state)
{
	static const char *const bad[] = {
		"",    "0",  "0M",  "-1", "12X",  "99999999T", "1.2.3G", ".5G", "5.G", "G",
		" 5G", "5G ", "5 G", "5GB", "+5G", "0x10", "1e9", "18446744073709551616",
	};
	uint64_t bytes;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s2e_error_clear();
		assert_int_equal(s2e_size_parse(bad[i], &bytes), -1);
		assert_non_null(strstr(s2e_error_last(), "invalid size"));
	}
}

static void labels(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(s2e_size_label("7680M", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "7680MiB");
	assert_int_equal(s2e_size_label("7680MiB", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "7680MiB");
	assert_int_equal(s2e_size_label("1.5g", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.5GiB");
	assert_int_equal(s2e_size_label("4096", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "4096B");
	s2e_size_mib(8053063680ULL, buf, sizeof(buf));
	assert_string_equal(buf, "7680.0MiB");
	s2e_size_mib(1536ULL * 1024, buf, sizeof(buf));
	assert_string_equal(buf, "1.5MiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted),
		cmocka_unit_test(refused),
		cmocka_unit_test(labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
