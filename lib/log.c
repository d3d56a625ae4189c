#include <errno.h>
#include <git2.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/hostid.h"
#include "s2e/lab.h"
#include "s2e/log.h"
#include "s2e/quote.h"

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return s2e_error("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* The second component of "prefix/NAME/..." when path starts with prefix/. */
static char *component(const char *path, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *name, *slash;

	if (strncmp(path, prefix, plen) || path[plen] != '/')
		return NULL;
	name = path + plen + 1;
	slash = strchr(name, '/');
	if (!slash || slash == name)
		return NULL;
	return strndup(name, (size_t)(slash - name));
}

struct touched {
	struct s2e_strv vms, exps;
	int oom;
};

static int each_delta(const git_diff_delta *delta, float progress, void *payload)
{
	struct touched *t = payload;
	const char *paths[2] = {delta->old_file.path, delta->new_file.path};

	(void)progress;
	for (size_t i = 0; i < 2; i++) {
		char *vm, *exp;
		if (!paths[i])
			continue;
		if ((vm = component(paths[i], "vm"))) {
			if (!s2e_strv_has(&t->vms, vm) && s2e_strv_add_dup(&t->vms, vm))
				t->oom = 1;
			free(vm);
		}
		if ((exp = component(paths[i], S2E_EXPERIMENTS_DIR))) {
			if (!s2e_strv_has(&t->exps, exp) && s2e_strv_add_dup(&t->exps, exp))
				t->oom = 1;
			free(exp);
		}
	}
	return t->oom ? -1 : 0;
}

/* The record of experiment `name` in `tree`; an empty record (name only)
 * when the commit removed it. */
static int read_record(git_repository *repo, git_tree *tree, const char *name,
		       struct s2e_experiment *exp)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *path = s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s/" S2E_EXPERIMENT_RECORD, name), *text;
	int rc = -1;

	if (!path)
		return -1;
	if (git_tree_entry_bypath(&entry, tree, path) < 0 ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		s2e_experiment_init(exp);
		exp->name = s2e_strdup(name);
		rc = exp->name ? 0 : -1;
		goto out;
	}
	text = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	if (!text) {
		s2e_error("out of memory");
		goto out;
	}
	rc = s2e_experiment_parse(text, exp);
	free(text);
	if (rc == 0 && !exp->name)
		exp->name = s2e_strdup(name);
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	free(path);
	return rc;
}

static void entry_free(struct s2e_log_entry *e)
{
	free(e->subject);
	free(e->body);
	s2e_strv_clear_owned(&e->vms);
	for (size_t i = 0; i < e->nexperiments; i++)
		s2e_experiment_free(&e->experiments[i]);
	free(e->experiments);
	memset(e, 0, sizeof(*e));
}

static int describe(git_repository *repo, git_commit *commit, struct s2e_log_entry *e)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	struct touched t = {0};
	const git_signature *author = git_commit_author(commit);
	const char *msg = git_commit_message(commit), *nl;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	git_oid_tostr(e->oid, sizeof(e->oid), git_commit_id(commit));
	e->author = author->name;
	e->email = author->email;
	e->time = author->when.time;
	e->tz_offset = author->when.offset;
	nl = strchr(msg, '\n');
	e->subject = nl ? strndup(msg, (size_t)(nl - msg)) : strdup(msg);
	if (nl)
		while (*nl == '\n')
			nl++;
	e->body = strdup(nl ? nl : "");
	if (!e->subject || !e->body) {
		s2e_error("out of memory");
		goto out;
	}
	for (size_t len = strlen(e->body); len && e->body[len - 1] == '\n';)
		e->body[--len] = '\0';

	if (git_commit_tree(&tree, commit) < 0 ||
	    (git_commit_parentcount(commit) > 0 &&
	     (git_commit_parent(&parent, commit, 0) < 0 || git_commit_tree(&ptree, parent) < 0)) ||
	    git_diff_tree_to_tree(&diff, repo, ptree, tree, NULL) < 0) {
		git_fail("cannot read the history");
		goto out;
	}
	if (git_diff_foreach(diff, each_delta, NULL, NULL, NULL, &t) < 0 && t.oom) {
		s2e_error("out of memory");
		goto out;
	}
	e->vms = t.vms;
	memset(&t.vms, 0, sizeof(t.vms));
	if (t.exps.n) {
		e->experiments = calloc(t.exps.n, sizeof(*e->experiments));
		if (!e->experiments) {
			s2e_error("out of memory");
			goto out;
		}
		for (size_t i = 0; i < t.exps.n; i++) {
			if (read_record(repo, tree, t.exps.v[i], &e->experiments[i]))
				goto out;
			e->nexperiments++;
		}
	}
	rc = 0;
