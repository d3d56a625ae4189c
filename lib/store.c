/* Stores: URL dispatch, name checks and the operations every back-end shares
 * (see include/s2e/store.h).  Back-ends: lib/store-dir.c, lib/store-http.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/chunk.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/sys.h"
#include "s2e/quote.h"
#include "store-backend.h"

struct s2e_store *s2e_store_open(const char *url, const struct s2e_store_options *options)
{
	static const struct s2e_store_options none;
	struct s2e_store *st = calloc(1, sizeof(*st));
	const char *prefix;
	int rc;

	if (!options)
		options = &none;
	prefix = options->chunk_prefix ? options->chunk_prefix : "chunks/";
	if (!st || !(st->url = strdup(url)) || !(st->chunk_prefix = strdup(prefix))) {
		s2e_error("out of memory");
		goto fail;
	}
	if (!*url) {
		s2e_error("empty store URL");
		goto fail;
	}
	if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8) ||
	    !strncmp(url, "s3://", 5))
		rc = s2e_store_http_open(st, url, options);
	else if (!strncmp(url, "file://", 7))
		rc = s2e_store_dir_open(st, url + 7);
	else if (strstr(url, "://"))
		rc = s2e_error("store %s: unknown URL scheme (file://, http://, https://, s3://)",
			       s2e_q(url));
	else
		rc = s2e_store_dir_open(st, url);
	if (rc == 0)
		return st;
fail:
	if (st) {
		if (st->ops && st->ops->close)
			st->ops->close(st);
		free(st->url);
		free(st->chunk_prefix);
		free(st);
	}
	return NULL;
}

void s2e_store_close(struct s2e_store *st)
{
	if (!st)
		return;
	if (st->ops && st->ops->close)
		st->ops->close(st);
	free(st->url);
	free(st->chunk_prefix);
	free(st);
}

const char *s2e_store_url(const struct s2e_store *st)
{
	return st->url;
}

int s2e_store_writable(const struct s2e_store *st)
{
	return st->writable;
}

unsigned s2e_store_default_jobs(const struct s2e_store *st)
{
	return st->network ? 2 * s2e_cores() : s2e_cores();
}

const char *s2e_store_chunk_prefix(const struct s2e_store *st)
{
	return st->chunk_prefix;
}

struct s2e_store_conn *s2e_store_conn_new(struct s2e_store *st)
{
	struct s2e_store_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		s2e_error("out of memory");
		return NULL;
	}
	c->st = st;
	c->priv = st->ops->conn_new ? st->ops->conn_new(st) : NULL;
	if (st->ops->conn_new && !c->priv) {
		free(c);
		return NULL;
	}
	return c;
}

void s2e_store_conn_free(struct s2e_store_conn *c)
{
	if (!c)
		return;
	if (c->st->ops->conn_free)
		c->st->ops->conn_free(c->priv);
	free(c);
}

struct s2e_store *s2e_store_conn_store(const struct s2e_store_conn *c)
{
	return c->st;
}

int s2e_store_name_check(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/')
		return s2e_error("bad object name %s", s2e_q(name));
	while (*p) {
		size_t len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
			return s2e_error("bad object name %s", s2e_q(name));
		p += len;
		if (*p == '/')
			p++;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return s2e_error("bad object name %s", s2e_q(name));
	return 0;
}

static int check_write(struct s2e_store_conn *c, const char *name)
{
	if (s2e_store_name_check(name))
		return -1;
	if (!c->st->writable)
		return s2e_error("store %s is read-only", s2e_q(c->st->url));
	return 0;
}

int s2e_store_has(struct s2e_store_conn *c, const char *name)
{
	if (s2e_store_name_check(name))
		return -1;
	return c->st->ops->stat(c->st, c->priv, name);
}

struct membuf {
	char *data;
	size_t len, cap, max;
	const char *name;
	const char *url;
};

static int mem_sink(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;

	if (len > m->max - m->len)
		return s2e_error("store %s: %s is larger than %zu bytes", s2e_q(m->url),
				 s2e_q(m->name), m->max);
	if (m->len + len + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->len + len + 1)
			cap *= 2;
		char *p = realloc(m->data, cap);
		if (!p)
			return s2e_error("out of memory");
		m->data = p;
		m->cap = cap;
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

int s2e_store_get(struct s2e_store_conn *c, const char *name, size_t max, char **data, size_t *len)
{
	struct membuf m = {.max = max, .name = name, .url = c->st->url};
	int rc;

	if (s2e_store_name_check(name))
		return -1;
	rc = c->st->ops->get(c->st, c->priv, name, mem_sink, &m);
	if (rc == 1 && !m.data && mem_sink(&m, "", 0))
		rc = -1;
	if (rc != 1) {
		free(m.data);
		return rc;
	}
	m.data[m.len] = '\0';
	*data = m.data;
	*len = m.len;
	return 1;
}

struct fdsink {
	int fd;
	uint64_t done, max;
	const char *name;
	const char *url;
};

static int fd_sink(void *ctx, const void *buf, size_t len)
{
	struct fdsink *f = ctx;
	const char *p = buf;

	if (len > f->max - f->done)
		return s2e_error("store %s: %s is larger than %llu bytes", s2e_q(f->url),
				 s2e_q(f->name), (unsigned long long)f->max);
	f->done += len;
	while (len) {
		ssize_t n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return s2e_error_errno("cannot write a copy of %s", s2e_q(f->name));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int s2e_store_get_fd(struct s2e_store_conn *c, const char *name, uint64_t max, int fd)
{
	struct fdsink f = {.fd = fd, .max = max, .name = name, .url = c->st->url};

	if (s2e_store_name_check(name))
		return -1;
	return c->st->ops->get(c->st, c->priv, name, fd_sink, &f);
}

int s2e_store_put(struct s2e_store_conn *c, const char *name, const void *data, size_t len,
		  int flags)
{
	struct s2e_store_body body = {.buf = data ? data : "", .fd = -1, .len = len};

	if (check_write(c, name))
		return -1;
	return c->st->ops->put(c->st, c->priv, name, &body, flags);
}

int s2e_store_put_fd(struct s2e_store_conn *c, const char *name, int fd, uint64_t len, int flags)
{
	struct s2e_store_body body = {.buf = NULL, .fd = fd, .len = len};

	if (check_write(c, name))
		return -1;
	return c->st->ops->put(c->st, c->priv, name, &body, flags);
}

int s2e_store_delete(struct s2e_store_conn *c, const char *name)
{
	if (check_write(c, name))
		return -1;
	return c->st->ops->del(c->st, c->priv, name);
}

int s2e_store_sync(struct s2e_store *st)
{
	return st->ops->sync ? st->ops->sync(st) : 0;
}

int s2e_store_remove_stale(struct s2e_store_conn *c, time_t before, uint64_t *removed)
{
	*removed = 0;
	if (!c->st->writable)
		return s2e_error("store %s is read-only", s2e_q(c->st->url));
	return c->st->ops->remove_stale ? c->st->ops->remove_stale(c->st, before, removed) : 0;
}

int s2e_store_list(struct s2e_store_conn *c, const char *dir, s2e_store_list_fn fn, void *ctx)
{
	if (!c->st->ops->list)
		return s2e_error("store %s cannot be listed (plain HTTP has no listing; "
				 "use a directory or s3:// store)",
				 s2e_q(c->st->url));
	return c->st->ops->list(c->st, c->priv, dir, fn, ctx);
}

struct vm_list {
	char **names;
	size_t n, cap;
};

static int collect_vm(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	struct vm_list *l = ctx;
	const char *vm = name + 3, *slash = strchr(vm, '/');
	char *copy;

	(void)size;
	(void)mtime;
	if (strncmp(name, "vm/", 3) || !slash || strcmp(slash, "/vm.config"))
		return 0;
	copy = strndup(vm, (size_t)(slash - vm));
	if (!copy)
		return s2e_error("out of memory");
	if (s2e_vm_name_check(copy)) {
		free(copy); /* not ours to show: a store may hold anything */
		s2e_error_clear();
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **p = realloc(l->names, cap * sizeof(*p));
		if (!p) {
			free(copy);
			return s2e_error("out of memory");
		}
		l->names = p;
		l->cap = cap;
	}
	l->names[l->n++] = copy;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int s2e_store_list_vms(struct s2e_store_conn *c, char ***names, size_t *n)
{
	struct vm_list l = {0};

	if (s2e_store_list(c, "vm/", collect_vm, &l)) {
		s2e_store_names_free(l.names, l.n);
		return -1;
	}
	if (l.n)
		qsort(l.names, l.n, sizeof(*l.names), cmp_names);
	*names = l.names;
	*n = l.n;
	return 0;
}

