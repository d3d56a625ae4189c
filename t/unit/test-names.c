/* Unit tests for VM and snapshot names (SPEC §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/names.h"
#include "s2e/quote.h"

static void vm_names_accepted(void **state)
{
	(void)state;
	assert_int_equal(s2e_vm_name_check("MyBox"), 0);
	assert_int_equal(s2e_vm_name_check("a"), 0);
	assert_int_equal(s2e_vm_name_check("Debian-9.1_x86 64"), 0);
	assert_int_equal(s2e_vm_name_check("B\xc3\xb6x"), 0); /* Böx */
	assert_int_equal(s2e_vm_name_check("x.."), 0);

	char max[129];
	memset(max, 'a', 128);
	max[128] = '\0';
	assert_int_equal(s2e_vm_name_check(max), 0);
}

static void vm_names_refused(void **state)
{
	static const char *const bad[] = {
		"",	    "../x",	"a/b",	  "a:b",	  ".x",	      ".",
		"..",	    "a\nb",	"a\tb",	  "a\x7f",	  "\xc2\x85", /* U+0085, a C1 control */
		"\xff",	    "\xc3",	"\xc0\xaf", /* overlong '/' */
		"\xed\xa0\x80",			    /* a surrogate */
	};
	char big[301];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s2e_error_clear();
		assert_int_equal(s2e_vm_name_check(bad[i]), -1);
		assert_non_null(strstr(s2e_error_last(), "invalid VM name"));
	}
	memset(big, 'a', 300);
	big[300] = '\0';
	assert_int_equal(s2e_vm_name_check(big), -1);
	assert_non_null(strstr(s2e_error_last(), "longer than 128"));
}

/* Issue 11 item 12: a VM named like an option can never be run; bidi
 * overrides and invisible characters let one name pass for another. */
static void names_spoofing_refused(void **state)
{
	static const char *const spoof[] = {
		"a\xe2\x80\xae" "b",	 /* U+202E RIGHT-TO-LEFT OVERRIDE */
		"a\xe2\x80\xaa" "b",	 /* U+202A LEFT-TO-RIGHT EMBEDDING */
		"a\xe2\x81\xa6" "b",	 /* U+2066 LEFT-TO-RIGHT ISOLATE */
		"a\xe2\x81\xa9" "b",	 /* U+2069 POP DIRECTIONAL ISOLATE */
		"a\xe2\x80\x8f" "b",	 /* U+200F RIGHT-TO-LEFT MARK */
		"a\xe2\x80\x8b" "b",	 /* U+200B ZERO WIDTH SPACE */
		"\xef\xbb\xbf" "a",	 /* U+FEFF BOM */
		"a\xd8\x9c" "b",		 /* U+061C ARABIC LETTER MARK */
		"a\xe2\x80\xa8" "b",	 /* U+2028 LINE SEPARATOR */
		"a\xf3\xa0\x80\x81", /* U+E0001 LANGUAGE TAG */
	};

	(void)state;
	assert_int_equal(s2e_vm_name_check("-rf"), -1);
	assert_non_null(strstr(s2e_error_last(), "cannot start with '-'"));
	assert_int_equal(s2e_vm_name_check("--help"), -1);
	assert_int_equal(s2e_vm_name_check("a-b"), 0);
	assert_int_equal(s2e_snap_name_check("-x"), 0); /* NAME:-x cannot be an option */
	for (size_t i = 0; i < sizeof(spoof) / sizeof(spoof[0]); i++) {
		assert_int_equal(s2e_vm_name_check(spoof[i]), -1);
		assert_non_null(strstr(s2e_error_last(), "formatting character"));
		assert_int_equal(s2e_snap_name_check(spoof[i]), -1);
	}
	assert_int_equal(s2e_vm_name_check("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), 0); /* Hebrew */
}

/* Issue 11 item 11: untrusted text cannot forge lines or hide text on a
 * terminal or in a commit body. */
static void untrusted_text_escaped(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{"VM x at 1234", "VM x at 1234"},
		{"asdf\xc3\xb6lkj", "asdf\xc3\xb6lkj"},
		{"a\nAuthor: forged", "a\\nAuthor: forged"},
		{"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},
		{"tab\there\r", "tab\\there\\x0d"},
		{"back\\slash", "back\\\\slash"},
		{"a\xe2\x80\xae" "cba", "a\\u202Ecba"},
		{"c1 \xc2\x9b" "2J", "c1 \\u009B2J"},
		{"bad \xff\xc3", "bad \\xff\\xc3"},
		{"tag\xf3\xa0\x80\x81", "tag\\U000E0001"},
		{"\x7f", "\\x7f"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *e = s2e_escape_untrusted(rows[i].in);
		assert_non_null(e);
		assert_string_equal(e, rows[i].out);
		free(e);
	}
	/* Messages name objects with s2e_q(): the same for what is not ASCII. */
	assert_string_equal(s2e_q("a\nb'c"), "'a\\x0ab\\x27c'");
	assert_string_equal(s2e_q("a\xe2\x80\xae" "b\xff"), "'a\\u202Eb\\xff'");
	assert_string_equal(s2e_q("asdf\xc3\xb6lkj"), "'asdf\xc3\xb6lkj'");
}

static void snapshot_names(void **state)
{
	(void)state;
	assert_int_equal(s2e_snap_name_check("asdf\xc3\xb6lkj"), 0); /* asdfölkj */
	assert_int_equal(s2e_snap_name_check("a:b"), 0);
	assert_int_equal(s2e_snap_name_check(".hidden"), 0);
	assert_int_equal(s2e_snap_name_check(""), -1);
	assert_int_equal(s2e_snap_name_check("a/b"), -1);
	assert_int_equal(s2e_snap_name_check("a\x01"), -1);
}

static void refs(void **state)
{
	char *vm, *snap;

	(void)state;
	assert_int_equal(s2e_vm_ref_parse("MyBox", &vm, &snap), 0);
	assert_string_equal(vm, "MyBox");
	assert_null(snap);
	free(vm);

	assert_int_equal(s2e_vm_ref_parse("MyBox:ready:2", &vm, &snap), 0);
	assert_string_equal(vm, "MyBox");
	assert_string_equal(snap, "ready:2");
	free(vm);
	free(snap);

	assert_int_equal(s2e_vm_ref_parse("MyBox:", &vm, &snap), -1);
	assert_null(vm);
	assert_int_equal(s2e_vm_ref_parse(":x", &vm, &snap), -1);
	assert_int_equal(s2e_vm_ref_parse("a/b:x", &vm, &snap), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vm_names_accepted),
		cmocka_unit_test(vm_names_refused),
		cmocka_unit_test(names_spoofing_refused),
		cmocka_unit_test(untrusted_text_escaped),
		cmocka_unit_test(snapshot_names),
		cmocka_unit_test(refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
