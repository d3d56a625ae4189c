/* Unit tests for the VM transaction: begin / commit / end, the checks made
 * before anything is touched, rollback of a failed commit, delete,
 * vm.config kept in place while rewritten, temporaries removed by the lock. */
#include <dirent.h>
#include <git2.h>
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

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/vmtx.h"

static char root[] = "/tmp/s2e-test-vmtx.XXXXXX";

static int exists(const char *rel)
{
	char *path = s2e_path_join(root, rel);
	struct stat st;
	int found = lstat(path, &st) == 0;

	free(path);
	return found;
}

/* Entries of vm/ that are not VMs (staging, trash). */
static int leftovers(void)
{
	char *vm = s2e_path_join(root, "vm");
	struct dirent *de;
	DIR *dir = opendir(vm);
	int n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)))
		n += de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dir);
	free(vm);
	return n;
}

static void put(const char *dir, const char *leaf, const char *text)
{
	char *path = s2e_path_join(dir, leaf);

	assert_int_equal(s2e_write_file_atomic(path, text, strlen(text), 0644), 0);
	free(path);
}

static int commits(void)
{
	git_repository *repo;
	git_revwalk *walk;
	git_oid id;
	int n = 0;

	assert_int_equal(git_repository_open(&repo, root), 0);
	assert_int_equal(git_revwalk_new(&walk, repo), 0);
	if (git_revwalk_push_head(walk) == 0)
		while (git_revwalk_next(&id, walk) == 0)
			n++;
	git_revwalk_free(walk);
	git_repository_free(repo);
	return n;
}

static void create(const char *name, int flags, const char *text)
{
	struct s2e_vmtx tx;

	assert_int_equal(s2e_vmtx_begin(&tx, root, name, flags), 0);
	assert_non_null(tx.staging);
	put(tx.staging, "vm.config", text);
	assert_int_equal(s2e_vmtx_commit(&tx, "create", "body", NULL, 0), 0);
	s2e_vmtx_end(&tx);
}

static void commit_and_exists(void **state)
{
	struct s2e_vmtx tx;
	int before;

	(void)state;
	create("A", 0, "[vm]\n\tsize = 1\n");
	assert_true(exists("vm/A/vm.config"));
	before = commits();
	assert_int_equal(s2e_vmtx_begin(&tx, root, "A", 0), S2E_EEXISTS);
	assert_int_equal(s2e_error_code(), S2E_EEXISTS);
	create("A", S2E_VMTX_FORCE, "[vm]\n\tsize = 2\n");
	assert_int_equal(commits(), before + 1);
	assert_int_equal(s2e_vmtx_begin(&tx, root, "Nope", S2E_VMTX_DELETE), S2E_ENOTFOUND);
}

/* Names git refuses are refused before S2EDIR is even created. */
static void git_refused_names(void **state)
{
	static const char *const bad[] = {"GIT~1", "git~1", "Git~1.", "GIT~1::$INDEX_ALLOCATION"};
	struct s2e_vmtx tx;
	char fresh[] = "/tmp/s2e-test-vmtx-fresh.XXXXXX";
	char *where;

	(void)state;
	assert_non_null(mkdtemp(fresh));
	where = s2e_path_join(fresh, "s2e");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(s2e_vmtx_begin(&tx, where, bad[i], 0), S2E_EINVALID);
		assert_non_null(strstr(s2e_error_last(), "invalid VM name"));
		assert_int_equal(access(where, F_OK), -1);
	}
	assert_int_equal(s2e_vmtx_begin(&tx, where, ".hidden", 0), S2E_EINVALID);
	free(where);
	s2e_remove_tree(fresh);
}

