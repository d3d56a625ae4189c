/* Unit tests for the history repository, read back with libgit2. */
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
#include <git2.h>

#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/hostid.h"

static char root[] = "/tmp/s2e-test-history.XXXXXX";

static void write_in_root(const char *rel, const char *text)
{
	char *path = s2e_path_join(root, rel);

	assert_int_equal(s2e_write_file_atomic(path, text, strlen(text), 0644), 0);
	free(path);
}

static const char *head_message(git_repository *repo)
{
	static char msg[256];
	git_oid id;
	git_commit *c;

	assert_int_equal(git_reference_name_to_id(&id, repo, "HEAD"), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
	snprintf(msg, sizeof(msg), "%s", git_commit_message(c));
	git_commit_free(c);
	return msg;
}

static int in_head(git_repository *repo, const char *path)
{
	git_object *obj = NULL;
	char spec[256];
	int found;

	snprintf(spec, sizeof(spec), "HEAD:%s", path);
	found = git_revparse_single(&obj, repo, spec) == 0;
	git_object_free(obj);
	return found;
}

static void commits_metadata_only(void **state)
{
	char first[41], second[41], last[41], *vm = s2e_path_join(root, "vm/A");
	const char *paths[] = {"vm/A"};
	git_repository *repo;

	(void)state;
	assert_int_equal(s2e_history_init(root), 0);
	assert_int_equal(s2e_mkdir_p(vm, 0755), 0);
	write_in_root("vm/A/vm.config", "[vm]\n\tsize = 512\n");
	write_in_root("vm/A/disk.s2e", "not for git");
	assert_int_equal(s2e_history_commit(root, paths, 1, "vm create A 512", "body", first), 0);

	git_libgit2_init();
	assert_int_equal(git_repository_open(&repo, root), 0);
	{
		/* The body, then the Host trailer naming this S2EDIR's host id. */
		char id[S2E_HOSTID_MAX + 1], want[256];
		assert_int_equal(s2e_hostid_get(root, 0, id), 0);
		snprintf(want, sizeof(want), "vm create A 512\n\nbody\n\nHost: %s ", id);
		assert_int_equal(strncmp(head_message(repo), want, strlen(want)), 0);
	}
	assert_true(in_head(repo, "vm/A/vm.config"));
	assert_true(in_head(repo, ".gitignore"));
	assert_false(in_head(repo, "vm/A/disk.s2e"));

	/* An unrelated commit, then the VM is removed: its entry goes. */
	assert_int_equal(s2e_history_commit(root, NULL, 0, "other", NULL, second), 0);
	assert_int_equal(s2e_history_last(root, "vm/A/vm.config", last), 0);
	assert_string_equal(last, first);
	assert_int_equal(s2e_remove_tree(vm), 0);
	assert_int_equal(s2e_history_commit(root, paths, 1, "vm delete A", NULL, NULL), 0);
	assert_false(in_head(repo, "vm/A/vm.config"));
	assert_int_equal(s2e_history_last(root, NULL, last), 0);
	assert_string_not_equal(last, second);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(vm);
}

static void glob_names_are_literal(void **state)
{
	char *a = s2e_path_join(root, "vm/g*"), *b = s2e_path_join(root, "vm/gx");
	const char *paths[] = {"vm/g*"};
	git_repository *repo;

	(void)state;
	assert_int_equal(s2e_mkdir_p(a, 0755), 0);
	assert_int_equal(s2e_mkdir_p(b, 0755), 0);
	write_in_root("vm/g*/vm.config", "[vm]\n");
	write_in_root("vm/gx/vm.config", "[vm]\n");
	assert_int_equal(s2e_history_commit(root, paths, 1, "vm create g*", NULL, NULL), 0);
	git_libgit2_init();
	assert_int_equal(git_repository_open(&repo, root), 0);
	assert_true(in_head(repo, "vm/g*/vm.config"));
	assert_false(in_head(repo, "vm/gx/vm.config"));
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commits_metadata_only),
		cmocka_unit_test(glob_names_are_literal),
	};
	int rc;

	if (!mkdtemp(root))
		return 1;
	setenv("GIT_AUTHOR_NAME", "Test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	s2e_remove_tree(root);
	return rc;
}
