/* s2e vm push and s2e vm pull: see include/s2e/storeops.h. */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "s2e/caindex.h"
#include "s2e/chunk.h"
#include "s2e/digest-cache.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/size.h"
#include "s2e/store.h"
#include "s2e/storeops.h"
#include "s2e/storevm.h"
#include "s2e/sys.h"
#include "s2e/vm.h"
#include "s2e/vmtx.h"

/* One progress bar for the whole transfer, on a terminal only: the bytes
 * and chunks of all the files. */
static struct s2e_progress *bar(const struct s2e_vm_report *r, const char *what, uint64_t size,
				uint64_t chunks, const char *verb)
{
	struct s2e_progress *p =
		r && r->progress_fd >= 0 ? s2e_progress_start(r->progress_fd, what, size) : NULL;

	s2e_progress_set_chunks(p, chunks ? chunks : 1, verb);
	return p;
}

static uint64_t chunks_of(uint64_t size)
{
	return (size + S2E_CHUNK_MAX - 1) / S2E_CHUNK_MAX;
}

/* A status line: the bar is erased first (it comes back with the next chunk). */
#define step(p, ...) (s2e_progress_clear((p)->o.progress), s2e_vm_step((p)->r, __VA_ARGS__))

static void add_stats(struct s2e_chunk_stats *t, const struct s2e_chunk_stats *s)
{
	t->chunks += s->chunks;
	t->bytes += s->bytes;
	t->zero += s->zero;
	t->stored += s->stored;
	t->stored_bytes += s->stored_bytes;
	t->present += s->present;
	t->fetched += s->fetched;
	t->fetched_bytes += s->fetched_bytes;
	t->seeded += s->seeded;
}

/* A directory that already holds a store's chunks/ or vm/. */
static int is_dir_store(const char *path)
{
	char *a = s2e_asprintf("%s/chunks", path), *b = s2e_asprintf("%s/vm", path);
	struct stat st;
	int yes = (a && !stat(a, &st) && S_ISDIR(st.st_mode)) ||
		  (b && !stat(b, &st) && S_ISDIR(st.st_mode));

	free(a);
	free(b);
	return yes;
}

static int found_one(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	(void)name, (void)size, (void)mtime;
	*(int *)ctx = 1;
	return 1;
}

/* A store URL under which some object already lives in vm/ or chunks/ (one
 * listing request each at most; a store that cannot be listed, such as plain
 * HTTP, or cannot be reached, is no store here). */
static int is_url_store(const char *url)
{
	struct s2e_store *st = s2e_store_open(url, NULL);
	struct s2e_store_conn *c = st ? s2e_store_conn_new(st) : NULL;
	int found = 0;

	if (c)
		s2e_store_list(c, "vm/", found_one, &found);
	if (c && !found)
		s2e_store_list(c, "chunks/", found_one, &found);
	s2e_store_conn_free(c);
	s2e_store_close(st);
	s2e_error_clear();
	return found;
}

/* Where STORE/NAME may also be a store of its own (push): STORE must hold a
 * store already, whatever its kind. */
static int holds_store(const char *store)
{
	if (store && !strncmp(store, "file://", 7))
		return is_dir_store(store + 7);
	return store && (strstr(store, "://") ? is_url_store(store) : is_dir_store(store));
}

int s2e_store_operand(const char *operand, int name_optional, char **store, char **name)
{
	const char *slash = strrchr(operand, '/'), *scheme = strstr(operand, "://");
	const char *host = scheme ? scheme + 3 : operand;

	*store = *name = NULL;
	if (slash && (slash == operand || slash < host || !slash[1]))
		slash = NULL;
	if (name_optional && slash &&
	    !holds_store(*store = strndup(operand, (size_t)(slash - operand))))
		slash = NULL;
	free(*store);
	*store = NULL;
	if (!slash && !name_optional)
		return s2e_error_set(S2E_EUSAGE, "%s: expected STORE/NAME", s2e_q(operand));
	*store = slash ? strndup(operand, (size_t)(slash - operand)) : s2e_strdup(operand);
	*name = slash ? s2e_strdup(slash + 1) : NULL;
	if (!*store || (slash && !*name)) {
		free(*store);
		*store = NULL;
		return s2e_error("out of memory");
	}
	return 0;
}

/* An anonymous temporary for an index, in dir. */
static int tmp_fd(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	char *path;

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : s2e_error_errno("cannot make a temporary in %s", s2e_q(dir));
	if (!(path = s2e_path_join(dir, ".index.tmp.XXXXXX")))
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		s2e_error_errno("cannot make a temporary in %s", s2e_q(dir));
	else
		unlink(path);
	free(path);
	return fd;
}