/* The history commit fails after the rename: the VM is moved back. */
static void failed_commit_rolls_back(void **state)
{
	struct s2e_vmtx tx;
	int before = commits();
	char *old = NULL;

	(void)state;
	setenv("S2E_TEST_FAIL", "history-publish", 1);
	assert_int_equal(s2e_vmtx_begin(&tx, root, "B", 0), 0);
	put(tx.staging, "vm.config", "[vm]\n");
	assert_int_equal(s2e_vmtx_commit(&tx, "create B", NULL, NULL, 0), -1);
	assert_non_null(strstr(s2e_error_last(), "history-publish failed"));
	s2e_vmtx_end(&tx);
	assert_false(exists("vm/B"));
	/* replacing: the old VM comes back */
	assert_int_equal(s2e_vmtx_begin(&tx, root, "A", S2E_VMTX_FORCE), 0);
	put(tx.staging, "vm.config", "[vm]\n\tsize = 3\n");
	assert_int_equal(s2e_vmtx_commit(&tx, "create -f A", NULL, NULL, 0), -1);
	s2e_vmtx_end(&tx);
	/* deleting: the VM comes back */
	assert_int_equal(s2e_vmtx_begin(&tx, root, "A", S2E_VMTX_DELETE), 0);
	assert_int_equal(s2e_vmtx_commit(&tx, "delete A", NULL, NULL, 0), -1);
	s2e_vmtx_end(&tx);
	unsetenv("S2E_TEST_FAIL");
	{
		char *path = s2e_path_join(root, "vm/A/vm.config");
		assert_int_equal(s2e_read_file(path, &old, NULL), 0);
		free(path);
	}
	assert_string_equal(old, "[vm]\n\tsize = 2\n");
	free(old);
	assert_int_equal(commits(), before);
	assert_false(exists(".git/index.lock"));
	assert_int_equal(leftovers(), 0);
}

static void delete_and_set_aside(void **state)
{
	struct s2e_vmtx tx;
	char *dir = s2e_path_join(root, "vm/A");

	(void)state;
	put(dir, "disk.s2e.snap", "x");
	/* an update whose commit fails puts the set-aside file back */
	setenv("S2E_TEST_FAIL", "history-publish", 1);
	assert_int_equal(s2e_vmtx_begin(&tx, root, "A", S2E_VMTX_UPDATE), 0);
	assert_null(tx.staging);
	assert_int_equal(s2e_vmtx_set_aside(&tx, "disk.s2e.snap"), 0);
	assert_false(exists("vm/A/disk.s2e.snap"));
	assert_int_equal(s2e_vmtx_commit(&tx, "delete A:snap", NULL, NULL, 0), -1);
	s2e_vmtx_end(&tx);
	unsetenv("S2E_TEST_FAIL");
	assert_true(exists("vm/A/disk.s2e.snap"));
	assert_int_equal(s2e_vmtx_begin(&tx, root, "A", S2E_VMTX_DELETE), 0);
	assert_int_equal(s2e_vmtx_commit(&tx, "delete A", NULL, NULL, 0), 0);
	s2e_vmtx_end(&tx);
	assert_false(exists("vm/A"));
	/* nothing left in the trash once committed */
	{
		char *trash = s2e_path_join(root, ".s2e/trash/A");
		assert_int_equal(access(trash, F_OK), -1);
		free(trash);
	}
	free(dir);
}

static char *text_of(const char *rel)
{
	char *path = s2e_path_join(root, rel), *text = NULL;

	assert_int_equal(s2e_read_file(path, &text, NULL), 0);
	free(path);
	return text;
}

/* One update of vm.config through keep_old: the file is there all along. */
static void keep_old_update(const char *text, int fail, int commit)
{
	struct s2e_vmtx tx;
	char *dir = s2e_path_join(root, "vm/K");

	if (fail)
		setenv("S2E_TEST_FAIL", "history-publish", 1);
	assert_int_equal(s2e_vmtx_begin(&tx, root, "K", S2E_VMTX_UPDATE), 0);
	assert_int_equal(s2e_vmtx_keep_old(&tx, "vm.config"), 0);
	assert_true(exists("vm/K/vm.config"));
	put(dir, "vm.config", text);
	if (commit)
		assert_int_equal(s2e_vmtx_commit(&tx, "config K", NULL, NULL, 0), fail ? -1 : 0);
	s2e_vmtx_end(&tx);
	unsetenv("S2E_TEST_FAIL");
	free(dir);
}

/* vm.config rewritten in place: a failed commit or an abort brings the old
 * one back, a commit leaves nothing in the trash. */
