/* Unit tests for reading a lab's history: HOSTID/EXPNAME keys, a host's
 * newest history among HEAD and the pulled refs, records read from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/hostid.h"
#include "s2e/lab.h"

static void keys(void **state)
{
	char id[S2E_HOSTID_MAX + 1];
	const char *exp;

	(void)state;
	assert_int_equal(s2e_lab_key_parse("lab-1/auto_2026-11-28T10:00:00.123+0100", id, &exp), 0);
	assert_string_equal(id, "lab-1");
	assert_string_equal(exp, "auto_2026-11-28T10:00:00.123+0100");
	assert_int_equal(s2e_lab_key_parse("e1", id, &exp), -1);
	assert_int_equal(s2e_lab_key_parse("/e1", id, &exp), -1);
	assert_int_equal(s2e_lab_key_parse("h/", id, &exp), -1);
	assert_int_equal(s2e_lab_key_parse("h/a/b", id, &exp), -1);
	assert_int_equal(s2e_lab_key_parse("h/.x", id, &exp), -1);
	assert_int_equal(s2e_lab_key_parse("..h/x", id, &exp), -1);
}

static void sh(const char *fmt, const char *root)
{
	char *cmd = s2e_asprintf(fmt, root, root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void records(void **state)
{
	char root[] = "/tmp/s2e-test-lab.XXXXXX", tip[41], *rec, *cfg;
	const char *paths[] = {"experiments"};

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(s2e_history_init(root), 0);
	sh("git -C %s config s2e.hostId me", root);
	sh("mkdir -p %s/experiments/e1 && printf '[experiment]\\n\\tname = e1\\n' "
	   ">%s/experiments/e1/record.conf",
	   root);
	assert_int_equal(s2e_history_commit(root, paths, 1, "run A sym e1", NULL, NULL), 0);
	assert_int_equal(s2e_lab_record(root, "me/e1", &rec, &cfg), 0);
	assert_string_equal(rec, "[experiment]\n\tname = e1\n");
	assert_null(cfg);
	free(rec);
	assert_int_equal(s2e_lab_record(root, "me/e2", &rec, NULL), 1);
	assert_int_equal(s2e_lab_record(root, "other/e1", &rec, NULL), 1);
	/* Another host's history, pulled from two remotes, one behind. */
	sh("git -C %s update-ref refs/s2e/remotes/a/hosts/other HEAD && true %s", root);
	sh("git -C %s rm -q -r --cached experiments && true %s", root);
	sh("git -C %s -c user.name=t -c user.email=t@t commit -q -m later && true %s", root);
	sh("git -C %s update-ref refs/s2e/remotes/b/hosts/other HEAD && git -C %s reset -q --hard HEAD~1", root);
	assert_int_equal(s2e_lab_host_tip(root, "other", tip), 0);
	assert_int_equal(s2e_lab_record(root, "other/e1", &rec, NULL), 1); /* removed later */
	sh("git -C %s update-ref -d refs/s2e/remotes/b/hosts/other && true %s", root);
	assert_int_equal(s2e_lab_record(root, "other/e1", &rec, NULL), 0);
	free(rec);
	/* A ref that only looks like a host's. */
	sh("git -C %s update-ref refs/s2e/remotes/a/x/hosts/third HEAD && true %s", root);
	assert_int_equal(s2e_lab_host_tip(root, "third", tip), 1);
	assert_int_equal(s2e_lab_record(root, "bad/id/e1", &rec, NULL), -1);
	/* Every commit once, newest first, ties by id; the odd ref left out. */
	{
		s2e_oid_hex *oids;
		size_t n;
		sh("git -C %s update-ref refs/s2e/remotes/b/hosts/other refs/s2e/remotes/a/hosts/other && "
		   "git -C %s -c user.name=t -c user.email=t@t commit -q --allow-empty -m solo", root);
		sh("git -C %s update-ref refs/s2e/remotes/a/x/hosts/third \"$(git -C %s commit-tree -m odd HEAD^{tree})\"",
		   root);
		assert_int_equal(s2e_lab_commits(root, &oids, &n), 0);
		assert_int_equal(n, 2);
		for (size_t i = 1; i < n; i++)
			assert_true(strcmp(oids[i - 1], oids[i]) != 0);
		free(oids);
	}
	assert_int_equal(s2e_remove_tree(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys),
		cmocka_unit_test(records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