static struct s2e_store *open_store(const char *url, int write, struct s2e_store_conn **c)
{
	struct s2e_store *st = s2e_store_open(url, NULL);

	if (st && write && !s2e_store_writable(st)) {
		s2e_error("%s is a read-only store", s2e_store_url(st));
		s2e_store_close(st);
		return NULL;
	}
	if (st && !(*c = s2e_store_conn_new(st))) {
		s2e_store_close(st);
		return NULL;
	}
	return st;
}

/* ---- push ---- */

struct push {
	const char *root, *name, *remote;
	struct s2e_chunk_options o;
	struct s2e_store *st;
	struct s2e_store_conn *c;
	struct s2e_store_manifest m;
	struct s2e_store_manifest old; /* the store's VM this push replaces, if any */
	struct s2e_chunk_stats *total;
	const struct s2e_vm_report *r;
};

/* One file of the VM as push found it: open, and its cached index if the
 * index cache (digest-cache.h) has one for it as it is now.  ifd is the
 * index pushed, kept for after the manifest (push_indexes()). */
struct pfile {
	char *name, *path;
	int fd, cfd, ifd;
	struct s2e_cache_stamp stamp;
	char digest[S2E_DIGEST_LEN];
};

/* After the manifest: each index under its file's name, then the copies of
 * the version replaced go (and those a day old that no manifest names). */
static int push_indexes(struct push *p, const struct pfile *f, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++) {
		int ifd = f[i].ifd >= 0 ? f[i].ifd : f[i].cfd;
		off_t len = lseek(ifd, 0, SEEK_END);
		rc = len < 0 ? s2e_error_errno("cannot read back the index of %s", s2e_q(f[i].name))
			     : s2e_store_vm_put_index(p->c, p->remote, f[i].name, ifd, (uint64_t)len);
	}
	return rc ? rc : s2e_store_vm_prune(p->c, p->remote, &p->m, &p->old,
					    time(NULL) - S2E_STORE_PRUNE_AGE);
}

/* The index is in the store: the chunks it names are confirmed (a gc may have
 * removed some before it was there); those put again count as stored. */
static int push_confirm(struct push *p, const struct pfile *f, int ifd)
{
	struct s2e_chunk_stats s;
	int rc = s2e_chunk_confirm(p->st, f->fd, f->path, ifd, &p->o, &s);

	p->total->stored += s.stored;
	p->total->stored_bytes += s.stored_bytes;
	return rc;
}

static int pfile_open(struct push *p, struct pfile *f, const char *file)
{
	f->fd = f->cfd = f->ifd = -1;
	if (!(f->name = s2e_strdup(file)) ||
	    !(f->path = s2e_asprintf("%s/vm/%s/%s", p->root, p->name, file)))
		return -1;
	if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return s2e_error_errno("cannot open %s", s2e_q(f->path));
	f->cfd = s2e_index_cached(p->root, f->fd, 1, &f->stamp, f->digest);
	return 0;
}

static void pfile_close(struct pfile *f)
{
	if (f->ifd >= 0 && f->ifd != f->cfd)
		close(f->ifd);
	if (f->cfd >= 0)
		close(f->cfd);
	if (f->fd >= 0)
		close(f->fd);
	free(f->name);
	free(f->path);
}

/* One file: its chunks (all of them read and hashed, or, with a cached
 * index, only those the store lacks), its index under its digest's name
 * (s2e_store_vm_put_version()), and the chunks confirmed once that index is
 * in the store. */