void s2e_store_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct chunk_walk {
	size_t skip;
	s2e_store_chunk_fn fn;
	void *ctx;
};

static int walk_chunk(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	struct chunk_walk *w = ctx;
	unsigned char id[S2E_CHUNK_ID_LEN];

	if (strlen(name) < w->skip || s2e_chunk_name_parse(name + w->skip, id))
		return 0;
	return w->fn(w->ctx, id, size, mtime);
}

int s2e_store_list_chunks(struct s2e_store_conn *c, s2e_store_chunk_fn fn, void *ctx)
{
	struct chunk_walk w = {strlen(c->st->chunk_prefix), fn, ctx};

	return s2e_store_list(c, c->st->chunk_prefix, walk_chunk, &w);
}

static char *chunk_name(struct s2e_store_conn *c, const unsigned char *id)
{
	char *name = malloc(strlen(c->st->chunk_prefix) + S2E_CHUNK_NAME_LEN);

	if (!name) {
		s2e_error("out of memory");
		return NULL;
	}
	s2e_chunk_name(c->st->chunk_prefix, id, name);
	return name;
}

int s2e_store_has_chunk(struct s2e_store_conn *c, const unsigned char *id)
{
	char *name = chunk_name(c, id);
	int rc = name ? c->st->ops->stat(c->st, c->priv, name) : -1;

	free(name);
	return rc;
}