out:
	s2e_strv_clear_owned(&t.vms);
	s2e_strv_clear_owned(&t.exps);
	git_diff_free(diff);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	if (rc)
		entry_free(e);
	return rc;
}

/* Does a line of the body say "KEY: name"?  The keys with which commits
 * name the VM they are about or made from (a clone's source). */
static int body_names(const char *body, const char *name)
{
	static const char *const keys[] = {"VM: ", "Cloned from: "};
	size_t nlen = strlen(name);

	for (const char *p = body; *p;) {
		size_t len = strcspn(p, "\n");
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t klen = strlen(keys[k]);
			if (len == klen + nlen && !strncmp(p, keys[k], klen) &&
			    !memcmp(p + klen, name, nlen))
				return 1;
		}
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

static int matches(const struct s2e_log_entry *e, const struct s2e_log_filter *f)
{
	if (f->experiments && !e->nexperiments)
		return 0;
	if (!f->vm)
		return 1;
	if (!f->experiments && (s2e_strv_has(&e->vms, f->vm) || body_names(e->body, f->vm)))
		return 1;
	for (size_t i = 0; i < e->nexperiments; i++)
		if (e->experiments[i].vm && !strcmp(e->experiments[i].vm, f->vm))
			return 1;
	return 0;
}

/* An experiment's key in the walk: HOSTID/NAME when the commit names its
 * host (the Host trailer, s2e/hostid.h), so that two hosts' experiments of
 * one name stay apart in `s2e log --all`; else NAME.  malloc'd, or NULL. */
static char *exp_key(const struct s2e_log_entry *e, const char *name)
{
	struct s2e_host h;

	if (s2e_host_parse(e->body ? e->body : "", &h) == 0)
		return s2e_asprintf("%s/%s", h.id, name);
	s2e_error_clear();
	return s2e_strdup(name);
}

/* Remove key from seen; whether it was there. */
static int seen_take(struct s2e_strv *seen, const char *key)
{
	for (size_t j = 0; j < seen->n; j++)
		if (!strcmp(seen->v[j], key)) {
			free((char *)seen->v[j]);
			seen->v[j] = seen->v[--seen->n];
			seen->v[seen->n] = NULL;
			return 1;
		}
	return 0;
}

/* A run writes two commits, the start and the record of its end: the walk
 * (newest first) shows the record and skips a commit that changes only
 * records already shown.  seen: the experiments shown whose start commit
 * has not been passed yet (a skipped start leaves it, so seen stays small). */
static int shown_before(const struct s2e_log_entry *e, struct s2e_strv *seen)
{
	size_t found = 0;

	if (e->vms.n || !e->nexperiments)
		return 0;
	for (size_t i = 0; i < e->nexperiments; i++) {
		char *key = e->experiments[i].name ? exp_key(e, e->experiments[i].name) : NULL;
		found += key && s2e_strv_has(seen, key);
		free(key);
	}
	if (found < e->nexperiments)
		return 0;
	for (size_t i = 0; i < e->nexperiments; i++) {
		char *key = exp_key(e, e->experiments[i].name);
		if (key)
			seen_take(seen, key);
		free(key);
	}
	return 1;
}

static int note_shown(const struct s2e_log_entry *e, struct s2e_strv *seen)
{
	for (size_t i = 0; i < e->nexperiments; i++) {
		char *key = e->experiments[i].name ? exp_key(e, e->experiments[i].name) : NULL;
		int rc = e->experiments[i].name && !key ? -1 : 0;

		if (key && !s2e_strv_has(seen, key))
			rc = s2e_strv_add_dup(seen, key);
		free(key);
		if (rc)
			return -1;
	}
	return 0;
}

/* 0: opened; 1: there is no history yet (no S2EDIR/.git); -1: there is one
 * that cannot be opened (permissions, ownership, damage), error set. */
static int open_history(const char *root, git_repository **repo)
{
	char *dotgit, *what;
	struct stat st;
	int err = git_repository_open_ext(repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL), absent;

	if (err == 0)
		return 0;
	dotgit = s2e_path_join(root, ".git");
	if (!dotgit)
		return -1;
	absent = lstat(dotgit, &st) && errno == ENOENT;
	if (err == GIT_ENOTFOUND && absent) {
		free(dotgit);
		return 1;
	}
	what = s2e_asprintf("cannot open the history repository %s", s2e_q(dotgit));
	/* libgit2 says "could not find repository" of one it may not read, and
	 * its message for a repository of another user may name only the
	 * config lookup it failed on: say what it is. */
	if (access(dotgit, R_OK | X_OK) && errno == EACCES)
		s2e_error("%s: %s", what ? what : "cannot open the history repository",
			  strerror(EACCES));
	else if (err == GIT_EOWNER || (stat(root, &st) == 0 && st.st_uid != geteuid()))
		s2e_error("%s: not owned by the current user (git's safe.directory rule: 'git "
			  "config --global --add safe.directory %s' trusts it)",
			  what ? what : "cannot open the history repository", root);
	else
		git_fail(what ? what : "cannot open the history repository");
	free(what);
	free(dotgit);
	return -1;
}

/* Where a walk is. */
struct walk {
	const struct s2e_log_filter *filter;
	size_t shown;
	struct s2e_strv seen; /* experiments shown (owned) */
	s2e_log_fn fn;
	void *ctx;
};

/* One commit of a walk: described, filtered, shown. */
static int visit(git_repository *repo, const git_oid *id, struct walk *w)
{
	git_commit *commit;
	struct s2e_log_entry e;
	int rc;

	if (git_commit_lookup(&commit, repo, id) < 0)
		return git_fail("cannot walk the history");
	rc = describe(repo, commit, &e);
	if (rc == 0) {
		if (matches(&e, w->filter) && !shown_before(&e, &w->seen)) {
			w->shown++;
			rc = note_shown(&e, &w->seen);
			if (!rc)
				rc = w->fn(&e, w->ctx);
		}
		entry_free(&e);
	}
	git_commit_free(commit);
	return rc;
}

/* filter->all: every host's commits, in s2e_lab_commits()'s order. */
static int walk_all(const char *root, git_repository *repo, struct walk *w)
{
	s2e_oid_hex *oids;
	size_t n;
	int rc = s2e_lab_commits(root, &oids, &n);

	for (size_t i = 0; rc == 0 && i < n && (!w->filter->max || w->shown < w->filter->max);
	     i++) {
		git_oid id;
		rc = git_oid_fromstr(&id, oids[i]) < 0 ? git_fail("cannot walk the history")
						       : visit(repo, &id, w);
	}
	if (rc >= 0)
		free(oids);
	return rc;
}

int s2e_log_walk(const char *root, const struct s2e_log_filter *filter, s2e_log_fn fn, void *ctx)
{
	static const struct s2e_log_filter none = {0};
	struct walk w = {.filter = filter ? filter : &none, .fn = fn, .ctx = ctx};
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = -1, err;

	s2e_git_init();
	err = open_history(root, &repo);
	if (err) {
		rc = err > 0 ? 1 : -1;
		goto out;
	}
	if (w.filter->all) {
		rc = walk_all(root, repo, &w);
		goto out;
	}
	if (git_repository_head_unborn(repo) == 1) {
		rc = 1;
		goto out;
	}
	if (git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
	    git_revwalk_push_head(walk) < 0) {
		git_fail("cannot walk the history");
		goto out;
	}
	rc = 0;
	while (rc == 0 && (!w.filter->max || w.shown < w.filter->max)) {
		err = git_revwalk_next(&id, walk);
		if (err == GIT_ITEROVER)
			break;
		rc = err < 0 ? git_fail("cannot walk the history") : visit(repo, &id, &w);
	}
out:
	s2e_strv_clear_owned(&w.seen);
	git_revwalk_free(walk);
	git_repository_free(repo);
	return rc;
}

void s2e_log_date(const struct s2e_log_entry *e, char *buf, size_t len)
{
	time_t t = (time_t)(e->time + (int64_t)e->tz_offset * 60);
	struct tm tm;
	char date[32];
	int off = e->tz_offset < 0 ? -e->tz_offset : e->tz_offset;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s %c%02d%02d", date, e->tz_offset < 0 ? '-' : '+', off / 60, off % 60);
}

/* ---- s2e_log_walk_follow: a VM followed back through its renames ---- */

struct follow {
	struct s2e_log_filter want; /* want.vm: the name the VM had then */
	char *name;		    /* owns want.vm once a rename is followed */
	size_t shown;
	int stopped; /* want.max reached */
	s2e_log_fn fn;
	void *ctx;
};

/* Is e the commit of `s2e vm rename OLD f->want.vm`?  It touched both VMs
 * and says so in the porcelain's words.  Then older commits are about OLD. */
static int follow_rename(const struct s2e_log_entry *e, struct follow *f)
{
	const char *now = f->want.vm, *old;
	char *subject;
	int is;

	if (e->vms.n != 2 || strncmp(e->subject, "vm rename ", 10))
		return 0;
	old = !strcmp(e->vms.v[0], now) ? e->vms.v[1] : e->vms.v[0];
	if (strcmp(e->vms.v[0], now) && strcmp(e->vms.v[1], now))
		return 0;
	subject = s2e_asprintf("vm rename %s %s", s2e_sq(old), s2e_sq(now));
	if (!subject)
		return -1;
	is = !strcmp(subject, e->subject);
	free(subject);
	if (!is)
		return 0;
	if (!(subject = s2e_strdup(old)))
		return -1;
	free(f->name);
	f->want.vm = f->name = subject;
	return 0;
}

static int follow_one(const struct s2e_log_entry *e, void *ctx)
{
	struct follow *f = ctx;
	int rc = 0;

	if (matches(e, &f->want)) {
		f->shown++;
		rc = f->fn(e, f->ctx);
	}
	if (!rc)
		rc = follow_rename(e, f);
	if (!rc && f->want.max && f->shown >= f->want.max) {
		f->stopped = 1;
		return 1;
	}
	return rc;
}

int s2e_log_walk_follow(const char *root, const struct s2e_log_filter *filter, s2e_log_fn fn,
			void *ctx)
{
	struct follow f = {.fn = fn, .ctx = ctx};
	struct s2e_log_filter every;
	int rc;

	if (!filter || !filter->vm)
		return s2e_log_walk(root, filter, fn, ctx);
	/* Every commit comes here, the filter applied with the name of then. */
	f.want = *filter;
	every = *filter;
	every.vm = NULL;
	every.experiments = 0;
	every.max = 0;
	rc = s2e_log_walk(root, &every, follow_one, &f);
	free(f.name);
	return f.stopped ? 0 : rc;
}
