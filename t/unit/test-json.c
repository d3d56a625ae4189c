/* The JSON reader: what s2e-env writes, and what it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/json.h"

static int parse(const char *text, struct s2e_json *v)
{
	return s2e_json_parse(text, strlen(text), "t.json", v);
}

static void image_json(void **state)
{
	const char *text = "{\n  \"name\": \"debian-9.2.1-i386\", \"image_group\": \"linux\",\n"
			   "  \"memory\": \"256M\", \"os\": {\"name\": \"debian\", \"version\": "
			   "\"9.2.1\", \"arch\": \"i386\", \"build\": \"\", \"binary_formats\": "
			   "[\"elf\"]},\n  \"qemu_build\": \"i386\", \"qemu_extra_flags\": \"-net "
			   "none -net nic,model=e1000 \", \"snapshot\": \"ready\", \"version\": 3,\n"
			   "  \"description\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\", \"x\": null}";
	struct s2e_json v;
	(void)state;

	assert_int_equal(parse(text, &v), 0);
	assert_string_equal(s2e_json_text(&v, "memory"), "256M");
	assert_string_equal(s2e_json_text(s2e_json_member(&v, "os"), "version"), "9.2.1");
	assert_string_equal(s2e_json_text(&v, "version"), "3");
	assert_string_equal(s2e_json_text(&v, "description"), "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\"");
	assert_null(s2e_json_text(&v, "x"));
	assert_null(s2e_json_text(&v, "missing"));
	assert_int_equal(s2e_json_member(s2e_json_member(&v, "os"), "binary_formats")->n, 1);
	s2e_json_free(&v);
}

static void refused(void **state)
{
	static const char *const bad[] = {
	    "", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{\"a\":1}x", "{a:1}", "'a'",
	    "\"\\u0000\"", "\"a\nb\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\xff\"", "\"\xc0\x80\"",
	    "\"\xed\xa0\x80\"", "{\"a\":1,\"a\":2}", "tru", "-", "01x", "\"\\x\"", "\"abc",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	struct s2e_json v;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &v) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(s2e_error_last(), "t.json"));
	}
	assert_int_equal(s2e_json_parse("\"a\0b\"", 5, "t.json", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_json),
		cmocka_unit_test(refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
