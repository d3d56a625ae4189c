/* Differences between the VMs on disk and the history, and recording them:
 * see include/s2e/reconcile.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/inuse.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/reconcile.h"
#include "s2e/s2edir.h"
#include "s2e/vm.h"

static const struct {
	const char *label, *key;
	int recordable;
} kinds[] = {
	[S2E_CHANGE_UNTRACKED_VM] = {"untracked VM", "untracked_vm", 1},
	[S2E_CHANGE_DELETED_VM] = {"deleted VM", "deleted_vm", 1},
	[S2E_CHANGE_META_CHANGED] = {"metadata changed", "metadata_changed", 1},
	[S2E_CHANGE_DISK_MISSING] = {"disk missing", "disk_missing", 0},
	[S2E_CHANGE_NEW_SNAPSHOT] = {"new snapshot", "new_snapshot", 1},
	[S2E_CHANGE_DELETED_SNAPSHOT] = {"deleted snapshot", "deleted_snapshot", 1},
	[S2E_CHANGE_BAD_NAME] = {"bad name", "bad_name", 0},
	[S2E_CHANGE_LEFTOVER] = {"leftover", "leftover", 1},
	[S2E_CHANGE_INTERRUPTED] = {"interrupted experiment", "interrupted", 1},
	[S2E_CHANGE_UNRECORDED_RUN] = {"unrecorded experiment", "unrecorded_experiment", 1},
	[S2E_CHANGE_IN_USE] = {"in use", "in_use", 0},
};

const char *s2e_change_label(enum s2e_change_kind kind)
{
	return kinds[kind].label;
}

const char *s2e_change_key(enum s2e_change_kind kind)
{
	return kinds[kind].key;
}

int s2e_change_recordable(enum s2e_change_kind kind)
{
	return kinds[kind].recordable;
}

static int add(struct s2e_changes *ch, enum s2e_change_kind kind, const char *vm,
	       const char *item)
{
	struct s2e_change *c;

	if (ch->n == ch->alloc) {
		size_t alloc = ch->alloc ? ch->alloc * 2 : 16;
		c = realloc(ch->v, alloc * sizeof(*c));
		if (!c)
			return s2e_error("out of memory");
		ch->v = c;
		ch->alloc = alloc;
	}
	c = &ch->v[ch->n];
	c->kind = kind;
	c->vm = vm ? s2e_strdup(vm) : NULL;
	c->item = item ? s2e_strdup(item) : NULL;
	if ((vm && !c->vm) || (item && !c->item)) {
		free(c->vm);
		free(c->item);
		return -1;
	}
	ch->n++;
	return 0;
}

void s2e_changes_free(struct s2e_changes *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->v[i].vm);
		free(ch->v[i].item);
	}
	free(ch->v);
	memset(ch, 0, sizeof(*ch));
}

/* The VMs of the history: vm/NAME/vm.config in HEAD, names sorted (git's
 * tree order is byte order for these names), with their blob ids. */
struct tracked {
	char **names;
	git_oid *ids;
	size_t n;
};

static void tracked_free(struct tracked *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->ids);
}

static int tracked_add(struct tracked *t, const git_tree_entry *e, git_repository *repo)
{
	git_tree_entry *meta = NULL;
	git_tree *sub = NULL;
	void *grown;
	int rc = -1;

	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
		return s2e_error("cannot read the history tree of %s", s2e_q(git_tree_entry_name(e)));
	if (git_tree_entry_bypath(&meta, sub, S2E_VM_META) < 0) {
		git_tree_free(sub);
		return 0;
	}
	if ((grown = realloc(t->names, (t->n + 1) * sizeof(*t->names))))
		t->names = grown;
	if (grown && (grown = realloc(t->ids, (t->n + 1) * sizeof(*t->ids))))
		t->ids = grown;
	if (grown && (t->names[t->n] = s2e_strdup(git_tree_entry_name(e)))) {
		git_oid_cpy(&t->ids[t->n++], git_tree_entry_id(meta));
		rc = 0;
	} else if (!grown) {
		s2e_error("out of memory");
	}
	git_tree_entry_free(meta);
	git_tree_free(sub);
	return rc;
}