static int push_file(struct push *p, struct pfile *f)
{
	int ifd = f->cfd >= 0 ? f->cfd : tmp_fd(p->root), rc = ifd < 0 ? -1 : 0;
	struct s2e_chunk_stats s = {0};
	off_t len;

	if (!rc && f->cfd >= 0) {
		/* The index is known before the chunks: in the store first, so that
		 * the one pass over its chunks that puts the missing ones is also
		 * the confirmation a gc running meanwhile needs. */
		if ((len = lseek(ifd, 0, SEEK_END)) < 0)
			rc = s2e_error_errno("cannot read back the index of %s", s2e_q(f->path));
		if (!rc)
			rc = s2e_store_vm_put_version(p->c, p->remote, f->digest, ifd, (uint64_t)len);
		if (!rc && lseek(ifd, 0, SEEK_SET))
			rc = s2e_error_errno("cannot read back the index of %s", s2e_q(f->path));
		if (!rc)
			rc = s2e_chunk_known(p->st, f->fd, f->path, f->cfd, &p->o, &s);
	} else if (!rc && !(rc = s2e_chunk_fd(p->st, f->fd, f->path, ifd, &p->o, &s)) && s.digest[0]) {
		s2e_index_cache_store(p->root, f->fd, &f->stamp, ifd, s.digest);
	}
	add_stats(p->total, &s);
	if (!rc && (len = lseek(ifd, 0, SEEK_END)) < 0)
		rc = s2e_error_errno("cannot read back the index of %s", s2e_q(f->path));
	if (!rc && !s.digest[0])
		rc = s2e_error("%s: no sha256-1m digest", s2e_q(f->path));
	if (!rc && f->cfd < 0)
		rc = s2e_store_vm_put_version(p->c, p->remote, s.digest, ifd, (uint64_t)len);
	if (!rc && f->cfd < 0)
		rc = push_confirm(p, f, ifd);
	if (!rc)
		rc = s2e_store_manifest_add_file(&p->m, f->name, s.bytes, s.digest);
	if (!rc)
		step(p, "push %s", f->name);
	if (!rc)
		f->ifd = ifd; /* for push_indexes(), after the manifest */
	else if (ifd >= 0 && ifd != f->cfd)
		close(ifd);
	return rc;
}

/* The store's VM already has exactly these files (names in order, sizes,
 * digests): every one known from the index cache and equal to the old
 * manifest's.  Its indexes then are ours (an index is fixed by its size and
 * chunk IDs, which the digest covers), and the chunks they name are in the
 * store: its manifest keeps them from gc, and `s2e store verify` checks them.
 * Nothing needs to be read or sent. */
static int same_files(const struct s2e_store_manifest *old, const struct pfile *f, size_t n)
{
	if (old->nfiles != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].cfd < 0 || strcmp(old->files[i].name, f[i].name) ||
		    old->files[i].size != (uint64_t)f[i].stamp.st.st_size ||
		    strcmp(old->files[i].digest, f[i].digest))
			return 0;
	return 1;
}

/* An unchanged VM: the files go into the manifest as they are. */
static int push_same(struct push *p, const struct pfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t size = (uint64_t)f[i].stamp.st.st_size;
		p->total->chunks += chunks_of(size);
		p->total->bytes += size;
		if (s2e_store_manifest_add_file(&p->m, f[i].name, size, f[i].digest))
			return -1;
	}
	s2e_vm_step(p->r, "push: the store has these files already");
	return 0;
}

/* The manifest's copy of the VM's vm.config: its metadata with the snapshots
 * as they are on disk, in vm->snaps order (the order taken, s2e/snapshot.h),
 * so that they match the files. */
