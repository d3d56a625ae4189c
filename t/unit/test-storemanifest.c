/* Unit tests for the store manifest: a round trip, and hostile manifests
 * (bad names, "..", absolute paths, include, duplicates, order, syntax). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/storemanifest.h"

#define D1 "sha256-1m:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256-1m:2222222222222222222222222222222222222222222222222222222222222222"

static const char good[] =
    "[push]\n\tversion = 1\n\tname = \"My Box\"\n\tby = alice@lab1\n"
    "[file \"disk.s2e\"]\n\tsize = 8589934592\n\tdigest = " D1 "\n"
    "[file \"disk.s2e.ready\"]\n\tsize = 8589934592\n\tdigest = " D2 "\n"
    "[vm]\n\tsize = 8589934592\n\tcreated = 2026-11-28T10:00:00Z\n"
    "[snapshot \"ready\"]\n\ttaken = 2026-11-28T10:05:00Z\n\tdisk = " D1 "\n";

static void parse_good(void **state)
{
	struct s2e_store_manifest m;

	(void)state;
	assert_int_equal(s2e_store_manifest_parse(good, strlen(good), "m", &m), 0);
	assert_string_equal(m.name, "My Box");
	assert_string_equal(m.pushed_by, "alice@lab1");
	assert_null(m.commit);
	assert_int_equal(m.nfiles, 2);
	assert_string_equal(m.files[1].name, "disk.s2e.ready");
	assert_string_equal(m.files[1].digest, D2);
	assert_int_equal(s2e_store_manifest_bytes(&m), 2 * 8589934592ULL);
	assert_non_null(strstr(m.vmconfig, "[snapshot \"ready\"]"));
	assert_null(strstr(m.vmconfig, "[push]"));
	assert_null(strstr(m.vmconfig, "[file"));
	s2e_store_manifest_free(&m);
}

static void format_round_trip(void **state)
{
	struct s2e_store_manifest m = {0}, back;
	char *text;
	size_t len;

	(void)state;
	m.name = strdup("a\"b\\c");
	m.pushed_by = strdup("bob");
	m.pushed_at = strdup("2026-11-28T10:00:00.000000000Z");
	m.commit = strdup("0123456789abcdef0123456789abcdef01234567");
	m.vmconfig = strdup("[vm]\n\tsize = 1024\n[snapshot \"s 1\"]\n\tdisk = " D1 "\n");
	assert_int_equal(s2e_store_manifest_add_file(&m, "disk.s2e", 1024, D1), 0);
	assert_int_equal(s2e_store_manifest_add_file(&m, "disk.s2e.s 1", 1024, D2), 0);
	text = s2e_store_manifest_format(&m, &len);
	assert_non_null(text);
	assert_int_equal(s2e_store_manifest_parse(text, len, "m", &back), 0);
	assert_string_equal(back.name, m.name);
	assert_string_equal(back.commit, m.commit);
	assert_string_equal(back.pushed_at, m.pushed_at);
	assert_int_equal(back.nfiles, 2);
	assert_string_equal(back.files[1].name, "disk.s2e.s 1");
	assert_string_equal(back.vmconfig, m.vmconfig);
	s2e_store_manifest_free(&back);
	s2e_store_manifest_free(&m);
	free(text);
}

/* good with one substring replaced must be refused, the message saying why. */
static void refused(const char *from, const char *to, const char *reason)
{
	struct s2e_store_manifest m;
	char text[4096];
	const char *at = strstr(good, from);

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	if (s2e_store_manifest_parse(text, strlen(text), "STORE/vm/x/vm.config", &m) == 0)
		fail_msg("accepted with %s -> %s", from, to);
	if (!strstr(s2e_error_last(), reason) || !strstr(s2e_error_last(), "STORE/vm/x/vm.config"))
		fail_msg("'%s' does not say '%s'", s2e_error_last(), reason);
}