static int tracked_read(const char *root, struct tracked *t, git_repository **repo_out)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_tree *vm = NULL;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	*repo_out = NULL;
	s2e_git_init();
	if (git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return 0; /* no history yet: nothing is tracked */
	*repo_out = repo;
	if (git_revparse_single(&obj, repo, "HEAD:vm") < 0)
		return 0; /* no commit, or no VM ever recorded */
	if (git_object_peel((git_object **)&vm, obj, GIT_OBJECT_TREE) < 0) {
		git_object_free(obj);
		return s2e_error("cannot read the history's vm tree");
	}
	for (size_t i = 0; rc == 0 && i < git_tree_entrycount(vm); i++)
		rc = tracked_add(t, git_tree_entry_byindex(vm, i), repo);
	git_tree_free(vm);
	git_object_free(obj);
	return rc;
}

static ssize_t tracked_find(const struct tracked *t, const char *name)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->names[mid], name);
		if (!c)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int wanted(const char *const *names, size_t n, const char *name)
{
	if (!names)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* vm.config on disk against its blob in HEAD. */
static int meta_changed(git_repository *repo, const char *root, const char *name,
			const git_oid *id)
{
	char *path = s2e_asprintf("%s/vm/%s/" S2E_VM_META, root, name);
	git_oid disk;
	int changed;

	if (!path)
		return -1;
	changed = git_odb_hashfile(&disk, path, GIT_OBJECT_BLOB) < 0 || !git_oid_equal(&disk, id);
	(void)repo;
	free(path);
	return changed;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Snapshots on disk but not recorded, and recorded but not on disk. */
static int snapshot_changes(const struct s2e_vm_info *vm, struct s2e_changes *ch)
{
	char **files = calloc(vm->nsnaps + 1, sizeof(*files));
	int rc = 0;

	if (!files)
		return s2e_error("out of memory");
	for (size_t i = 0; i < vm->nsnaps; i++) {
		files[i] = vm->snaps[i].name;
		if (!vm->snaps[i].recorded && !rc)
			rc = add(ch, S2E_CHANGE_NEW_SNAPSHOT, vm->name, vm->snaps[i].name);
	}
	if (vm->nsnaps)
		qsort(files, vm->nsnaps, sizeof(*files), cmp_str);
	for (size_t i = 0; i < vm->meta.nsnaps && !rc; i++) {
		const char *name = vm->meta.snaps[i].name;
		if (!vm->nsnaps || !bsearch(&name, files, vm->nsnaps, sizeof(*files), cmp_str))
			rc = add(ch, S2E_CHANGE_DELETED_SNAPSHOT, vm->name, name);
	}
	free(files);
	return rc;
}


/* 1 when no command holds the S2EDIR lock (so staging is a dead command's). */
static int lock_free(const char *root)
{
	char *path = s2e_path_join(root, ".s2e/lock");
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1, isfree;

	free(path);
	if (fd < 0)
		return 1;
	isfree = flock(fd, LOCK_SH | LOCK_NB) == 0;
	close(fd);
	return isfree;
}

/* Call fn(name, ctx) for each entry of `path` but "." and "..", until one
 * fails.  A directory that cannot be read has no entries: the scan reports
 * what it finds and never fails on what is absent. */
static int each_entry(const char *path, int (*fn)(const char *name, void *ctx), void *ctx)
{
	DIR *dir = path ? opendir(path) : NULL;
	struct dirent *de;
	int rc = 0;

	while (dir && !rc && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = fn(de->d_name, ctx);
	if (dir)
		closedir(dir);
	return rc;
}

struct scan {
	const char *root, *vm, *dir;
	struct s2e_changes *ch;
	int dead;	    /* nobody holds the S2EDIR lock */
	struct s2e_changes *dirty; /* experiments whose files differ from HEAD */
};

/* Snapshot files whose names s2e would refuse: reported, never recorded. */
static int bad_snapshot_name(const char *n, void *ctx)
{
	static const char prefix[] = S2E_VM_DISK ".";
	struct scan *s = ctx;

	if (strncmp(n, prefix, strlen(prefix)) || !s2e_snap_name_check(n + strlen(prefix)))
		return 0;
	s2e_error_clear();
	return add(s->ch, S2E_CHANGE_BAD_NAME, s->vm, n);
}

static int bad_snapshot_names(const char *root, const char *name, struct s2e_changes *ch)
{
	struct scan s = {root, name, NULL, ch, 0, NULL};
	char *path = s2e_vm_dir(root, name);
	int rc = each_entry(path, bad_snapshot_name, &s);

	free(path);
	return rc;
}

/* What a killed delete or replace left in .s2e/trash (removed by the next
 * command that takes the lock). */
static int trash_entry(const char *n, void *ctx)
{
	struct scan *s = ctx;
	char *item = s2e_asprintf(S2E_TRASH_DIR "/%s", n);
	int rc = item ? add(s->ch, S2E_CHANGE_LEFTOVER, NULL, item) : -1;

	free(item);
	return rc;
}

/* Staging and trash of dead commands, and names in vm/ s2e would refuse. */
static int vmdir_entry(const char *n, void *ctx)
{
	struct scan *s = ctx;

	if (!strncmp(n, S2E_STAGING_PREFIX, strlen(S2E_STAGING_PREFIX)) ||
	    !strncmp(n, S2E_TRASH_PREFIX, strlen(S2E_TRASH_PREFIX)))
		return s->dead ? add(s->ch, S2E_CHANGE_LEFTOVER, NULL, n) : 0;
	if (n[0] != '.' && s2e_vm_name_check(n)) {
		s2e_error_clear();
		return add(s->ch, S2E_CHANGE_BAD_NAME, NULL, n);
	}
	return 0;
}

static int vmdir_entries(const char *root, struct s2e_changes *ch)
{
	struct scan s = {root, NULL, NULL, ch, lock_free(root), NULL};
	char *vm = s2e_path_join(root, "vm"), *trash = s2e_path_join(root, S2E_TRASH_DIR);
	int rc = each_entry(vm, vmdir_entry, &s);

	if (!rc && s.dead)
		rc = each_entry(trash, trash_entry, &s);
	free(vm);
	free(trash);
	return rc;
}

static int is_dirty(const struct s2e_changes *dirty, const char *name)
{
	for (size_t i = 0; dirty && i < dirty->n; i++)
		if (!strcmp(dirty->v[i].item, name))
			return 1;
	return 0;
}

/* Experiments recorded as running whose s2e no longer holds their mark. */
static int interrupted_run(const char *n, void *ctx)
{
	struct scan *s = ctx;
	struct s2e_experiment e = {0};
	char *rec = n[0] == '.' ? NULL : s2e_asprintf("%s/%s/" S2E_EXPERIMENT_RECORD, s->dir, n);
	int rc = 0;

	int read = rec && !s2e_experiment_read(rec, &e);

	if (rec && s2e_inuse_held(s->root, S2E_INUSE_RUN, n) == 0) {
		if (read && e.state && !strcmp(e.state, "running"))
			rc = add(s->ch, S2E_CHANGE_INTERRUPTED, e.vm, n);
		else if (is_dirty(s->dirty, n)) /* killed between a write and its commit */
			rc = add(s->ch, S2E_CHANGE_UNRECORDED_RUN, read ? e.vm : NULL, n);
	}
	s2e_error_clear();
	s2e_experiment_free(&e);
	free(rec);
	return rc;
}

/* The experiments whose files git sees as new or changed. */
static int dirty_cb(const char *path, unsigned int flags, void *payload)
{
	const char *name = path + strlen(S2E_EXPERIMENTS_DIR "/");
	const char *slash = strchr(name, '/');
	char *n;
	int rc;

	(void)flags;
	if (strncmp(path, S2E_EXPERIMENTS_DIR "/", strlen(S2E_EXPERIMENTS_DIR "/")) || !slash)
		return 0;
	if (!(n = strndup(name, (size_t)(slash - name))))
		return s2e_error("out of memory");
	rc = is_dirty(payload, n) ? 0 : add(payload, S2E_CHANGE_UNRECORDED_RUN, NULL, n);
	free(n);
	return rc;
}

static int dirty_runs(git_repository *repo, struct s2e_changes *dirty)
{
	char *spec[] = {S2E_EXPERIMENTS_DIR "/"};
	git_status_options o;

	git_status_options_init(&o, GIT_STATUS_OPTIONS_VERSION);
	if (!repo || git_repository_head_unborn(repo) == 1)
		return 0;
	o.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		  GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	o.pathspec.strings = spec;
	o.pathspec.count = 1;
	if (git_status_foreach_ext(repo, &o, dirty_cb, dirty) < 0) {
		s2e_error_clear();
		return 0; /* a scan that cannot tell reports nothing, as before */
	}
	return 0;
}

static int interrupted_runs(const char *root, git_repository *repo, struct s2e_changes *ch)
{
	char *path = s2e_path_join(root, S2E_EXPERIMENTS_DIR);
	struct s2e_changes dirty = {0};
	struct scan s = {root, NULL, path, ch, 0, &dirty};
	int rc = path ? dirty_runs(repo, &dirty) : 0;

	if (!rc && path)
		rc = each_entry(path, interrupted_run, &s);
	s2e_changes_free(&dirty);
	free(path);
	return rc;
}

static int vm_changes(const char *root, git_repository *repo, const struct tracked *t,
		      const struct s2e_vm_info *vm, struct s2e_changes *ch)
{
	ssize_t at = tracked_find(t, vm->name);
	int rc = 0, changed, held;

	if (at < 0) {
		rc = add(ch, S2E_CHANGE_UNTRACKED_VM, vm->name, NULL);
	} else {
		changed = meta_changed(repo, root, vm->name, &t->ids[at]);
		if (changed < 0)
			return -1;
		if (changed)
			rc = add(ch, S2E_CHANGE_META_CHANGED, vm->name, NULL);
		if (!rc && vm->defunct)
			rc = add(ch, S2E_CHANGE_DISK_MISSING, vm->name, NULL);
		if (!rc)
			rc = snapshot_changes(vm, ch);
	}
	if (!rc)
		rc = bad_snapshot_names(root, vm->name, ch);
	held = rc ? -1 : s2e_inuse_held(root, S2E_INUSE_VM, vm->name);
	if (held > 0)
		rc = add(ch, S2E_CHANGE_IN_USE, vm->name, NULL);
	return rc || held < 0 ? -1 : 0;
}

/* Tracked VMs whose directory is gone. */
static int deleted_vms(const char *root, const struct tracked *t, const char *const *names,
		       size_t nnames, struct s2e_changes *ch)
{
	for (size_t i = 0; i < t->n; i++) {
		char *dir = s2e_vm_dir(root, t->names[i]);
		struct stat st;
		int gone;

		if (!dir)
			return -1;
		gone = lstat(dir, &st) && errno == ENOENT;
		free(dir);
		if (gone && wanted(names, nnames, t->names[i]) &&
		    add(ch, S2E_CHANGE_DELETED_VM, t->names[i], NULL))
			return -1;
	}
	return 0;
}

int s2e_reconcile_scan(const char *root, const char *const *names, size_t nnames,
		       struct s2e_changes *out)
{
	struct tracked t;
	git_repository *repo = NULL;
	struct s2e_vm_info *vms = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = tracked_read(root, &t, &repo);
	if (!rc)
		rc = s2e_vm_list(root, &vms, &n);
	for (size_t i = 0; !rc && i < n; i++)
		if (wanted(names, nnames, vms[i].name))
			rc = vm_changes(root, repo, &t, &vms[i], out);
	if (!rc)
		rc = deleted_vms(root, &t, names, nnames, out);
	if (!rc && !names)
		rc = vmdir_entries(root, out);
	if (!rc && !names)
		rc = interrupted_runs(root, repo, out);
	s2e_vm_list_free(vms, n);
	tracked_free(&t);
	git_repository_free(repo);
	if (rc)
		s2e_changes_free(out);
	return rc;
}

/* Bring vm/NAME/vm.config in line with the disk: snapshots made by hand are
 * recorded where they are listed (s2e/snapshot.h: by their files' times),
 * vanished ones removed. */
static int rewrite_meta(const char *root, const char *name)
{
	struct s2e_vm_info vm;
	char now[64], *path = NULL;
	int rc = -1;

	if (s2e_vm_describe(root, name, &vm))
		return -1;
	s2e_time_utc(now, sizeof(now));
	if (!vm.has_meta && (s2e_meta_set(&vm.meta.created, now) ||
			     s2e_meta_set(&vm.meta.origin, "found on disk, recorded by s2e vm status")))
		goto out;
	if (s2e_vm_record_snaps(&vm))
		goto out;
	vm.meta.size = vm.size;
	path = s2e_asprintf("%s/vm/%s/" S2E_VM_META, root, name);
	if (path && !s2e_meta_set(&vm.meta.updated, now))
		rc = s2e_meta_write(path, &vm.meta);
out:
	free(path);
	s2e_vm_info_free(&vm);
	return rc;
}

/* One commit for everything recorded of one VM. */
static int record_vm(const char *root, const char *name, const struct s2e_changes *ch)
{
	char *vmpath = s2e_asprintf("vm/%s", name), *subject = NULL, *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int deleted = 0, rc = -1;

	if (!vmpath || !f)
		goto out;
	fputs("Recorded by s2e vm status --record: changes made outside s2e.\n\n", f);
	for (size_t i = 0; i < ch->n; i++) {
		const struct s2e_change *c = &ch->v[i];
		if (!c->vm || strcmp(c->vm, name) || !s2e_change_recordable(c->kind) ||
		    c->kind == S2E_CHANGE_INTERRUPTED || c->kind == S2E_CHANGE_UNRECORDED_RUN)
			continue;
		deleted |= c->kind == S2E_CHANGE_DELETED_VM;
		fprintf(f, "%s%s%s\n", s2e_change_label(c->kind), c->item ? ": " : "",
			c->item ? s2e_q(c->item) : "");
	}
	if (fclose(f)) {
		f = NULL;
		goto out;
	}
	f = NULL;
	subject = s2e_asprintf("vm record %s%s", s2e_sq(name), deleted ? " (deleted)" : "");
	if (subject && (deleted || !rewrite_meta(root, name)))
		rc = s2e_history_commit(root, (const char *const[]){vmpath}, 1, subject, body, NULL);
out:
	if (f)
		fclose(f);
	free(vmpath);
	free(subject);
	free(body);
	return rc;
}

static int record_interrupted(const char *root, const char *exp)
{
	struct s2e_experiment e = {0};
	char *dir = s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s", exp), *rec = NULL, *subject = NULL;
	int rc = -1;

	if (!dir || !(rec = s2e_asprintf("%s/%s/" S2E_EXPERIMENT_RECORD, root, dir)))
		goto out;
	if (s2e_experiment_read(rec, &e) || s2e_meta_set(&e.state, "interrupted") ||
	    s2e_experiment_write(rec, &e))
		goto out;
	subject = s2e_asprintf("run %s interrupted", s2e_sq(exp));
	if (subject)
		rc = s2e_history_commit(root, (const char *const[]){dir}, 1, subject,
					"The s2e that ran this experiment died before it finished;\n"
					"recorded by s2e vm status --record.\n",
					NULL);
out:
	s2e_experiment_free(&e);
	free(dir);
	free(rec);
	free(subject);
	return rc;
}

/* What a run killed between writing its record and committing it left. */
static int record_run_files(const char *root, const char *exp)
{
	char *dir = s2e_asprintf(S2E_EXPERIMENTS_DIR "/%s", exp);
	char *subject = s2e_asprintf("run %s recorded", s2e_sq(exp));
	int rc = -1;

	if (dir && subject)
		rc = s2e_history_commit(root, (const char *const[]){dir}, 1, subject,
					"The s2e that ran this experiment died before it committed its\n"
					"record; recorded by s2e vm status --record.\n",
					NULL);
	free(dir);
	free(subject);
	return rc;
}

/* 1 when an earlier change already named this VM (one commit per VM). */
static int seen_before(const struct s2e_changes *ch, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (ch->v[j].vm && !strcmp(ch->v[j].vm, ch->v[i].vm) &&
		    s2e_change_recordable(ch->v[j].kind) && ch->v[j].kind != S2E_CHANGE_INTERRUPTED &&
		    ch->v[j].kind != S2E_CHANGE_UNRECORDED_RUN)
			return 1;
	return 0;
}

/* The history's index made HEAD's tree again: a command killed between
 * moving the branch and moving its index into place leaves them apart,
 * which git status shows and no VM change explains. */
static int refresh_index(const char *root)
{
	git_repository *repo = NULL;
	git_object *tree = NULL;
	git_index *index = NULL;
	int rc = 0;

	if (git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return 0;
	if (git_repository_head_unborn(repo) != 1 &&
	    (git_revparse_single(&tree, repo, "HEAD^{tree}") < 0 ||
	     git_repository_index(&index, repo) < 0 ||
	     git_index_read_tree(index, (git_tree *)tree) < 0 || git_index_write(index) < 0))
		rc = s2e_error("cannot bring the history index in line with HEAD");
	git_index_free(index);
	git_object_free(tree);
	git_repository_free(repo);
	return rc;
}

int s2e_reconcile_record(const char *root, const struct s2e_changes *ch)
{
	/* Locks a dead s2e left are removed first (a foreign one is an error). */
	if (s2e_history_check_locks(root) || refresh_index(root))
		return -1;
	for (size_t i = 0; i < ch->n; i++) {
		const struct s2e_change *c = &ch->v[i];
		int rc = 0;

		if (!s2e_change_recordable(c->kind) || c->kind == S2E_CHANGE_LEFTOVER)
			continue;
		if (c->kind == S2E_CHANGE_INTERRUPTED)
			rc = record_interrupted(root, c->item);
		else if (c->kind == S2E_CHANGE_UNRECORDED_RUN)
			rc = record_run_files(root, c->item);
		else if (!seen_before(ch, i))
			rc = record_vm(root, c->vm, ch);
		if (rc)
			return -1;
	}
	return 0;
}
