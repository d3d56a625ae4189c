/* The vtable behind include/s2e/store.h: one per kind of store.  Internal to
 * lib/store*.c.  Names reaching a back-end are already checked.  Errors are
 * set with the store URL and the object named. */
#ifndef S2E_STORE_BACKEND_H
#define S2E_STORE_BACKEND_H

#include "s2e/store.h"

/* Bytes of a GET, in order; non-zero stops the transfer. */
typedef int (*s2e_store_sink_fn)(void *ctx, const void *buf, size_t len);

/* A PUT body: buf when not NULL, else len bytes of fd from offset 0. */
struct s2e_store_body {
	const void *buf;
	int fd;
	uint64_t len;
};

struct s2e_store_ops {
	void *(*conn_new)(struct s2e_store *st);
	void (*conn_free)(void *conn);
	/* 1 present, 0 absent, -1 error */
	int (*stat)(struct s2e_store *st, void *conn, const char *name);
	/* stat, and refresh the object's time if present; NULL: stat only */
	int (*touch)(struct s2e_store *st, void *conn, const char *name);
	/* 1 done, 0 absent, -1 error */
	int (*get)(struct s2e_store *st, void *conn, const char *name, s2e_store_sink_fn sink,
		   void *ctx);
	int (*put)(struct s2e_store *st, void *conn, const char *name,
		   const struct s2e_store_body *body, int flags);
	int (*del)(struct s2e_store *st, void *conn, const char *name);
	/* 1 removed, 0 kept (time >= before); NULL: del */
	int (*del_older)(struct s2e_store *st, void *conn, const char *name, time_t before);
	int (*list)(struct s2e_store *st, void *conn, const char *dir, s2e_store_list_fn fn,
		    void *ctx);
	int (*sync)(struct s2e_store *st);
	/* NULL: nothing can be left half-written */
	int (*remove_stale)(struct s2e_store *st, time_t before, uint64_t *removed);
	void (*close)(struct s2e_store *st);
};

struct s2e_store {
	const struct s2e_store_ops *ops;
	char *url;
	char *chunk_prefix;
	int writable;
	int network;
	void *priv;
};

struct s2e_store_conn {
	struct s2e_store *st;
	void *priv;
};

/* Back-end constructors: fill st->ops, st->priv, st->writable, st->network. */
int s2e_store_dir_open(struct s2e_store *st, const char *path);
int s2e_store_http_open(struct s2e_store *st, const char *url, const struct s2e_store_options *o);

#endif
