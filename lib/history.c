#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <glob.h>
#include <time.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/quote.h"

/* Everything at the top of S2EDIR is ignored but VM metadata and experiment
 * records: images, snapshots and experiment outputs never enter git, and
 * neither does anything else a user keeps in S2EDIR (src/, build/, ...). */
static const char gitignore[] =
    "# Written by s2e.  Only VM metadata (vm/NAME/vm.config) and experiment\n"
    "# records (experiments/) are versioned; disk images, snapshots and\n"
    "# experiment outputs (expdata/) never enter git.\n"
    "/*\n"
    "!/.gitignore\n"
    "!/vm/\n"
    "/vm/*/*\n"
    "!/vm/*/vm.config\n"
    "/vm/.*\n"
    "!/experiments/\n";

static void shutdown_git(void)
{
	git_libgit2_shutdown();
}

static void init_git(void)
{
	git_libgit2_init();
	atexit(shutdown_git);
}

/* Once per process: libgit2's set-up is far dearer than reading one file,
 * and `vm list` reads a vm.config per VM. */
void s2e_git_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, init_git);
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return s2e_error("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

static int open_repo(const char *root, git_repository **repo)
{
	if (git_repository_open_ext(repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return 0;
	return git_fail("cannot open the history repository");
}

int s2e_history_init(const char *root)
{
	git_repository *repo = NULL;
	char *path = s2e_path_join(root, ".gitignore"), *old = NULL;
	int rc = -1;

	if (!path)
		return -1;
	s2e_git_init();
	if (git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 &&
	    git_repository_init(&repo, root, 0) < 0) {
		git_fail("cannot create the history repository");
		goto out;
	}
	if (s2e_read_file(path, &old, NULL) == 0 && !strcmp(old, gitignore)) {
		rc = 0;
		goto out;
	}
	rc = s2e_write_file_atomic(path, gitignore, strlen(gitignore), 0644);
out:
	free(old);
	free(path);
	git_repository_free(repo);
	return rc;
}

/* Author and committer: GIT_AUTHOR_* / GIT_COMMITTER_* as git honours them,
 * then the user's git configuration, then login@host. */
static int signature(git_repository *repo, const char *who, git_signature **sig)
{
	char name_var[32], email_var[32], host[256] = "localhost";
	const char *name, *email;
	struct passwd *pw;

	snprintf(name_var, sizeof(name_var), "GIT_%s_NAME", who);
	snprintf(email_var, sizeof(email_var), "GIT_%s_EMAIL", who);
	name = getenv(name_var);
	email = getenv(email_var);
	if (name && *name && email && *email)
		return git_signature_now(sig, name, email);
	if (git_signature_default(sig, repo) == 0)
		return 0;
	pw = getpwuid(getuid());
	gethostname(host, sizeof(host) - 1);
	{
		char mail[512];
		const char *login = pw && pw->pw_name ? pw->pw_name : "s2e";
		snprintf(mail, sizeof(mail), "%s@%s", login, host);
		return git_signature_now(sig, name && *name ? name : login,
					 email && *email ? email : mail);
	}
}

/* Drop index entries at or under `path` whose file is gone. */
static int remove_missing(git_index *index, const char *root, const char *path)
{
	size_t plen = strlen(path);

	for (size_t i = git_index_entrycount(index); i-- > 0;) {
		const git_index_entry *e = git_index_get_byindex(index, i);
		struct stat st;
		char *full;

		if (strncmp(e->path, path, plen) || (e->path[plen] && e->path[plen] != '/'))
			continue;
		full = s2e_path_join(root, e->path);
		if (!full)
			return -1;
		if (lstat(full, &st) && errno == ENOENT &&
		    git_index_remove(index, e->path, 0) < 0) {
			free(full);
			return git_fail("cannot update the history index");
		}
		free(full);
	}
	return 0;
}

/* Add the file at `path`, or every file under the directory at `path`, that
 * .gitignore does not exclude.  Paths are taken literally: no pathspec, so a
 * VM named "a*b" is not a glob. */
static int add_tree(git_repository *repo, git_index *index, const char *root, const char *path)
{
	char *full = s2e_path_join(root, path);
	struct stat st;
	struct dirent *de;
	DIR *dir;
	int ignored, rc = 0;

	if (!full)
		return -1;
	if (lstat(full, &st)) {
		free(full);
		return 0;
	}
	if (git_ignore_path_is_ignored(&ignored, repo, path) < 0) {
		free(full);
		return git_fail("cannot read .gitignore");
	}
	if (S_ISREG(st.st_mode)) {
		if (!ignored && git_index_add_bypath(index, path) < 0)
			rc = git_fail("cannot add to the history index");
		free(full);
		return rc;
	}
	dir = S_ISDIR(st.st_mode) ? opendir(full) : NULL;
	free(full);
	if (!dir)
		return 0;
	while (rc == 0 && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = s2e_path_join(path, de->d_name);
		rc = child ? add_tree(repo, index, root, child) : -1;
		free(child);
	}
	closedir(dir);
	return rc;
}

static int stage_path(git_repository *repo, git_index *index, const char *root, const char *path)
{
	if (remove_missing(index, root, path))
		return -1;
	return add_tree(repo, index, root, path);
}

/* git's lock files that a writer killed half-way (kill -9 during a commit)
 * leaves behind, and that would make every later commit fail.  We hold the
 * S2EDIR lock, so no other s2e command is writing; a git command the user
 * runs by hand holds such a lock for milliseconds.  A lock file that stays,
 * unchanged, for a grace period is stale and is removed. */
static int clear_stale_git_locks(const char *root)
{
	static const char *const patterns[] = {"/.git/*.lock", "/.git/refs/heads/*.lock"};
	struct timespec pause = {0, 100 * 1000 * 1000};

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		char *pattern = s2e_asprintf("%s%s", root, patterns[i]);
		glob_t found;

		if (!pattern)
			return -1;
		if (glob(pattern, GLOB_NOSORT, NULL, &found) == 0) {
			for (size_t j = 0; j < found.gl_pathc; j++) {
				const char *lock = found.gl_pathv[j];
				struct stat first, now;
				int waited;

				if (lstat(lock, &first))
					continue;
				for (waited = 0; waited < 20; waited++) {
					nanosleep(&pause, NULL);
					if (lstat(lock, &now) ||
					    now.st_mtim.tv_sec != first.st_mtim.tv_sec ||
					    now.st_mtim.tv_nsec != first.st_mtim.tv_nsec ||
					    now.st_size != first.st_size)
						break;
				}
				if (waited == 20 && unlink(lock) && errno != ENOENT) {
					s2e_error_errno("cannot remove the stale git lock %s",
							s2e_q(lock));
					globfree(&found);
					free(pattern);
					return -1;
				}
			}
			globfree(&found);
		}
		free(pattern);
	}
	return 0;
}

int s2e_history_commit(const char *root, const char *const *paths, size_t npaths,
		       const char *subject, const char *body, char oid_hex[41])
{
	git_repository *repo = NULL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_oid tree_id, commit_id, parent_id;
	char *message = NULL;
	int rc = -1;

	s2e_git_init();
	if (clear_stale_git_locks(root) || open_repo(root, &repo))
		goto out;
	if (git_repository_index(&index, repo) < 0) {
		git_fail("cannot read the history index");
		goto out;
	}
	if (stage_path(repo, index, root, ".gitignore"))
		goto out;
	for (size_t i = 0; i < npaths; i++)
		if (stage_path(repo, index, root, paths[i]))
			goto out;
	if (git_index_write(index) < 0 || git_index_write_tree(&tree_id, index) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		git_fail("cannot write the history tree");
		goto out;
	}
	if (git_reference_name_to_id(&parent_id, repo, "HEAD") == 0 &&
	    git_commit_lookup(&parent, repo, &parent_id) < 0) {
		git_fail("cannot read the history HEAD");
		goto out;
	}
	if (signature(repo, "AUTHOR", &author) < 0 ||
	    signature(repo, "COMMITTER", &committer) < 0) {
		git_fail("cannot make a commit signature");
		goto out;
	}
	message = body && *body ? s2e_asprintf("%s\n\n%s%s", subject, body,
					       body[strlen(body) - 1] == '\n' ? "" : "\n")
				: s2e_asprintf("%s\n", subject);
	if (!message)
		goto out;
	if (git_commit_create(&commit_id, repo, "HEAD", author, committer, NULL, message, tree,
			      parent ? 1 : 0, (const git_commit **)&parent) < 0) {
		git_fail("cannot write the history commit");
		goto out;
	}
	if (oid_hex)
		git_oid_tostr(oid_hex, 41, &commit_id);
	rc = 0;
out:
	free(message);
	git_signature_free(author);
	git_signature_free(committer);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(index);
	git_repository_free(repo);
	if (rc)
		s2e_error_prefix("cannot record %s%s%s in the history", "'", subject, "'");
	return rc;
}

/* The id of `path` in a commit's tree, zero when absent. */
static void id_at(git_commit *commit, const char *path, git_oid *id)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;

	memset(id, 0, sizeof(*id));
	if (git_commit_tree(&tree, commit) == 0 && git_tree_entry_bypath(&entry, tree, path) == 0)
		git_oid_cpy(id, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	git_tree_free(tree);
}

int s2e_history_last(const char *root, const char *path, char oid_hex[41])
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = 1;

	oid_hex[0] = '\0';
	s2e_git_init();
	if (git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		goto out;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push_head(walk) < 0)
		goto out;
	while (git_revwalk_next(&id, walk) == 0) {
		git_commit *commit = NULL, *parent = NULL;
		git_oid here, before;
		int differs;

		if (git_commit_lookup(&commit, repo, &id) < 0)
			break;
		if (!path) {
			git_commit_free(commit);
			git_oid_tostr(oid_hex, 41, &id);
			rc = 0;
			break;
		}
		id_at(commit, path, &here);
		memset(&before, 0, sizeof(before));
		if (git_commit_parent(&parent, commit, 0) == 0)
			id_at(parent, path, &before);
		differs = !git_oid_equal(&here, &before);
		git_commit_free(parent);
		git_commit_free(commit);
		if (differs) {
			git_oid_tostr(oid_hex, 41, &id);
			rc = 0;
			break;
		}
	}
out:
	git_revwalk_free(walk);
	git_repository_free(repo);
	return rc;
}
