/* VMs in a store: manifests, indexes, verify and gc.  See include/s2e/storevm.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s2e/caindex.h"
#include "s2e/chunk.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"
#include "s2e/store.h"
#include "s2e/storevm.h"

/* Index bytes for a file of size bytes in 1 MiB chunks. */
static uint64_t index_len(uint64_t size)
{
	return 48 + 16 + 40 * ((size + S2E_CHUNK_MAX - 1) / S2E_CHUNK_MAX) + 40;
}

/* "vm/NAME/FILE" and, for messages, "STORE/vm/NAME/FILE". */
static int object(struct s2e_store_conn *c, const char *vm, const char *file, const char *suffix,
		  char **name, char **what)
{
	char *f = s2e_asprintf("%s%s", file, suffix);

	*name = f ? s2e_store_vm_path(vm, f) : NULL;
	free(f);
	*what = *name ? s2e_asprintf("%s/%s", s2e_store_url(s2e_store_conn_store(c)), *name) : NULL;
	if (!*what) {
		free(*name);
		*name = NULL;
		return -1;
	}
	return 0;
}

int s2e_store_vm_read(struct s2e_store_conn *c, const char *vm, struct s2e_store_manifest *m)
{
	char *name, *what, *text = NULL;
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	if (object(c, vm, S2E_STORE_MANIFEST, "", &name, &what))
		return -1;
	rc = s2e_store_get(c, name, S2E_STORE_MANIFEST_MAX, &text, &len);
	if (rc == 0)
		s2e_error_set(S2E_ENOTFOUND, "store %s has no VM %s",
			      s2e_q(s2e_store_url(s2e_store_conn_store(c))), s2e_q(vm));
	if (rc == 1 && s2e_store_manifest_parse(text, len, what, m))
		rc = -1;
	if (rc == 1 && strcmp(m->name, vm)) {
		rc = s2e_error("%s: names VM %s", what, s2e_q(m->name));
		s2e_store_manifest_free(m);
	}
	free(text);
	free(name);
	free(what);
	return rc;
}

int s2e_store_vm_write(struct s2e_store_conn *c, const char *vm, const struct s2e_store_manifest *m,
		       int replace)
{
	char *name, *what, *text;
	size_t len;
	int rc;

	if (object(c, vm, S2E_STORE_MANIFEST, "", &name, &what))
		return -1;
	text = s2e_store_manifest_format(m, &len);
	rc = text ? s2e_store_sync(s2e_store_conn_store(c)) : -1;
	if (rc == 0)
		rc = s2e_store_put(c, name, text, len,
				   S2E_STORE_SYNC | (replace ? 0 : S2E_STORE_EXCL));
	if (rc == S2E_EEXISTS)
		s2e_error_set(S2E_EEXISTS, "store %s already has a VM %s",
			      s2e_q(s2e_store_url(s2e_store_conn_store(c))), s2e_q(vm));
	free(text);
	free(name);
	free(what);
	return rc;
}

int s2e_store_vm_put_index(struct s2e_store_conn *c, const char *vm, const char *file, int fd,
			   uint64_t len)
{
	char *name, *what;
	int rc;

	if (object(c, vm, file, ".caibx", &name, &what))
		return -1;
	rc = s2e_store_put_fd(c, name, fd, len, 0);
	free(name);
	free(what);
	return rc;
}

/* vm/NAME/index/HEX.caibx, HEX the hex part of a sha256-1m digest. */
static char *version_name(const char *vm, const char *digest)
{
	char *file, *name;

	if (strncmp(digest, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX))) {
		s2e_error("%s is not a sha256-1m digest", s2e_q(digest));
		return NULL;
	}
	file = s2e_asprintf("index/%s.caibx", digest + strlen(S2E_DIGEST_PREFIX));
	name = file ? s2e_store_vm_path(vm, file) : NULL;
	free(file);
	return name;
}

int s2e_store_vm_put_version(struct s2e_store_conn *c, const char *vm, const char *digest, int fd,
			     uint64_t len)
{
	char *name = version_name(vm, digest);
	int rc = name ? s2e_store_put_fd(c, name, fd, len, S2E_STORE_NOREPLACE) : -1;

	free(name);
	return rc;
}

