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
		cmocka_unit_test(snapshot_names),
		cmocka_unit_test(refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
