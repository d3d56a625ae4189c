#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/repository.h>
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
#include "s2e/hostid.h"
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

/* A repository is ours when s2e made it: s2e sets s2e.history in its config
 * (and repositories made before that are known by s2e's own .gitignore).
 * Any other repository is the user's, and s2e never writes into it. */
static int is_ours(git_repository *repo, const char *root)
{
	git_config *cfg = NULL;
	char *path = s2e_path_join(root, ".gitignore"), *old = NULL;
	int ours = 0;

	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		free(path);
		return git_fail("cannot read the history repository's configuration");
	}
	if (git_config_get_bool(&ours, cfg, "s2e.history") < 0) {
		ours = path && s2e_read_file(path, &old, NULL) == 0 &&
		       !strncmp(old, "# Written by s2e.", 17);
		s2e_error_clear();
	}
	git_config_free(cfg);
	free(old);
	free(path);
	return ours;
}

static int refuse(const char *root)
{
	return s2e_error_set(S2E_EINVALID,
			     "S2EDIR %s is a git repository that s2e did not create; s2e keeps its "
			     "history in a repository of its own and never writes into yours: use "
			     "another directory (--s2edir or $S2EDIR)",
			     s2e_q(root));
}

int s2e_history_check(const char *root)
{
	git_repository *repo = NULL;
	int ours;

	s2e_git_init();
	if (git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return 0; /* none yet: s2e will make its own */
	ours = is_ours(repo, root);
	git_repository_free(repo);
	return ours < 0 ? -1 : ours ? 0 : refuse(root);
}

static int mark_ours(git_repository *repo)
{
	git_config *cfg = NULL;
	int rc;

	if (git_repository_config(&cfg, repo) < 0)
		return git_fail("cannot write the history repository's configuration");
	rc = git_config_set_bool(cfg, "s2e.history", 1);
	git_config_free(cfg);
	return rc < 0 ? git_fail("cannot mark the history repository") : 0;
}

/* s2e's .gitignore at path, unless it is there already. */
static int put_gitignore(const char *path)
{
	char *old = NULL;
	int same = s2e_read_file(path, &old, NULL) == 0 && !strcmp(old, gitignore);

	free(old);
	s2e_error_clear();
	return same ? 0 : s2e_write_file_atomic(path, gitignore, strlen(gitignore), 0644);
}

int s2e_history_init(const char *root)
{
	git_repository *repo = NULL;
	char *path = s2e_path_join(root, ".gitignore");
	int rc = -1, ours = 1;

	if (!path)
		return -1;
	s2e_git_init();
	/* A new repository gets s2e's .gitignore first: a command that looks
	 * at it while it is being made (s2e_history_check(), which runs before
	 * the lock is taken) and finds no s2e.history yet knows it by that. */
	if (git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		ours = is_ours(repo, root);
	else if (put_gitignore(path))
		ours = -1;
	else if (git_repository_init(&repo, root, 0) < 0)
		ours = git_fail("cannot create the history repository");
	if (ours <= 0 || mark_ours(repo)) {
		if (ours == 0)
			refuse(root);
		goto out;
	}
	rc = put_gitignore(path);
out:
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

/* Git's lock files.  The history is written the way git writes it: a new
 * index and a new branch ref are each made as "NAME.lock" next to NAME, then
 * renamed over it; a git process that finds NAME.lock stays away.  We never
 * remove a lock file we cannot prove is ours: each lock we take is first
 * written under S2EDIR/.s2e/git-locks/ and then hard-linked into .git with
 * link(2), which fails if the lock exists.  A lock in .git that is the same
 * file (device and inode) as our private copy was made by an s2e command;
 * since we hold the S2EDIR lock that command held, it died during its commit,
 * and the lock is removed.  Any other lock belongs to a git process we do not
 * know, and the commit fails with S2E_ELOCKED. */
#define OWN_LOCKS ".s2e/git-locks"

struct git_lock {
	char *own;  /* S2EDIR/.s2e/git-locks/NAME */
	char *lock; /* S2EDIR/.git/TARGET.lock */
	char *target;
	int held;
};

static int git_lock_init(struct git_lock *l, const char *root, const char *own, const char *target)
{
	l->held = 0;
	l->own = s2e_asprintf("%s/" OWN_LOCKS "/%s", root, own);
	l->target = s2e_asprintf("%s/.git/%s", root, target);
	l->lock = s2e_asprintf("%s/.git/%s.lock", root, target);
	return l->own && l->target && l->lock ? 0 : -1;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !lstat(a, &sa) && !lstat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Release a lock we hold (or left from a dead s2e command): remove the lock
 * in .git only when it is our file, then our private copy. */
static void git_lock_release(struct git_lock *l)
{
	if (l->own && l->lock && same_file(l->own, l->lock))
		unlink(l->lock);
	if (l->own)
		unlink(l->own);
	l->held = 0;
}

static void git_lock_free(struct git_lock *l)
{
	if (l->held)
		git_lock_release(l);
	free(l->own);
	free(l->lock);
	free(l->target);
	memset(l, 0, sizeof(*l));
}

static int git_locked(const char *lock)
{
	return s2e_error_set(S2E_ELOCKED,
			     "the history is locked by another git process: %s exists (if no "
			     "git command is running in S2EDIR, remove it)",
			     s2e_q(lock));
}

/* Take the lock: data (if not NULL) is written to our private copy first,
 * which then appears in .git as the lock file, atomically, or not at all. */
static int git_lock_take(struct git_lock *l, const char *data)
{
	if (data) {
		int fd = open(l->own, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		size_t len = strlen(data);
		if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd)) {
			int rc = s2e_error_errno("cannot write %s", s2e_q(l->own));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		close(fd);
	}
	if (link(l->own, l->lock)) {
		if (errno == EEXIST)
			return git_locked(l->lock);
		return s2e_error_errno("cannot create %s", s2e_q(l->lock));
	}
	l->held = 1;
	return 0;
}

/* The lock becomes the file it locks. */
static int git_lock_commit(struct git_lock *l)
{
	if (rename(l->lock, l->target))
		return s2e_error_errno("cannot update %s", s2e_q(l->target));
	unlink(l->own);
	l->held = 0;
	return 0;
}

/* The branch HEAD points at ("refs/heads/main"), or "HEAD" when detached. */
static char *head_refname(git_repository *repo)
{
	git_reference *head = NULL;
	char *name;

	if (git_reference_lookup(&head, repo, "HEAD") < 0) {
		git_fail("cannot read the history HEAD");
		return NULL;
	}
	name = s2e_strdup(git_reference_type(head) == GIT_REFERENCE_SYMBOLIC
			      ? git_reference_symbolic_target(head)
			      : "HEAD");
	git_reference_free(head);
	return name;
}

/* Remove the locks a dead s2e command left (provably ours), then refuse
 * if a lock of someone else is there. */
static int check_git_locks(struct git_lock *index, struct git_lock *ref)
{
	struct git_lock *locks[] = {index, ref};

	for (size_t i = 0; i < 2; i++) {
		struct stat st;
		git_lock_release(locks[i]);
		if (lstat(locks[i]->lock, &st) == 0)
			return git_locked(locks[i]->lock);
	}
	return 0;
}

static int stage_all(git_repository *repo, git_index *index, const char *root,
		     const char *const *paths, size_t npaths)
{
	if (stage_path(repo, index, root, ".gitignore"))
		return -1;
	for (size_t i = 0; i < npaths; i++)
		if (stage_path(repo, index, root, paths[i]))
			return -1;
	return 0;
}

/* Our own index, private until it replaces .git/index: HEAD's tree plus the
 * current state of `paths`, written to .s2e/git-locks/index; its tree is
 * written to the object database. */
static int build_index(git_repository *repo, const char *root, const struct git_lock *l,
		       const git_commit *parent, const char *const *paths, size_t npaths,
		       git_oid *tree_id)
{
	git_index *index = NULL;
	git_tree *head_tree = NULL;
	char *dir = s2e_path_join(root, OWN_LOCKS);
	int rc = -1;

	if (!dir || s2e_mkdir_p(dir, 0777))
		goto out;
	{
		/* what a command that died while writing it left */
		char *tmp = s2e_asprintf("%s.lock", l->own);
		if (!tmp)
			goto out;
		unlink(tmp);
		free(tmp);
	}
	unlink(l->own);
	if (git_index_open(&index, l->own) < 0 || git_repository_set_index(repo, index) < 0) {
		git_fail("cannot make the history index");
		goto out;
	}
	if (parent && (git_commit_tree(&head_tree, parent) < 0 ||
		       git_index_read_tree(index, head_tree) < 0)) {
		git_fail("cannot read the history HEAD");
		goto out;
	}
	if (stage_all(repo, index, root, paths, npaths))
		goto out;
	if (git_index_write(index) < 0 || git_index_write_tree(tree_id, index) < 0) {
		git_fail("cannot write the history tree");
		goto out;
	}
	rc = 0;
out:
	git_tree_free(head_tree);
	git_index_free(index);
	free(dir);
	return rc;
}

static int make_commit(git_repository *repo, const git_oid *tree_id, git_commit *parent,
		       const char *subject, const char *body, git_oid *commit_id,
		       git_signature **committer_out)
{
	git_signature *author = NULL, *committer = NULL;
	git_tree *tree = NULL;
	char *message;
	int rc = -1;

	message = body && *body ? s2e_asprintf("%s\n\n%s%s", subject, body,
					       body[strlen(body) - 1] == '\n' ? "" : "\n")
				: s2e_asprintf("%s\n", subject);
	if (!message)
		return -1;
	if (git_tree_lookup(&tree, repo, tree_id) < 0) {
		git_fail("cannot read the history tree");
		goto out;
	}
	if (signature(repo, "AUTHOR", &author) < 0 ||
	    signature(repo, "COMMITTER", &committer) < 0) {
		git_fail("cannot make a commit signature");
		goto out;
	}
	if (git_commit_create(commit_id, repo, NULL, author, committer, NULL, message, tree,
			      parent ? 1 : 0, (const git_commit **)&parent) < 0) {
		git_fail("cannot write the history commit");
		goto out;
	}
	rc = 0;
	*committer_out = committer;
	committer = NULL;
out:
	free(message);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(tree);
	return rc;
}

/* One line in .git/logs/REF, appended as git appends it (no lock); best
 * effort, as a reflog is a convenience, not the history. */
static void reflog_append(const char *root, const char *refname, const git_oid *old,
			  const git_oid *new, const git_signature *who, const char *subject)
{
	char *path = s2e_asprintf("%s/.git/logs/%s", root, refname), *dir, *slash;
	char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	int off = who->when.offset, fd;
	FILE *out;

	if (!path)
		return;
	dir = s2e_strdup(path);
	if (dir && (slash = strrchr(dir, '/'))) {
		*slash = '\0';
		s2e_mkdir_p(dir, 0777);
	}
	free(dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	free(path);
	if (fd < 0 || !(out = fdopen(fd, "a"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	memset(old_hex, '0', GIT_OID_HEXSZ);
	old_hex[GIT_OID_HEXSZ] = '\0';
	if (old)
		git_oid_tostr(old_hex, sizeof(old_hex), old);
	git_oid_tostr(new_hex, sizeof(new_hex), new);
	fprintf(out, "%s %s %s <%s> %lld %c%02d%02d\tcommit%s: %s\n", old_hex, new_hex, who->name,
		who->email, (long long)who->when.time, off < 0 ? '-' : '+', abs(off) / 60,
		abs(off) % 60, old ? "" : " (initial)", subject);
	fclose(out);
}

/* Move the branch from `parent` to `commit` and install the new index, both
 * under their git locks.  The branch must not have moved meanwhile. */
static int publish(git_repository *repo, const char *refname, struct git_lock *index,
		   struct git_lock *ref, const git_oid *parent, const git_oid *commit)
{
	char hex[GIT_OID_HEXSZ + 2];
	git_oid now;
	int moved;

	git_oid_tostr(hex, sizeof(hex), commit);
	strcat(hex, "\n");
	if (git_lock_take(index, NULL) || git_lock_take(ref, hex))
		return -1;
	moved = git_reference_name_to_id(&now, repo, refname) == 0
		    ? !parent || !git_oid_equal(&now, parent)
		    : parent != NULL;
	if (moved)
		return s2e_error_set(S2E_ELOCKED, "the history changed while s2e was committing");
	if (s2e_fault("history-publish"))
		return -1;
	if (git_lock_commit(ref))
		return -1;
	return git_lock_commit(index);
}

static int commit_in(git_repository *repo, const char *root, const char *const *paths,
		     size_t npaths, const char *subject, const char *body, char oid_hex[41])
{
	struct git_lock index = {0}, ref = {0};
	git_commit *parent = NULL;
	git_signature *committer = NULL;
	git_oid tree_id, commit_id, parent_id;
	char *refname = head_refname(repo), *ref_target = NULL;
	int rc = -1, has_parent;

	if (!refname)
		return -1;
	ref_target = s2e_strdup(refname);
	if (!ref_target || git_lock_init(&index, root, "index", "index") ||
	    git_lock_init(&ref, root, "ref", ref_target) || check_git_locks(&index, &ref))
		goto out;
	has_parent = git_reference_name_to_id(&parent_id, repo, refname) == 0;
	if (has_parent && git_commit_lookup(&parent, repo, &parent_id) < 0) {
		git_fail("cannot read the history HEAD");
		goto out;
	}
	if (build_index(repo, root, &index, parent, paths, npaths, &tree_id) ||
	    make_commit(repo, &tree_id, parent, subject, body, &commit_id, &committer) ||
	    publish(repo, refname, &index, &ref, has_parent ? &parent_id : NULL, &commit_id))
		goto out;
	reflog_append(root, refname, has_parent ? &parent_id : NULL, &commit_id, committer, subject);
	if (strcmp(refname, "HEAD"))
		reflog_append(root, "HEAD", has_parent ? &parent_id : NULL, &commit_id, committer,
			      subject);
	if (oid_hex)
		git_oid_tostr(oid_hex, 41, &commit_id);
	rc = 0;
out:
	git_lock_free(&index);
	git_lock_free(&ref);
	git_commit_free(parent);
	git_signature_free(committer);
	free(refname);
	free(ref_target);
	return rc;
}

int s2e_history_check_locks(const char *root)
{
	struct git_lock index = {0}, ref = {0};
	git_repository *repo = NULL;
	char *refname = NULL;
	int rc = -1;

	s2e_git_init();
	if (open_repo(root, &repo) || !(refname = head_refname(repo)))
		goto out;
	if (git_lock_init(&index, root, "index", "index") ||
	    git_lock_init(&ref, root, "ref", refname))
		goto out;
	rc = check_git_locks(&index, &ref);
out:
	git_lock_free(&index);
	git_lock_free(&ref);
	free(refname);
	git_repository_free(repo);
	return rc;
}

int s2e_history_commit(const char *root, const char *const *paths, size_t npaths,
		       const char *subject, const char *body, char oid_hex[41])
{
	git_repository *repo = NULL;
	char *signed_body = NULL;
	int rc;

	s2e_git_init();
	rc = open_repo(root, &repo);
	/* Every commit names the host, S2EDIR and user it was made by. */
	if (rc == 0 && !(signed_body = s2e_host_body(root, body)))
		rc = -1;
	if (rc == 0)
		rc = commit_in(repo, root, paths, npaths, subject, signed_body, oid_hex);
	free(signed_body);
	git_repository_free(repo);
	if (rc)
		s2e_error_prefix("cannot record %s%s%s in the history", "'", subject, "'");
	return rc;
}

int s2e_history_path_check(const char *path)
{
	git_index *index = NULL;
	git_index_entry entry;
	int rc = 0;

	s2e_git_init();
	memset(&entry, 0, sizeof(entry));
	entry.path = path;
	entry.mode = GIT_FILEMODE_BLOB;
	/* the empty blob: nothing is written anywhere */
	git_oid_fromstr(&entry.id, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	if (git_index_new(&index) < 0)
		return git_fail("cannot check a path for git");
	if (git_index_add(index, &entry) < 0) {
		const git_error *e = git_error_last();
		rc = s2e_error_set(S2E_EINVALID, "git refuses the path %s (%s)", s2e_q(path),
				   e && e->message ? e->message : "invalid path");
	}
	git_index_free(index);
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
	int rc = 1, err;

	oid_hex[0] = '\0';
	s2e_git_init();
	if (open_repo(root, &repo) || git_revwalk_new(&walk, repo) < 0) {
		rc = walk ? -1 : git_fail("cannot read the history");
		goto out;
	}
	if (git_repository_head_unborn(repo) == 1)
		goto out; /* no commit yet (libgit2 1.5 gives push_head a plain error) */
	err = git_revwalk_push_head(walk);
	if (err == GIT_EUNBORNBRANCH || err == GIT_ENOTFOUND)
		goto out; /* no commit yet */
	if (err < 0) {
		rc = git_fail("cannot read the history HEAD");
		goto out;
	}
	while ((err = git_revwalk_next(&id, walk)) == 0) {
		git_commit *commit = NULL, *parent = NULL;
		git_oid here, before;
		int differs;

		if (git_commit_lookup(&commit, repo, &id) < 0) {
			rc = git_fail("cannot read the history");
			goto out;
		}
		memset(&here, 0, sizeof(here));
		memset(&before, 0, sizeof(before));
		if (path) {
			id_at(commit, path, &here);
			if (git_commit_parent(&parent, commit, 0) == 0)
				id_at(parent, path, &before);
		}
		differs = !path || !git_oid_equal(&here, &before);
		git_commit_free(parent);
		git_commit_free(commit);
		if (differs) {
			git_oid_tostr(oid_hex, 41, &id);
			rc = 0;
			goto out;
		}
	}
	if (err != GIT_ITEROVER)
		rc = git_fail("cannot read the history");
out:
	git_revwalk_free(walk);
	git_repository_free(repo);
	return rc;
}