static int push_vmconfig(struct push *p, struct s2e_vm_info *vm)
{
	struct s2e_meta *meta = &vm->meta;
	char *tmp = s2e_asprintf("%s/.s2e/push-%ld.vm.config", p->root, (long)getpid());
	size_t len;
	int rc = tmp ? s2e_vm_record_snaps(vm) : -1;

	if (!rc && !vm->has_meta)
		meta->size = vm->size;
	if (!rc)
		rc = s2e_meta_write(tmp, meta);
	if (!rc)
		rc = s2e_read_file(tmp, &p->m.vmconfig, &len);
	if (tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The manifest's own fields: the VM's vm.config, pusher, time, commit. */
static int push_describe(struct push *p, struct s2e_vm_info *vm)
{
	char now[64], host[256] = "localhost", commit[41] = "";
	char *hist = s2e_asprintf("vm/%s", p->name);
	const struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");
	int rc = hist ? push_vmconfig(p, vm) : -1;

	gethostname(host, sizeof(host) - 1);
	s2e_time_utc(now, sizeof(now));
	if (!rc && s2e_history_last(p->root, hist, commit) < 0)
		commit[0] = '\0';
	p->m.version = S2E_STORE_MANIFEST_VERSION;
	if (!rc && (!(p->m.name = s2e_strdup(p->remote)) || !(p->m.pushed_at = s2e_strdup(now)) ||
		    !(p->m.pushed_by = s2e_asprintf("%s@%s",
						     user && *user ? user : pw ? pw->pw_name : "unknown",
						     host)) ||
		    (commit[0] && !(p->m.commit = s2e_strdup(commit)))))
		rc = -1;
	free(hist);
	return rc;
}

static int push_record(const char *root, const char *name, const char *store,
		       const struct s2e_store_manifest *m)
{
	char *where = strcmp(name, m->name) ? s2e_asprintf("%s/%s", store, m->name)
					    : s2e_strdup(store);
	char *subject = where ? s2e_asprintf("vm push %s %s", s2e_sq(name), s2e_sq(where)) : NULL;
	char *body = s2e_asprintf("VM: %s\nStore: %s\nStore VM: %s\nDigest: %s\n", name, store,
				  m->name, m->files[0].digest);
	struct s2e_vmtx tx;
	int rc = subject && body ? 0 : -1;

	if (!rc && (rc = s2e_vmtx_begin(&tx, root, name, S2E_VMTX_UPDATE)) == S2E_ENOTFOUND)
		s2e_error_set(rc, "no VM named %s (deleted during the push)", s2e_q(name));
	if (!rc) {
		rc = s2e_vmtx_touch_meta(&tx);
		if (!rc)
			rc = s2e_vmtx_commit(&tx, subject, body, NULL, 0);
		s2e_vmtx_end(&tx);
	}
	free(where);
	free(subject);
	free(body);
	return rc;
}

/* The VM's files in order: disk.s2e, then the snapshots. */
static int push_open(struct push *p, const struct s2e_vm_info *vm, struct pfile *f, size_t *n)
{
	int rc = pfile_open(p, &f[(*n)++], S2E_VM_DISK);

	for (size_t i = 0; !rc && i < vm->nsnaps; i++) {
		char *file = s2e_asprintf("%s.%s", S2E_VM_DISK, vm->snaps[i].name);
		rc = file ? pfile_open(p, &f[(*n)++], file) : -1;
		free(file);
	}
	return rc;
}

static void push_bar(struct push *p, const struct pfile *f, size_t n)
{
	uint64_t size = 0, chunks = 0;

	for (size_t i = 0; i < n; i++) {
		size += (uint64_t)f[i].stamp.st.st_size;
		chunks += chunks_of((uint64_t)f[i].stamp.st.st_size);
	}
	p->o.progress = bar(p->r, "push", size, chunks, "sent");
}

static int push_files(struct push *p, int force)
{
	struct s2e_store_manifest *old = &p->old;
	struct s2e_vm_info vm = {0};
	struct pfile *f = NULL;
	size_t n = 0;
	int rc = s2e_vm_describe(p->root, p->name, &vm), exists = 0, same = 0;

	if (!rc && vm.defunct)
		rc = s2e_error("VM %s has no disk.s2e", s2e_q(p->name));
	if (!rc && !(f = calloc(vm.nsnaps + 1, sizeof(*f))))
		rc = s2e_error("out of memory");
	if (!rc)
		rc = push_open(p, &vm, f, &n);
	/* -f replaces whatever is there, even a manifest that does not parse. */
	if (!rc && (exists = s2e_store_vm_read(p->c, p->remote, old)) < 0 && !force)
		rc = -1;
	else if (!rc && exists <= 0)
		s2e_error_clear(); /* "not found": a new VM in the store */
	if (exists != 1)
		s2e_store_manifest_free(old); /* nothing (or nothing valid) replaced */
	same = exists == 1 && same_files(old, f, n);
	if (!rc && exists == 1 && !force && !same)
		rc = s2e_error_set(S2E_EEXISTS, "%s already has a VM named %s (-f replaces it)",
				   s2e_store_url(p->st), s2e_q(p->remote));
	if (!rc)
		rc = push_describe(p, &vm);
	if (!rc && same)
		rc = push_same(p, f, n);
	if (!rc && !same)
		push_bar(p, f, n);
	for (size_t i = 0; !rc && !same && i < n; i++)
		rc = push_file(p, &f[i]);
	s2e_progress_finish(p->o.progress);
	p->o.progress = NULL;
	/* An unchanged VM is left as it is in the store, unless -f asks for a
	 * new manifest (the VM's settings, pusher, time and commit). */
	if (!rc && (!same || force))
		rc = s2e_store_vm_write(p->c, p->remote, &p->m, force);
	if (!rc && (!same || force))
		rc = push_indexes(p, f, n);
	if (!rc && (!same || force))
		s2e_vm_step(p->r, "push manifest");
	for (size_t i = 0; i < n; i++)
		pfile_close(&f[i]);
	free(f);
	s2e_vm_info_free(&vm);
	return rc;
}

int s2e_vm_push(const char *root, const char *name, const char *store, const char *remote,
		unsigned jobs, int flags, const struct s2e_vm_report *r, struct s2e_chunk_stats *stats)
{
	struct push p = {.root = root, .name = name, .remote = remote ? remote : name,
			 .total = stats, .r = r, .o = {.jobs = jobs}};
	int mark = -1, rc = s2e_vm_name_check(name);

	memset(stats, 0, sizeof(*stats));
	if (!rc)
		rc = s2e_vm_name_check(p.remote);
	if (!rc && (rc = s2e_vm_exists(root, name)) == 0)
		rc = s2e_error_set(S2E_ENOTFOUND, "no VM named %s", s2e_q(name));
	if (rc == 1 && (mark = s2e_vm_use(root, name)) < 0)
		rc = -1;
	if (rc == 1)
		rc = (p.st = open_store(store, 1, &p.c)) ? 0 : -1;
	if (!rc)
		rc = push_files(&p, flags & S2E_VMOP_FORCE);
	if (mark >= 0)
		close(mark);
	if (!rc)
		rc = push_record(root, name, s2e_store_url(p.st), &p.m);
	s2e_store_manifest_free(&p.m);
	s2e_store_manifest_free(&p.old);
	if (p.c)
		s2e_store_conn_free(p.c);
	if (p.st)
		s2e_store_close(p.st);
	return rc;
}

/* ---- seeding a pull from local VMs ---- */

struct seed_ent {
	unsigned char id[S2E_CHUNK_ID_LEN];
	uint32_t size, file;
	uint64_t off;
};

struct seed {
	struct seed_ent *e;
	size_t n, cap;
	int *fds;
	size_t nfds;
};

static int seed_cmp(const void *a, const void *b)
{
	return memcmp(a, b, S2E_CHUNK_ID_LEN);
}

/* Add the non-zero chunks of one local file's index (read from ifd). */
static int seed_add(struct seed *sd, int ifd, const char *path)
{
	struct s2e_caindex_reader *rd = s2e_caindex_reader_new(ifd, path, S2E_CAINDEX_ANY_SIZE);
	struct s2e_caindex_entry e;
	int rc = rd ? 0 : -1;

	while (!rc && (rc = s2e_caindex_next(rd, &e)) == 1) {
		rc = 0;
		if (e.size == S2E_CHUNK_MAX && !memcmp(e.id, s2e_chunk_zero_id(), S2E_CHUNK_ID_LEN))
			continue; /* never fetched: pulling writes holes */
		if (sd->n == sd->cap) {
			size_t cap = sd->cap ? sd->cap * 2 : 1024;
			struct seed_ent *n = realloc(sd->e, cap * sizeof(*n));
			if (!n) {
				rc = s2e_error("out of memory");
				break;
			}
			sd->e = n, sd->cap = cap;
		}
		memcpy(sd->e[sd->n].id, e.id, S2E_CHUNK_ID_LEN);
		sd->e[sd->n].size = e.size;
		sd->e[sd->n].off = e.offset;
		sd->e[sd->n++].file = (uint32_t)sd->nfds;
	}
	s2e_caindex_reader_free(rd);
	return rc;
}

/* The index of one local file: from the index cache, or, for a file that is
 * likely to share chunks (`compute`), computed (no store) and cached. */
static int seed_index(struct seed *sd, const char *root, int fd, const char *path, int compute,
		      unsigned jobs)
{
	struct s2e_chunk_options o = {.jobs = jobs};
	struct s2e_cache_stamp stamp;
	struct s2e_chunk_stats s;
	char digest[S2E_DIGEST_LEN];
	int ifd = s2e_index_cached(root, fd, compute, &stamp, digest), rc = 0;
	size_t n0 = sd->n;

	if (ifd < 0 && !compute)
		return -1;
	if (ifd < 0 && (ifd = tmp_fd(root)) >= 0 && !(rc = s2e_chunk_fd(NULL, fd, path, ifd, &o, &s)))
		s2e_index_cache_store(root, fd, &stamp, ifd, s.digest);
	if (ifd < 0)
		return -1;
	if (!rc && lseek(ifd, 0, SEEK_SET) < 0)
		rc = s2e_error_errno("cannot read back the index of %s", s2e_q(path));
	if (!rc && (rc = seed_add(sd, ifd, path)))
		sd->n = n0; /* none of this file's entries, its fd is not kept */
	close(ifd);
	return rc;
}

static int seed_file(struct seed *sd, const char *root, const char *vm, const char *file,
		     int compute, unsigned jobs)
{
	char *path = s2e_asprintf("%s/vm/%s/%s", root, vm, file);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1, rc = -1;
	int *fds = fd >= 0 ? realloc(sd->fds, (sd->nfds + 1) * sizeof(*fds)) : NULL;

	if (fds) {
		sd->fds = fds;
		rc = seed_index(sd, root, fd, path, compute, jobs);
		if (!rc)
			sd->fds[sd->nfds++] = fd;
	}
	if (rc && fd >= 0)
		close(fd);
	free(path);
	s2e_error_clear();
	return 0; /* a local file that cannot be read is only not a seed */
}

/* Every local VM may share chunks with the VM pulled (a clone, an older
 * version, a VM built from the same base): each file whose index the index
 * cache holds is a seed at no cost.  The files of the VM being replaced and
 * of the VMs pulled from the same store VM before are indexed even when not
 * cached (hashed, holes skipped), as they most likely share most chunks. */
static int seed_build(struct seed *sd, const char *root, const char *name, const char *from,
		      unsigned jobs)
{
	struct s2e_vm_info *vms = NULL;
	size_t n = 0;

	if (s2e_vm_list(root, &vms, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *o = vms[i].meta.origin;
		int likely = !strcmp(vms[i].name, name) || (o && !strncmp(o, from, strlen(from)));
		if (vms[i].defunct)
			continue;
		seed_file(sd, root, vms[i].name, S2E_VM_DISK, likely, jobs);
		for (size_t j = 0; j < vms[i].nsnaps; j++) {
			char *f = s2e_asprintf("%s.%s", S2E_VM_DISK, vms[i].snaps[j].name);
			if (f)
				seed_file(sd, root, vms[i].name, f, likely, jobs);
			free(f);
		}
	}
	s2e_vm_list_free(vms, n);
	s2e_error_clear();
	if (sd->n)
		qsort(sd->e, sd->n, sizeof(*sd->e), seed_cmp);
	return 0;
}

static int seed_get(void *ctx, const unsigned char *id, uint32_t size, void *buf)
{
	const struct seed *sd = ctx;
	const struct seed_ent *e = bsearch(id, sd->e, sd->n, sizeof(*sd->e), seed_cmp);

	if (!e || e->size != size)
		return 0;
	return s2e_pread_full(sd->fds[e->file], buf, size, e->off) ? 0 : 1;
}

static void seed_free(struct seed *sd)
{
	for (size_t i = 0; i < sd->nfds; i++)
		close(sd->fds[i]);
	free(sd->fds);
	free(sd->e);
}

/* ---- pull ---- */

struct pull {
	const char *store, *remote, *name;
	struct s2e_chunk_options o;
	struct s2e_store *st;
	struct s2e_store_conn *c;
	struct s2e_store_manifest m;
	struct s2e_chunk_stats *total;
	const struct s2e_vm_report *r;
	int *ifds; /* the files' indexes, kept for the index cache */
	int *fds;  /* the files pulled, open once they are synced */
};

/* The bytes an index's chunks put on disk: all but the all-zero 1 MiB
 * chunks, which are holes. */
static int index_data(int ifd, const char *what, uint64_t *bytes)
{
	struct s2e_caindex_reader *rd = s2e_caindex_reader_new(ifd, what, S2E_CAINDEX_ANY_SIZE);
	struct s2e_caindex_entry e;
	int rc = rd ? 0 : -1;

	while (!rc && (rc = s2e_caindex_next(rd, &e)) == 1) {
		rc = 0;
		if (e.size != S2E_CHUNK_MAX || memcmp(e.id, s2e_chunk_zero_id(), S2E_CHUNK_ID_LEN))
			*bytes += e.size;
	}
	s2e_caindex_reader_free(rd);
	if (!rc && lseek(ifd, 0, SEEK_SET))
		rc = s2e_error_errno("cannot rewind the copy of %s", s2e_q(what));
	return rc;
}

/* Every index of the manifest, checked, into ifds; then the data they name
 * must fit in the free space of the file system of staging. */
static int pull_indexes(struct pull *p, const char *staging, int *ifds)
{
	uint64_t need = 0, avail;
	struct statvfs vfs;
	char a[32], b[32];
	int rc = 0;

	for (size_t i = 0; !rc && i < p->m.nfiles; i++) {
		rc = (ifds[i] = tmp_fd(staging)) < 0 ? -1 : 0;
		if (!rc)
			rc = s2e_store_vm_get_index(p->c, p->remote, &p->m.files[i], ifds[i]);
		if (!rc)
			rc = index_data(ifds[i], p->m.files[i].name, &need);
	}
	if (rc)
		return rc;
	if (statvfs(staging, &vfs))
		return s2e_error_errno("cannot get the free space of %s", s2e_q(staging));
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need <= avail)
		return 0;
	s2e_size_human(need, a, sizeof(a));
	s2e_size_human(avail, b, sizeof(b));
	return s2e_error("%s/vm/%s: its files hold %s of data, more than the %s free in %s",
			 s2e_store_url(p->st), p->remote, a, b, s2e_q(staging));
}

static int pull_file(struct pull *p, const char *staging, const struct s2e_store_file *f, int ifd)
{
	char *out = s2e_path_join(staging, f->name);
	char *what = s2e_asprintf("%s/vm/%s/%s.caibx", s2e_store_url(p->st), p->remote, f->name);
	struct s2e_chunk_stats s = {0};
	int rc = out && what ? 0 : -1;

	p->o.expect_size = f->size;
	if (!rc)
		rc = s2e_unchunk_file(p->st, ifd, what, out, &p->o, &s);
	add_stats(p->total, &s);
	if (!rc && (s.bytes != f->size || strcmp(s.digest, f->digest)))
		rc = s2e_error("%s: the file rebuilt is not the one the manifest names (%s, not %s)",
			       what, s.digest, f->digest);
	if (!rc)
		step(p, "pull %s", f->name);
	free(out);
	free(what);
	return rc;
}

/* Make the files pulled durable, all at the end: pull_file only starts
 * their writeback (sync_later), so that one file's writeback overlaps the
 * fetching of the next, as import does.  They stay open in p->fds. */
static int pull_sync(struct pull *p, const char *staging)
{
	for (size_t i = 0; i < p->m.nfiles; i++) {
		char *path = s2e_path_join(staging, p->m.files[i].name);
		int rc = 0;

		if (!path)
			return -1;
		p->fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (p->fds[i] < 0 || (!p->o.no_sync && fdatasync(p->fds[i])))
			rc = s2e_error_errno("cannot write %s", s2e_q(path));
		free(path);
		if (rc)
			return rc;
	}
	return 0;
}

/* The files pulled are known to match their indexes: keep those in the index
 * cache, so that pushing this VM or pulling next to it reads nothing. */
static void pull_cache(struct pull *p, const char *root)
{
	for (size_t i = 0; i < p->m.nfiles; i++) {
		char digest[S2E_DIGEST_LEN];
		struct s2e_cache_stamp stamp;
		int cfd = s2e_index_cached(root, p->fds[i], 1, &stamp, digest);

		if (cfd >= 0)
			close(cfd);
		else
			s2e_index_cache_store(root, p->fds[i], &stamp, p->ifds[i],
					      p->m.files[i].digest);
	}
	s2e_error_clear();
}

/* vm.config of the new VM: the manifest's [vm] and [snapshot] sections,
 * read back by the hardened reader, with origin and updated set. */
static int pull_meta(struct pull *p, const char *staging)
{
	char *path = s2e_path_join(staging, S2E_VM_META), now[64];
	char *origin = s2e_asprintf("pull of %s/%s (%s)", s2e_store_url(p->st), p->remote,
				    p->m.files[0].digest);
	struct s2e_meta meta = {0};
	int rc = path && origin ? 0 : -1;

	if (!rc && p->m.vmconfig)
		rc = s2e_write_file_atomic(path, p->m.vmconfig, strlen(p->m.vmconfig), 0644);
	if (!rc && (rc = s2e_meta_read(path, &meta)) == 1)
		rc = 0;
	s2e_time_utc(now, sizeof(now));
	if (!rc && !meta.created)
		rc = s2e_meta_set(&meta.created, now);
	if (!rc) {
		meta.size = p->m.files[0].size;
		if (s2e_meta_set(&meta.updated, now) || s2e_meta_set(&meta.origin, origin) ||
		    s2e_meta_set(&meta.digest, p->m.files[0].digest))
			rc = -1;
	}
	if (!rc)
		rc = s2e_meta_write(path, &meta);
	s2e_meta_free(&meta);
	free(path);
	free(origin);
	return rc;
}

static int pull_commit(struct pull *p, struct s2e_vmtx *tx)
{
	char *subject = s2e_asprintf("vm pull %s%s/%s %s", tx->exists ? "-f " : "",
				     s2e_sq(s2e_store_url(p->st)), p->remote, s2e_sq(p->name));
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int rc;

	if (!f || !subject) {
		if (f)
			fclose(f);
		free(subject);
		free(body);
		return s2e_error("out of memory");
	}
	fprintf(f, "VM: %s\nStore: %s\nStore VM: %s\n", p->name, s2e_store_url(p->st), p->remote);
	if (p->m.pushed_by)
		fprintf(f, "Pushed by: %s\n", s2e_printable(p->m.pushed_by));
	if (p->m.pushed_at)
		fprintf(f, "Pushed at: %s\n", s2e_printable(p->m.pushed_at));
	if (p->m.commit)
		fprintf(f, "Pushed from commit: %s\n", s2e_printable(p->m.commit));
	for (size_t i = 0; i < p->m.nfiles; i++)
		fprintf(f, "File: %s %llu bytes %s\n", p->m.files[i].name,
			(unsigned long long)p->m.files[i].size, p->m.files[i].digest);
	if (tx->exists)
		fputs("Replaces: the previous VM of that name\n", f);
	rc = fclose(f) ? s2e_error("out of memory") : s2e_vmtx_commit(tx, subject, body, NULL, 0);
	free(subject);
	free(body);
	return rc;
}

static struct s2e_progress *pull_bar(const struct pull *p)
{
	uint64_t size = 0, chunks = 0;

	for (size_t i = 0; i < p->m.nfiles; i++) {
		size += p->m.files[i].size;
		chunks += chunks_of(p->m.files[i].size);
	}
	return bar(p->r, "pull", size, chunks, "fetched");
}

static int pull_vm(struct pull *p, const char *root, int flags)
{
	struct seed sd = {0};
	char *from = NULL;
	struct s2e_vmtx tx;
	int rc = s2e_store_vm_read(p->c, p->remote, &p->m);

	if (rc == 0)
		rc = s2e_error_set(S2E_ENOTFOUND, "%s has no VM named %s", s2e_store_url(p->st),
				   s2e_q(p->remote));
	else if (rc == 1 && strcmp(p->m.name, p->remote))
		rc = s2e_error("%s/vm/%s/vm.config: names VM %s, not %s", s2e_store_url(p->st),
			       p->remote, s2e_q(p->m.name), s2e_q(p->remote));
	else if (rc == 1 && (!p->m.nfiles || strcmp(p->m.files[0].name, S2E_VM_DISK)))
		rc = s2e_error("%s/vm/%s/vm.config: no disk.s2e", s2e_store_url(p->st), p->remote);
	else if (rc == 1)
		rc = 0;
	if (rc || (rc = s2e_vmtx_begin(&tx, root, p->name,
				       (flags & S2E_VMOP_FORCE) ? S2E_VMTX_FORCE : 0)))
		return rc;
	if ((from = s2e_asprintf("pull of %s/%s (", s2e_store_url(p->st), p->remote)))
		seed_build(&sd, root, p->name, from, p->o.jobs);
	p->o.seed = sd.n ? seed_get : NULL;
	p->o.seed_ctx = &sd;
	if (!(p->ifds = malloc(2 * p->m.nfiles * sizeof(*p->ifds))))
		rc = s2e_error("out of memory");
	for (size_t i = 0; p->ifds && i < 2 * p->m.nfiles; i++)
		p->ifds[i] = -1;
	p->fds = p->ifds ? p->ifds + p->m.nfiles : NULL;
	if (!rc)
		rc = pull_indexes(p, tx.staging, p->ifds);
	if (!rc)
		p->o.progress = pull_bar(p);
	p->o.sync_later = 1;
	for (size_t i = 0; !rc && i < p->m.nfiles; i++)
		rc = pull_file(p, tx.staging, &p->m.files[i], p->ifds[i]);
	s2e_progress_finish(p->o.progress);
	p->o.progress = NULL;
	seed_free(&sd);
	free(from);
	if (!rc)
		rc = pull_sync(p, tx.staging);
	if (!rc)
		rc = pull_meta(p, tx.staging);
	if (!rc)
		rc = pull_commit(p, &tx);
	/* After the commit, whose time covers most of the wait the index cache
	 * needs after a file's last change; still under the lock. */
	if (!rc)
		pull_cache(p, root);
	for (size_t i = 0; p->ifds && i < 2 * p->m.nfiles; i++)
		if (p->ifds[i] >= 0)
			close(p->ifds[i]);
	free(p->ifds);
	s2e_vmtx_end(&tx);
	return rc;
}

int s2e_vm_pull(const char *root, const char *store, const char *remote, const char *name,
		unsigned jobs, int flags, const struct s2e_vm_report *r, struct s2e_chunk_stats *stats)
{
	/* Twice the cores on every store: a pull waits on reads and writes as
	 * much as it computes (bench/store), so more workers overlap them. */
	struct pull p = {.store = store, .remote = remote, .name = name ? name : remote,
			 .total = stats, .r = r, .o = {.jobs = jobs ? jobs : 2 * s2e_cores()}};
	int rc = s2e_vm_name_check(remote);

	memset(stats, 0, sizeof(*stats));
	if (!rc)
		rc = s2e_vm_name_check(p.name);
	if (!rc)
		rc = (p.st = open_store(store, 0, &p.c)) ? 0 : -1;
	if (!rc)
		rc = pull_vm(&p, root, flags);
	s2e_store_manifest_free(&p.m);
	if (p.c)
		s2e_store_conn_free(p.c);
	if (p.st)
		s2e_store_close(p.st);
	return rc;
}
