#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/lab.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/remote.h"

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return s2e_error("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

int s2e_lab_key_parse(const char *key, char hostid[S2E_HOSTID_MAX + 1], const char **exp)
{
	const char *slash = strchr(key, '/');
	size_t len = slash ? (size_t)(slash - key) : 0;

	if (!slash || !len || len > S2E_HOSTID_MAX)
		return s2e_error("%s is not HOSTID/EXPNAME", s2e_q(key));
	memcpy(hostid, key, len);
	hostid[len] = '\0';
	*exp = slash + 1;
	if (s2e_hostid_check(hostid))
		return -1;
	if (s2e_snap_name_check(*exp) || **exp == '.')
		return s2e_error("%s is not a valid experiment name", s2e_q(*exp));
	return 0;
}

/* Keep in *best the newer of *best and `id`: the one containing the other,
 * else the one with the newer commit. */
static int newer(git_repository *repo, git_oid *best, int *have, const git_oid *id)
{
	git_commit *a = NULL, *b = NULL;
	int rc = 0;

	if (!*have || git_graph_descendant_of(repo, id, best) == 1) {
		git_oid_cpy(best, id);
		*have = 1;
		return 0;
	}
	if (git_oid_equal(best, id) || git_graph_descendant_of(repo, best, id) == 1)
		return 0;
	if (git_commit_lookup(&a, repo, best) < 0 || git_commit_lookup(&b, repo, id) < 0)
		rc = git_fail("cannot read a host's history");
	else if (git_commit_time(b) > git_commit_time(a))
		git_oid_cpy(best, id);
	git_commit_free(a);
	git_commit_free(b);
	return rc;
}

/* HOSTID of "refs/s2e/remotes/REMOTE/hosts/HOSTID" (REMOTE without '/'), else NULL. */
static const char *ref_host(const char *name)
{
	size_t plen = strlen(S2E_REMOTES_REFS);
	const char *slash;

	if (strncmp(name, S2E_REMOTES_REFS, plen) || !(slash = strchr(name + plen, '/')) ||
	    strncmp(slash, "/hosts/", 7) || strchr(slash + 7, '/'))
		return NULL;
	return slash + 7;
}

/* The tip of hostid in repo: HEAD for our own id, else the remotes' refs. */
static int host_tip(git_repository *repo, const char *root, const char *hostid, git_oid *tip)
{
	char own[S2E_HOSTID_MAX + 1];
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int have = 0, err, rc = 0;

	if (s2e_hostid_get(root, 0, own) < 0)
		return -1;
	if (!strcmp(own, hostid) && git_reference_name_to_id(tip, repo, "HEAD") == 0)
		return 0;
	if (git_reference_iterator_glob_new(&it, repo, S2E_LAB_HOSTS_GLOB) < 0)
		return git_fail("cannot list the hosts' histories");
	while (rc == 0 && (err = git_reference_next(&ref, it)) == 0) {
		const char *id = ref_host(git_reference_name(ref));
		if (id && !strcmp(id, hostid) && git_reference_target(ref))
			rc = newer(repo, tip, &have, git_reference_target(ref));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (rc == 0 && err != GIT_ITEROVER)
		rc = git_fail("cannot list the hosts' histories");
	return rc ? rc : have ? 0 : 1;
}

/* The history repository and the newest commit host `hostid` has there;
 * *repo is set (to free) whenever the repository could be opened. */
static int open_host_tip(const char *root, const char *hostid, git_repository **repo,
			 git_oid *tip)
{
	if (s2e_hostid_check(hostid))
		return -1;
	s2e_git_init();
	if (git_repository_open_ext(repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return git_fail("cannot open the history repository");
	return host_tip(*repo, root, hostid, tip);
}

int s2e_lab_host_tip(const char *root, const char *hostid, char oid[41])
{
	git_repository *repo = NULL;
	git_oid tip;
	int rc;

	oid[0] = '\0';
	rc = open_host_tip(root, hostid, &repo, &tip);
	if (rc == 0)
		git_oid_tostr(oid, 41, &tip);
	git_repository_free(repo);
	return rc;
}

/* The blob at path in commit tip; 1 when absent. */
static int read_at(git_repository *repo, const git_oid *tip, const char *path, char **text,
		   size_t *len)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc = 1;

	if (git_commit_lookup(&commit, repo, tip) < 0 || git_commit_tree(&tree, commit) < 0) {
		rc = git_fail("cannot read a host's history");
		goto out;
	}
	if (git_tree_entry_bypath(&entry, tree, path) < 0 ||
	    git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		goto out;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		rc = git_fail("cannot read a host's history");
		goto out;
	}
	*text = malloc((size_t)git_blob_rawsize(blob) + 1);
	if (!*text) {
		rc = s2e_error("out of memory");
		goto out;
	}
	memcpy(*text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	(*text)[git_blob_rawsize(blob)] = '\0';
	if (len)
		*len = (size_t)git_blob_rawsize(blob);
	rc = 0;
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int s2e_lab_read(const char *root, const char *hostid, const char *path, char **text,
		 size_t *len)
{
	git_repository *repo = NULL;
	git_oid tip;
	int rc;

	*text = NULL;
	rc = open_host_tip(root, hostid, &repo, &tip);
	if (rc == 0)
		rc = read_at(repo, &tip, path, text, len);
	git_repository_free(repo);
	return rc;
}

int s2e_lab_record(const char *root, const char *key, char **record, char **config)
{
	char hostid[S2E_HOSTID_MAX + 1], tip[41], *path;
	const char *exp;
	int rc;

	*record = NULL;
	if (config)
		*config = NULL;
	if (s2e_lab_key_parse(key, hostid, &exp))
		return -1;
	rc = s2e_lab_host_tip(root, hostid, tip);
	if (rc == 1)
		s2e_error("no host %s is known here (see 's2e history pull')", s2e_q(hostid));
	if (rc)
		return rc;
	path = s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s/" S2E_EXPERIMENT_RECORD, exp);
	rc = path ? s2e_lab_read(root, hostid, path, record, NULL) : -1;
	free(path);
	if (rc == 1)
		s2e_error("host %s has no experiment %s", s2e_q(hostid), s2e_q(exp));
	if (rc || !config)
		return rc;
	path = s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s/" S2E_EXPERIMENT_CONFIG, exp);
	rc = path ? s2e_lab_read(root, hostid, path, config, NULL) : -1;
	free(path);
	if (rc < 0) {
		free(*record);
		*record = NULL;
		return -1;
	}
	return 0;
}

struct dated {
	int64_t time;
	s2e_oid_hex oid;
	git_oid parents[2]; /* s2e commits have one; a merge made by hand two */
	size_t nparents;
	size_t children; /* not yet listed */
};

/* Which of two commits is listed first: newer, then the smaller id. */
static int before(const struct dated *x, const struct dated *y)
{
	return x->time != y->time ? x->time > y->time : strcmp(x->oid, y->oid) < 0;
}

static int by_oid(const void *a, const void *b)
{
	return strcmp(((const struct dated *)a)->oid, ((const struct dated *)b)->oid);
}

/* Every commit reachable from the walk, with its author time and parents. */
static int collect(git_repository *repo, git_revwalk *walk, struct dated **v, size_t *n)
{
	size_t cap = 0;
	git_oid id;
	int err;

	while ((err = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c;
		struct dated *d;
		if (*n == cap) {
			struct dated *grown = realloc(*v, (cap = cap ? cap * 2 : 256) * sizeof(**v));
			if (!grown)
				return s2e_error("out of memory");
			*v = grown;
		}
		if (git_commit_lookup(&c, repo, &id) < 0)
			return git_fail("cannot read the hosts' histories");
		d = &(*v)[(*n)++];
		memset(d, 0, sizeof(*d));
		d->time = git_commit_author(c)->when.time;
		git_oid_tostr(d->oid, sizeof(d->oid), &id);
		for (unsigned i = 0; i < git_commit_parentcount(c) && i < 2; i++)
			git_oid_cpy(&d->parents[d->nparents++], git_commit_parent_id(c, i));
		git_commit_free(c);
	}
	return err == GIT_ITEROVER ? 0 : git_fail("cannot walk the hosts' histories");
}

/* A binary heap of indices into v, the first to list on top. */
static void sift(const struct dated *v, size_t *heap, size_t n, size_t i)
{
	for (;;) {
		size_t best = i, l = 2 * i + 1, r = l + 1, t;
		if (l < n && before(&v[heap[l]], &v[heap[best]]))
			best = l;
		if (r < n && before(&v[heap[r]], &v[heap[best]]))
			best = r;
		if (best == i)
			return;
		t = heap[i];
		heap[i] = heap[best];
		heap[best] = t;
		i = best;
	}
}

static void push(const struct dated *v, size_t *heap, size_t *n, size_t x)
{
	size_t i = (*n)++;

	heap[i] = x;
	while (i && before(&v[heap[i]], &v[heap[(i - 1) / 2]])) {
		size_t p = (i - 1) / 2, t = heap[p];
		heap[p] = heap[i];
		heap[i] = t;
		i = p;
	}
}

static struct dated *find(struct dated *v, size_t n, const git_oid *id)
{
	struct dated key;

	git_oid_tostr(key.oid, sizeof(key.oid), id);
	return bsearch(&key, v, n, sizeof(*v), by_oid);
}

/* Newest first, a commit never before one of its children (so a run's
 * outcome comes before its start even within one second), ties by id:
 * the same order on every host that has the same commits. */
static int order(struct dated *v, size_t n, s2e_oid_hex *out)
{
	size_t *heap = malloc((n + 1) * sizeof(*heap)), nheap = 0, k = 0;

	if (!heap)
		return s2e_error("out of memory");
	qsort(v, n, sizeof(*v), by_oid);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].nparents; j++) {
			struct dated *p = find(v, n, &v[i].parents[j]);
			if (p)
				p->children++;
		}
	for (size_t i = 0; i < n; i++)
		if (!v[i].children)
			push(v, heap, &nheap, i);
	while (nheap) {
		size_t top = heap[0];
		heap[0] = heap[--nheap];
		sift(v, heap, nheap, 0);
		memcpy(out[k++], v[top].oid, sizeof(v[top].oid));
		for (size_t j = 0; j < v[top].nparents; j++) {
			struct dated *p = find(v, n, &v[top].parents[j]);
			if (p && --p->children == 0)
				push(v, heap, &nheap, (size_t)(p - v));
		}
	}
	free(heap);
	return k == n ? 0 : s2e_error("the hosts' histories hold a cycle");
}

/* Push every refs/s2e/remotes/REMOTE/hosts/HOSTID (well-formed ones only). */
static int push_hosts(git_repository *repo, git_revwalk *walk)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int err, rc = 0;

	if (git_reference_iterator_glob_new(&it, repo, S2E_LAB_HOSTS_GLOB) < 0)
		return git_fail("cannot list the hosts' histories");
	while (rc == 0 && (err = git_reference_next(&ref, it)) == 0) {
		const char *id = ref_host(git_reference_name(ref));
		if (!id || s2e_hostid_check(id)) /* not a host's: skipped */
			s2e_error_clear();
		else if (git_reference_target(ref) &&
			 git_revwalk_push(walk, git_reference_target(ref)) < 0)
			rc = git_fail("cannot walk the hosts' histories");
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (rc == 0 && err != GIT_ITEROVER)
		rc = git_fail("cannot list the hosts' histories");
	return rc;
}

int s2e_lab_commits(const char *root, s2e_oid_hex **oids, size_t *n)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	struct dated *v = NULL;
	size_t count = 0;
	int rc = -1, err;

	*oids = NULL;
	*n = 0;
	s2e_git_init();
	err = git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (err == GIT_ENOTFOUND)
		return 1;
	if (err < 0)
		return git_fail("cannot open the history repository");
	if (git_revwalk_new(&walk, repo) < 0 ||
	    (git_repository_head_unborn(repo) == 0 && git_revwalk_push_head(walk) < 0)) {
		git_fail("cannot walk the hosts' histories");
		goto out;
	}
	if (push_hosts(repo, walk) || collect(repo, walk, &v, &count))
		goto out;
	if (count && !(*oids = malloc(count * sizeof(**oids)))) {
		s2e_error("out of memory");
		goto out;
	}
	if (count && order(v, count, *oids)) {
		free(*oids);
		*oids = NULL;
		goto out;
	}
	*n = count;
	rc = count ? 0 : 1;
out:
	free(v);
	git_revwalk_free(walk);
	git_repository_free(repo);
	return rc;
}