int s2e_store_touch_chunk(struct s2e_store_conn *c, const unsigned char *id)
{
	char *name = chunk_name(c, id);
	int rc = -1;

	if (name)
		rc = c->st->ops->touch && c->st->writable ? c->st->ops->touch(c->st, c->priv, name)
							  : c->st->ops->stat(c->st, c->priv, name);
	free(name);
	return rc;
}

int s2e_store_put_chunk(struct s2e_store_conn *c, const unsigned char *id, const void *data,
			size_t len)
{
	char *name = chunk_name(c, id);
	int rc = name ? s2e_store_put(c, name, data, len, S2E_STORE_NOREPLACE) : -1;

	free(name);
	return rc;
}

int s2e_store_delete_chunk(struct s2e_store_conn *c, const unsigned char *id)
{
	char *name = chunk_name(c, id);
	int rc = name ? s2e_store_delete(c, name) : -1;

	free(name);
	return rc;
}

int s2e_store_delete_chunk_older(struct s2e_store_conn *c, const unsigned char *id, time_t before)
{
	char *name = chunk_name(c, id);
	int rc = -1;

	if (name && !check_write(c, name))
		rc = c->st->ops->del_older ? c->st->ops->del_older(c->st, c->priv, name, before)
		     : c->st->ops->del(c->st, c->priv, name) ? -1
							     : 1;
	free(name);
	return rc;
}

struct fixbuf {
	char *buf;
	size_t len, cap;
	const char *name;
};

static int fix_sink(void *ctx, const void *buf, size_t len)
{
	struct fixbuf *f = ctx;

	if (len > f->cap - f->len)
		return s2e_error("chunk %s is larger than a compressed 1 MiB chunk can be",
				 s2e_q(f->name));
	memcpy(f->buf + f->len, buf, len);
	f->len += len;
	return 0;
}

int s2e_store_get_chunk(struct s2e_store_conn *c, const unsigned char *id, void *buf, size_t cap,
			size_t *len)
{
	char *name = chunk_name(c, id);
	struct fixbuf f = {buf, 0, cap, name};
	int rc = name ? c->st->ops->get(c->st, c->priv, name, fix_sink, &f) : -1;

	free(name);
	*len = f.len;
	return rc;
}
