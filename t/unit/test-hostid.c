/* Unit tests for host ids: the check, creation and storage in the history
 * repository's own configuration only, and the Host trailer of commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/hostid.h"

static void ids_are_ref_components(void **state)
{
	static const char *const good[] = {"0f5c2a9e-3b1d-4c8e-9a57-6d2e8f4b1c03", "lab-1", "a.b_c", "X"};
	static const char *const bad[] = {"", "a/b", ".x", "-x", "a..b", "x.lock", "a b", "a:b",
					  "a*", "\xc3\xa9",
					  "01234567890123456789012345678901234567890123456789012345678901234"};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(s2e_hostid_check(good[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(s2e_hostid_check(bad[i]), -1);
}

static void created_once_and_kept(void **state)
{
	char root[] = "/tmp/s2e-test-hostid.XXXXXX", id[S2E_HOSTID_MAX + 1], again[S2E_HOSTID_MAX + 1];
	char *home, *cmd, *line;
	FILE *p;

	(void)state;
	assert_non_null(mkdtemp(root));
	home = s2e_asprintf("%s/home", root);
	assert_int_equal(s2e_mkdir_p(home, 0755), 0);
	/* A host id in ~/.gitconfig must not count: it would be every S2EDIR's. */
	cmd = s2e_asprintf("HOME=%s git config --global s2e.hostId global-id", home);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	setenv("HOME", home, 1);
	assert_int_equal(s2e_history_init(root), 0);
	assert_int_equal(s2e_hostid_get(root, 0, id), 1);
	assert_string_equal(id, "");
	assert_int_equal(s2e_hostid_get(root, 1, id), 0);
	assert_int_equal(strlen(id), 36);
	assert_int_equal(s2e_hostid_get(root, 1, again), 0);
	assert_string_equal(id, again);
	/* git sees it. */
	cmd = s2e_asprintf("git -C %s config --local s2e.hostId", root);
	p = popen(cmd, "r");
	assert_non_null(fgets(again, sizeof(again), p));
	pclose(p);
	free(cmd);
	assert_memory_equal(again, id, 36);
	line = s2e_host_line(root);
	assert_non_null(line);
	assert_int_equal(strncmp(line, id, 36), 0);
	assert_int_equal(line[36], ' ');
	free(line);
	/* A malformed id is an error that names it. */
	cmd = s2e_asprintf("git -C %s config s2e.hostId 'a/b'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(s2e_hostid_get(root, 1, id), -1);
	assert_int_equal(s2e_remove_tree(root), 0);
	free(home);
}

static void trailer_parsed(void **state)
{
	struct s2e_host h;

	(void)state;
	assert_int_equal(s2e_host_parse("vm create A 1M\n\nVM: A\n\nHost: lab-1 node7 alice\n", &h), 0);
	assert_string_equal(h.id, "lab-1");
	assert_string_equal(h.name, "node7");
	assert_string_equal(h.user, "alice");
	assert_int_equal(s2e_host_parse("vm create A 1M\n\nVM: A\n", &h), 1);
	assert_string_equal(h.id, "");
	assert_int_equal(s2e_host_parse("x\n\nHost: a/b node alice\n", &h), 1);
	assert_int_equal(s2e_host_parse("x\n\nHost: a node\n", &h), 1);
	assert_int_equal(s2e_host_parse("x\n\nHost: a node alice extra\n", &h), 1);
	assert_int_equal(s2e_host_parse("", &h), 1);
	/* From another host: no terminal escapes or other bytes word() never writes. */
	assert_int_equal(s2e_host_parse("x\n\nHost: a n\x1b[2J alice\n", &h), 1);
	assert_int_equal(s2e_host_parse("x\n\nHost: a n\xc3\xa9 alice\n", &h), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_are_ref_components),
		cmocka_unit_test(created_once_and_kept),
		cmocka_unit_test(trailer_parsed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
