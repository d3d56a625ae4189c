/* Unit tests for vm.config: what is written reads back the same, in order,
 * whatever the snapshot names hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/fs.h"
#include "s2e/meta.h"

static char dir[] = "/tmp/s2e-test-meta.XXXXXX";

static void round_trip(void **state)
{
	static const char *const names[] = {
		"ready", "base", "asdf\xc3\xb6lkj", "with.dots.x", "q\"uo\\te", "#;hash", " sp ", "[x]",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	struct s2e_meta in = {.size = 8053063680ULL}, out;
	char *path = s2e_path_join(dir, "vm.config");

	(void)state;
	in.size_label = "7680MiB";
	in.created = "2026-11-28T00:00:00.000000001Z";
	in.origin = "clone of \"x\" at 1234; #not a comment";
	for (size_t i = 0; i < n; i++)
		assert_int_equal(s2e_meta_add_snap(&in, names[i], "t", i % 2 ? "sha256-1m:ab" : NULL), 0);
	in.size_label = strdup(in.size_label);
	in.created = strdup(in.created);
	in.origin = strdup(in.origin);
	assert_int_equal(s2e_meta_write(path, &in), 0);
	assert_int_equal(s2e_meta_read(path, &out), 0);
	assert_true(out.size == in.size);
	assert_string_equal(out.size_label, in.size_label);
	assert_string_equal(out.created, in.created);
	assert_string_equal(out.origin, in.origin);
	assert_int_equal(out.nsnaps, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(out.snaps[i].name, names[i]);
		if (i % 2)
			assert_string_equal(out.snaps[i].disk_digest, "sha256-1m:ab");
		else
			assert_null(out.snaps[i].disk_digest);
	}
	assert_int_equal(s2e_meta_remove_snap(&out, "base"), 1);
	assert_int_equal(s2e_meta_remove_snap(&out, "base"), 0);
	assert_int_equal(out.nsnaps, n - 1);
	assert_string_equal(out.snaps[1].name, names[2]);
	s2e_meta_free(&in);
	s2e_meta_free(&out);
	unlink(path);
	free(path);
}

static void missing_file(void **state)
{
	struct s2e_meta meta;
	char *path = s2e_path_join(dir, "absent.config");

	(void)state;
	assert_int_equal(s2e_meta_read(path, &meta), 1);
	assert_int_equal(meta.nsnaps, 0);
	free(path);
}

/* Issue 8 item 8: only a missing file means "no metadata"; any other
 * failure is an error, so that delete does not overwrite vm.config. */
static void unreadable_is_an_error(void **state)
{
	struct s2e_meta meta;
	char *file = s2e_path_join(dir, "plain"), *path = s2e_path_join(file, "vm.config");
	FILE *f = fopen(file, "w");

	(void)state;
	fclose(f);
	assert_int_equal(s2e_meta_read(path, &meta), -1); /* ENOTDIR */
	unlink(file);
	mkdir(file, 0755);
	assert_int_equal(s2e_meta_read(file, &meta), -1); /* a directory */
	rmdir(file);
	free(path);
	free(file);
}

static void corrupt_file(void **state)
{
	struct s2e_meta meta;
	char *path = s2e_path_join(dir, "bad.config");
	FILE *f = fopen(path, "w");

	(void)state;
	fputs("[vm\n\tsize = 1\n", f);
	fclose(f);
	assert_int_equal(s2e_meta_read(path, &meta), -1);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(unreadable_is_an_error),
		cmocka_unit_test(corrupt_file),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