/* Download object name into fd (emptied first) and check it against f. */
static int get_checked(struct s2e_store_conn *c, const char *name, const struct s2e_store_file *f,
		       int fd)
{
	char digest[S2E_DIGEST_LEN];
	char *what = s2e_asprintf("%s/%s", s2e_store_url(s2e_store_conn_store(c)), name);
	uint64_t size;
	int rc = what ? 0 : -1;

	if (!rc && (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET)))
		rc = s2e_error_errno("cannot empty the copy of %s", s2e_q(what));
	if (!rc)
		rc = s2e_store_get_fd(c, name, index_len(f->size), fd);
	if (rc == 1 && lseek(fd, 0, SEEK_SET) == 0)
		rc = s2e_caindex_check_fd(fd, what, f->size, &size, digest);
	else if (rc == 1)
		rc = s2e_error_errno("cannot rewind the copy of %s", s2e_q(what));
	else if (rc == 0)
		rc = -1; /* the message says "not found" */
	if (rc == 0 && strcmp(digest, f->digest))
		rc = s2e_error("%s gives digest %s, the manifest says %s", s2e_q(what),
			       digest[0] ? digest : "(none: not 1 MiB chunks)", f->digest);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
		rc = s2e_error_errno("cannot rewind the copy of %s", s2e_q(what));
	free(what);
	return rc;
}

int s2e_store_vm_get_index(struct s2e_store_conn *c, const char *vm, const struct s2e_store_file *f,
			   int fd)
{
	struct s2e_error_state first;
	char *name, *what, *version = NULL;
	int rc;

	if (object(c, vm, f->name, ".caibx", &name, &what))
		return -1;
	rc = get_checked(c, name, f, fd);
	/* A push that was interrupted after the manifest, or a pull racing a
	 * push: FILE.caibx may still be the previous version; the copy under
	 * the digest's name is the one the manifest names. */
	if (rc) {
		s2e_error_save(&first);
		version = version_name(vm, f->digest);
		if (!version || get_checked(c, version, f, fd))
			rc = s2e_error_restore(&first);
		else
			rc = 0;
	}
	free(version);
	free(name);
	free(what);
	return rc;
}

struct prune {
	struct s2e_store_conn *c;
	const struct s2e_store_manifest *m, *old;
	time_t before;
	size_t prefix;
};

/* Whether m names the index copy whose name (after vm/NAME/index/) is hex. */
static int names_copy(const struct s2e_store_manifest *m, const char *hex)
{
	for (size_t i = 0; m && i < m->nfiles; i++) {
		const char *d = m->files[i].digest + strlen(S2E_DIGEST_PREFIX);
		if (!strncmp(hex, d, strlen(d)) && !strcmp(hex + strlen(d), ".caibx"))
			return 1;
	}
	return 0;
}

static int prune_one(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	struct prune *p = ctx;
	const char *hex = name + p->prefix;

	(void)size;
	if (names_copy(p->m, hex) || (!names_copy(p->old, hex) && mtime >= p->before))
		return 0;
	return s2e_store_delete(p->c, name);
}

int s2e_store_vm_prune(struct s2e_store_conn *c, const char *vm, const struct s2e_store_manifest *m,
		       const struct s2e_store_manifest *old, time_t before)
{
	char *dir = s2e_store_vm_path(vm, "index/");
	struct prune p = {c, m, old, before, dir ? strlen(dir) : 0};
	int rc = dir ? s2e_store_list(c, dir, prune_one, &p) : -1;

	free(dir);
	return rc;
}

static void add_stats(struct s2e_chunk_stats *t, const struct s2e_chunk_stats *s)
{
	t->chunks += s->chunks;
	t->bytes += s->bytes;
	t->zero += s->zero;
	t->fetched += s->fetched;
	t->fetched_bytes += s->fetched_bytes;
}

static int verify_file(struct s2e_store *st, struct s2e_store_conn *c, const char *vm,
		       const struct s2e_store_file *f, unsigned jobs, struct s2e_chunk_stats *total)
{
	struct s2e_chunk_options o = {.jobs = jobs, .expect_size = f->size};
	struct s2e_chunk_stats stats;
	FILE *tmp = tmpfile();
	int rc;

	if (!tmp)
		return s2e_error_errno("cannot create a temporary file");
	rc = s2e_store_vm_get_index(c, vm, f, fileno(tmp));
	if (rc == 0)
		rc = s2e_unchunk_fd(st, fileno(tmp), f->name, -1, &o, &stats);
	if (rc == 0)
		add_stats(total, &stats);
	fclose(tmp);
	return rc;
}

int s2e_store_vm_verify(struct s2e_store *st, const char *vm, unsigned jobs,
			struct s2e_chunk_stats *total)
{
	struct s2e_store_conn *c = s2e_store_conn_new(st);
	struct s2e_store_manifest m;
	int rc = c ? s2e_store_vm_read(c, vm, &m) : -1;

	memset(total, 0, sizeof(*total));
	if (rc == 0)
		rc = -1;
	if (rc == 1) {
		rc = 0;
		for (size_t i = 0; i < m.nfiles && rc == 0; i++)
			rc = verify_file(st, c, vm, &m.files[i], jobs, total);
		/* Never read back, but casync extract needs it. */
		if (rc == 0 && total->zero && s2e_store_has_chunk(c, s2e_chunk_zero_id()) != 1)
			rc = s2e_error("store %s: the all-zero chunk is missing",
				       s2e_q(s2e_store_url(st)));
		s2e_store_manifest_free(&m);
	}
	if (rc)
		s2e_error_prefix("VM %s", s2e_q(vm));
	s2e_store_conn_free(c);
	return rc;
}