static void hostile(void **state)
{
	(void)state;
	refused("\"My Box\"", "\"../etc\"", "name");
	refused("\"My Box\"", "\"/abs\"", "name");
	refused("\"My Box\"", "\".hidden\"", "name");
	refused("\"My Box\"", "\"\"", "name");
	refused("[file \"disk.s2e.ready\"]", "[file \"disk.s2e/../../x\"]", "bad file name");
	refused("[file \"disk.s2e.ready\"]", "[file \"/etc/passwd\"]", "bad file name");
	refused("[file \"disk.s2e.ready\"]", "[file \"disk.s2e..\"]", "bad file name");
	refused("[file \"disk.s2e.ready\"]", "[file \"../disk.s2e\"]", "bad file name");
	refused("[file \"disk.s2e.ready\"]", "[file \"disk.s2e\"]", "duplicate key");
	refused("[snapshot \"ready\"]", "[snapshot \"a/b\"]", "bad snapshot name");
	refused("[snapshot \"ready\"]", "[snapshot \"other\"]", "does not match snapshot");
	refused("[snapshot \"ready\"]", "[vmx]", "snapshot files but");
	refused("[vm]", "[include]\n\tpath = /etc/passwd\n[vm]", "include");
	refused("[vm]", "[includeIf \"gitdir:/\"]\n\tpath = x\n[vm]", "include");
	refused("[vm]", "[vm.sub]", "malformed section header");
	refused("version = 1", "version = 2", "unknown manifest version");
	refused("\tversion = 1\n", "", "no [push] version");
	refused("size = 8589934592\n\tdigest = " D1, "size = -1\n\tdigest = " D1, "bad size");
	refused("size = 8589934592\n\tdigest = " D1, "size = 99999999999999999999\n\tdigest = " D1,
		"bad size");
	refused("size = 8589934592\n\tdigest = " D1, "digest = " D1, "no size or no digest");
	refused("digest = " D2, "digest = sha256-1m:XYZ", "bad digest");
	refused("disk = " D1, "disk = md5:0", "bad snapshot disk digest");
	refused("\tby = alice@lab1\n", "\tby = a\n\tby = b\n", "duplicate key");
	refused("[vm]", "\"unterminated\n[vm]", "line");
	refused("[vm]", "[vm", "malformed section header");
	refused("\tsize = 8589934592\n\tcreated", "\tsize = 1\\\n2\n\tcreated",
		"line continuation");
	refused("alice@lab1", "alice\001", "control character");
	refused("[push]", "key = 1\n[push]", "key before any section");
	refused("[file \"disk.s2e\"]", "[file \"disk.s2e.x\"]", "first file must be disk.s2e");
	refused("[push]", "[push \"x\"]", "no subsection");
}

static void nul_and_size_limits(void **state)
{
	struct s2e_store_manifest m;
	char *big = malloc(S2E_STORE_MANIFEST_MAX + 2);

	(void)state;
	assert_int_equal(s2e_store_manifest_parse("[push]\0", 7, "m", &m), -1);
	assert_non_null(strstr(s2e_error_last(), "NUL"));
	memset(big, '#', S2E_STORE_MANIFEST_MAX + 1);
	assert_int_equal(s2e_store_manifest_parse(big, S2E_STORE_MANIFEST_MAX + 1, "m", &m), -1);
	assert_non_null(strstr(s2e_error_last(), "larger than"));
	free(big);
}

static void vm_paths(void **state)
{
	char *p = s2e_store_vm_path("My Box", "vm.config");

	(void)state;
	assert_string_equal(p, "vm/My Box/vm.config");
	free(p);
	assert_null(s2e_store_vm_path("..", "vm.config"));
	assert_null(s2e_store_vm_path("a/b", "vm.config"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_good), cmocka_unit_test(format_round_trip),
	    cmocka_unit_test(hostile),	  cmocka_unit_test(nul_and_size_limits),
	    cmocka_unit_test(vm_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
