/* Unit tests for the package manifest (the compression streams are in
 * test-zstream.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/manifest.h"

static void manifest_round_trip(void **state)
{
	struct s2e_manifest m = {.version = 1}, back;
	char *text;
	size_t len;
	const char *d =
	    "sha256-1m:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	(void)state;
	m.name = strdup("My \"odd\" box; #1");
	m.exported_from = strdup("VM x at commit 1234");
	assert_int_equal(s2e_manifest_add(&m, "disk.s2e", 8589934592ULL, d), 0);
	assert_int_equal(s2e_manifest_add(&m, "disk.s2e.asdf\xc3\xb6lkj \"q\"", 5, NULL), 0);
	text = s2e_manifest_format(&m, "[vm]\n\tsize = 1\n[snapshot \"a\"]\n\ttaken = x\n", &len);
	assert_non_null(text);
	assert_int_equal(s2e_manifest_parse(text, len, &back), 0);
	assert_string_equal(back.name, m.name);
	assert_string_equal(back.exported_from, m.exported_from);
	assert_int_equal(back.nmembers, 2);
	assert_string_equal(back.members[0].file, "disk.s2e");
	assert_true(back.members[0].size == 8589934592ULL);
	assert_string_equal(back.members[0].digest, d);
	assert_string_equal(back.members[1].file, "disk.s2e.asdf\xc3\xb6lkj \"q\"");
	assert_null(back.members[1].digest);
	s2e_manifest_free(&back);
	s2e_manifest_free(&m);
	free(text);
}

static void manifest_refuses(void **state)
{
	static const char *bad[] = {
	    "",							   /* no [package] */
	    "[package]\n\tversion = 2\n",			   /* unknown version */
	    "[package\n\tversion = 1\n",			   /* malformed */
	    "[package]\n\tversion = 1\n[member \"a\"]\n",	   /* no size */
	    "[package]\n\tversion = 1\n[member \"a\"]\nsize=-1\n", /* bad size */
	    "[package]\nversion=1\n[member \"a\"]\nsize=1\n[member \"a\"]\nsize=1\n",
	    "[package]\nversion=1\n[member \"a\"]\nsize=1\ndigest=sha256-1m:xyz\n",
	    "[package]\nversion=1\n[include]\npath=/etc/passwd\n",
	    "[package]\nversion=1\nname=\"unterminated\n",
	    "[package]\nversion=1\n[x][include]\npath=/etc/passwd\n", /* issue 11 item 2 */
	    "[package]\nversion=1\n[member \"x\"]\nsize=1\n",	   /* not a VM file */
	    "[package]\nversion=1\n[member \"disk.s2e.a/b\"]\nsize=1\n",
	};
	struct s2e_manifest m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(s2e_manifest_parse(bad[i], strlen(bad[i]), &m), -1);
	assert_int_equal(s2e_manifest_parse("[package]\nversion=1\0x", 21, &m), -1);
}

static void subsections_in_order(void **state)
{
	const char *cfg = "[vm]\n\tsize = 1\n[snapshot \"ready\"]\n\ttaken = a\n"
			  "[snapshot \"b \\\"q\\\"\"]\n[other \"x\"]\n[snapshot \"asdf\"]\n";
	char **subs;
	size_t n;

	(void)state;
	assert_int_equal(s2e_config_subsections(cfg, strlen(cfg), "snapshot", &subs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(subs[0], "ready");
	assert_string_equal(subs[1], "b \"q\"");
	assert_string_equal(subs[2], "asdf");
	for (size_t i = 0; i < n; i++)
		free(subs[i]);
	free(subs);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(manifest_round_trip),
	    cmocka_unit_test(manifest_refuses),
	    cmocka_unit_test(subsections_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