/* The set of referenced chunk IDs: an array, sorted and deduplicated once
 * all indexes are read. */
struct idset {
	unsigned char *ids;
	size_t n, cap;
};

static int idset_add(struct idset *s, const unsigned char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		unsigned char *p = realloc(s->ids, cap * S2E_CHUNK_ID_LEN);
		if (!p)
			return s2e_error("out of memory");
		s->ids = p;
		s->cap = cap;
	}
	memcpy(s->ids + s->n++ * S2E_CHUNK_ID_LEN, id, S2E_CHUNK_ID_LEN);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, S2E_CHUNK_ID_LEN);
}

static void idset_sort(struct idset *s)
{
	size_t w = 0;

	if (!s->n)
		return;
	qsort(s->ids, s->n, S2E_CHUNK_ID_LEN, cmp_id);
	for (size_t r = 1; r < s->n; r++)
		if (memcmp(s->ids + r * S2E_CHUNK_ID_LEN, s->ids + w * S2E_CHUNK_ID_LEN,
			   S2E_CHUNK_ID_LEN))
			memcpy(s->ids + ++w * S2E_CHUNK_ID_LEN, s->ids + r * S2E_CHUNK_ID_LEN,
			       S2E_CHUNK_ID_LEN);
	s->n = w + 1;
}

struct gc {
	struct s2e_store *st;
	struct s2e_store_conn *c;
	struct idset refs;
	struct s2e_store_gc_stats *stats;
	time_t before;
	int dry_run;
};

/* Add the chunks of one index (any .caibx under vm/) to the referenced set. */
static int gc_index(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	struct gc *g = ctx;
	size_t len = strlen(name);
	struct s2e_caindex_reader *r = NULL;
	struct s2e_caindex_entry e;
	FILE *tmp;
	int rc;

	(void)size;
	(void)mtime;
	if (len < 6 || strcmp(name + len - 6, ".caibx"))
		return 0;
	if (!(tmp = tmpfile()))
		return s2e_error_errno("cannot create a temporary file");
	rc = s2e_store_get_fd(g->c, name, UINT64_MAX, fileno(tmp));
	if (rc == 1) {
		rc = lseek(fileno(tmp), 0, SEEK_SET) == 0 ? 0 : -1;
		r = rc ? NULL : s2e_caindex_reader_new(fileno(tmp), name, S2E_CAINDEX_ANY_SIZE);
		while (r && (rc = s2e_caindex_next(r, &e)) > 0)
			if (idset_add(&g->refs, e.id)) {
				rc = -1;
				break;
			}
		rc = r ? rc : -1;
	} else if (rc == 0) {
		rc = 0; /* removed since the listing: a VM replaced or deleted */
	}
	s2e_caindex_reader_free(r);
	fclose(tmp);
	if (rc == 0)
		g->stats->indexes++;
	return rc ? s2e_error_prefix("gc stopped, nothing removed") : 0;
}

static int gc_chunk(void *ctx, const unsigned char *id, uint64_t size, time_t mtime)
{
	struct gc *g = ctx;
	int rc;

	g->stats->chunks++;
	if (g->refs.n && bsearch(id, g->refs.ids, g->refs.n, S2E_CHUNK_ID_LEN, cmp_id))
		return 0;
	if (mtime >= g->before) {
		g->stats->recent++;
		return 0;
	}
	rc = g->dry_run ? 1 : s2e_store_delete_chunk_older(g->c, id, g->before);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		g->stats->recent++; /* touched by a push since the listing */
		return 0;
	}
	g->stats->removed++;
	g->stats->removed_bytes += size;
	return 0;
}

int s2e_store_gc(struct s2e_store *st, time_t grace, int dry_run, struct s2e_store_gc_stats *s)
{
	struct gc g = {.st = st, .stats = s, .before = time(NULL) - grace, .dry_run = dry_run};
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (!s2e_store_writable(st) && !dry_run)
		return s2e_error("store %s is read-only", s2e_q(s2e_store_url(st)));
	if (!(g.c = s2e_store_conn_new(st)))
		return -1;
	if (s2e_store_list(g.c, "vm/", gc_index, &g) == 0) {
		idset_sort(&g.refs);
		s->referenced = g.refs.n;
		rc = s2e_store_list_chunks(g.c, gc_chunk, &g);
	}
	if (rc == 0 && !dry_run)
		rc = s2e_store_remove_stale(g.c, g.before, &s->temporaries);
	free(g.refs.ids);
	s2e_store_conn_free(g.c);
	return rc;
}