static void keep_old(void **state)
{
	char *text, *trash = s2e_path_join(root, ".s2e/trash");
	struct dirent *de;
	DIR *dir;

	(void)state;
	create("K", 0, "[vm]\n\tsize = 1\n");
	keep_old_update("[vm]\n\tsize = 2\n", 1, 1);
	assert_string_equal(text = text_of("vm/K/vm.config"), "[vm]\n\tsize = 1\n");
	free(text);
	keep_old_update("[vm]\n\tsize = 3\n", 0, 0);
	assert_string_equal(text = text_of("vm/K/vm.config"), "[vm]\n\tsize = 1\n");
	free(text);
	keep_old_update("[vm]\n\tsize = 4\n", 0, 1);
	assert_string_equal(text = text_of("vm/K/vm.config"), "[vm]\n\tsize = 4\n");
	free(text);
	assert_non_null(dir = opendir(trash));
	while ((de = readdir(dir)))
		assert_true(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."));
	closedir(dir);
	free(trash);
}

/* The lock removes the temporaries of atomic writes a killed command left,
 * and nothing else. */
static void lock_removes_temporaries(void **state)
{
	static const char *const gone[] = {"vm/K/vm.config.tmp.abcDE9",
					   "experiments/e1/record.conf.tmp.X1y2Z3",
					   "experiments/e1/s2e-config.lua.tmp.qqqqqq"};
	static const char *const kept[] = {"vm/K/disk.s2e.tmp.abcDE9", "vm/K/vm.config.tmp.abc",
					   "experiments/e1/record.conf.tmp.abcdefg",
					   "experiments/e1/notes.tmp.abcdef"};
	char *exp = s2e_path_join(root, "experiments/e1");
	struct s2e_lock lock;

	(void)state;
	assert_int_equal(s2e_mkdir_p(exp, 0777), 0);
	for (size_t i = 0; i < 3; i++)
		put(root, gone[i], "x");
	for (size_t i = 0; i < 4; i++)
		put(root, kept[i], "x");
	assert_int_equal(s2e_lock(root, &lock), 0);
	s2e_unlock(&lock);
	for (size_t i = 0; i < 3; i++)
		assert_false(exists(gone[i]));
	for (size_t i = 0; i < 4; i++)
		assert_true(exists(kept[i]));
	s2e_remove_tree(exp);
	free(exp);
}

static void history_last_reports_errors(void **state)
{
	char oid[41], fresh[] = "/tmp/s2e-test-vmtx-norepo.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(fresh));
	assert_true(s2e_history_last(fresh, NULL, oid) < 0);
	assert_non_null(strstr(s2e_error_last(), "history"));
	assert_int_equal(s2e_history_last(root, "vm/Never/vm.config", oid), 1);
	assert_int_equal(s2e_history_last(root, NULL, oid), 0);
	s2e_remove_tree(fresh);
}

/* A new VM named once it is built (import without NAME). */
static void named_later(void **state)
{
	struct s2e_vmtx tx;
	int before;

	(void)state;
	create("Taken", 0, "[vm]\n");
	before = commits();
	assert_int_equal(s2e_vmtx_begin(&tx, root, NULL, S2E_VMTX_DELETE), S2E_ERROR);
	assert_int_equal(s2e_vmtx_begin(&tx, root, NULL, 0), 0);
	assert_non_null(tx.staging);
	put(tx.staging, "vm.config", "[vm]\n\tsize = 5\n");
	assert_int_equal(s2e_vmtx_commit(&tx, "unnamed", NULL, NULL, 0), -1);
	assert_int_equal(s2e_vmtx_name(&tx, ".bad"), S2E_EINVALID);
	assert_null(tx.name);
	assert_int_equal(s2e_vmtx_name(&tx, "GIT~1"), S2E_EINVALID);
	assert_int_equal(s2e_vmtx_name(&tx, "Taken"), S2E_EEXISTS);
	assert_null(tx.name);
	assert_int_equal(s2e_vmtx_name(&tx, "Named"), 0);
	assert_int_equal(s2e_vmtx_name(&tx, "Other"), -1);
	assert_int_equal(s2e_vmtx_commit(&tx, "import", NULL, NULL, 0), 0);
	s2e_vmtx_end(&tx);
	assert_true(exists("vm/Named/vm.config"));
	assert_int_equal(commits(), before + 1);
	/* never named: ended, nothing left */
	assert_int_equal(s2e_vmtx_begin(&tx, root, NULL, 0), 0);
	s2e_vmtx_end(&tx);
	assert_int_equal(leftovers(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commit_and_exists),
		cmocka_unit_test(git_refused_names),
		cmocka_unit_test(failed_commit_rolls_back),
		cmocka_unit_test(delete_and_set_aside),
		cmocka_unit_test(keep_old),
		cmocka_unit_test(lock_removes_temporaries),
		cmocka_unit_test(history_last_reports_errors),
		cmocka_unit_test(named_later),
	};
	int rc;

	if (!mkdtemp(root))
		return 1;
	setenv("GIT_AUTHOR_NAME", "Test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
	setenv("S2E_LOCK_TIMEOUT", "1", 1);
	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	s2e_remove_tree(root);
	return rc;
}
