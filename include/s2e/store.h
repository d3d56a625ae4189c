/* Stores (SPEC §8): where VMs are published and fetched, addressed by URL.
 *
 *   PATH, file://PATH     a directory (local or a shared file system); read/write
 *   http://…, https://…   any static web server serving a store directory; read only
 *   s3://BUCKET/PREFIX    an S3-compatible object store, AWS Signature V4
 *                         (libcurl's CURLOPT_AWS_SIGV4); read/write.  Endpoint:
 *                         options->s3_endpoint, else $S2E_S3_ENDPOINT (path-style
 *                         URLs: ENDPOINT/BUCKET/PREFIX/…), else AWS
 *                         (https://BUCKET.s3.REGION.amazonaws.com).  Credentials:
 *                         AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 *                         AWS_REGION (default us-east-1); no key: unsigned requests.
 *
 * Objects are named by paths relative to the store root ("vm/NAME/vm.config",
 * "chunks/abcd/abcd….cacnk"); names come from this program, never from the
 * store, and are checked (no "..", no leading '/', no empty component).
 *
 * Every transfer goes through a connection (struct s2e_store_conn): one per
 * thread, so N workers make N parallel transfers; an HTTP connection keeps its
 * curl handle, and so its TCP/TLS connection, between requests.
 *
 * Writes: a directory store writes each object under a hidden temporary name
 * in the same directory and renames it into place (S2E_STORE_NOREPLACE: an
 * object already present is kept, never rewritten); s3 writes are single PUTs.
 * s2e_store_sync() makes everything written so far durable (syncfs on a
 * directory store; a no-op elsewhere), so that a caller can order "chunks,
 * then indexes, then the manifest".
 *
 * Errors name the store URL and the object (codes from error.h: S2E_ENOTFOUND
 * with "not found", S2E_EEXISTS for S2E_STORE_EXCL): not found (404), connection
 * refused, access denied (403, with S3's error code such as
 * InvalidAccessKeyId), truncated transfer, read-only store. */
#ifndef S2E_STORE_H
#define S2E_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct s2e_store_options {
	const char *s3_endpoint; /* NULL: $S2E_S3_ENDPOINT, else AWS */
	/* Where chunks live under the root: NULL means "chunks/" (a store);
	 * "" addresses a bare casync chunk store (casync --store=DIR). */
	const char *chunk_prefix;
};

struct s2e_store;
struct s2e_store_conn;

struct s2e_store *s2e_store_open(const char *url, const struct s2e_store_options *options);
void s2e_store_close(struct s2e_store *st);
const char *s2e_store_url(const struct s2e_store *st);
int s2e_store_writable(const struct s2e_store *st);
/* Parallel transfers by default: cores for a directory, cores x 2 for the network. */
unsigned s2e_store_default_jobs(const struct s2e_store *st);
const char *s2e_store_chunk_prefix(const struct s2e_store *st);

struct s2e_store_conn *s2e_store_conn_new(struct s2e_store *st);
void s2e_store_conn_free(struct s2e_store_conn *c);
struct s2e_store *s2e_store_conn_store(const struct s2e_store_conn *c);

#define S2E_STORE_NOREPLACE 1 /* keep an object already present */
#define S2E_STORE_SYNC	    2 /* durable before returning (directory store) */
#define S2E_STORE_EXCL	    4 /* fail with S2E_EEXISTS if the object is present */

/* 1 present, 0 absent, -1 error. */
int s2e_store_has(struct s2e_store_conn *c, const char *name);
/* Whole object into a malloc'd buffer (NUL-terminated) of at most max bytes:
 * 1 found, 0 absent (message set: "… not found"), -1 error. */
int s2e_store_get(struct s2e_store_conn *c, const char *name, size_t max, char **data, size_t *len);
/* The same into an open file (written from its current position). */
int s2e_store_get_fd(struct s2e_store_conn *c, const char *name, uint64_t max, int fd);
int s2e_store_put(struct s2e_store_conn *c, const char *name, const void *data, size_t len,
		  int flags);
/* len bytes of fd from offset 0. */
int s2e_store_put_fd(struct s2e_store_conn *c, const char *name, int fd, uint64_t len, int flags);
/* A missing object is fine. */
int s2e_store_delete(struct s2e_store_conn *c, const char *name);
int s2e_store_sync(struct s2e_store *st);

/* Every object under dir ("vm/", "chunks/"), recursively, names relative to
 * the root, hidden temporaries left out; mtime 0 when unknown.  A callback
 * returning non-zero stops the walk with that value. */
typedef int (*s2e_store_list_fn)(void *ctx, const char *name, uint64_t size, time_t mtime);
int s2e_store_list(struct s2e_store_conn *c, const char *dir, s2e_store_list_fn fn, void *ctx);

/* Remove the temporaries that writers killed mid-write left behind (hidden
 * ".NAME.tmp.XXXXXX" files of a directory store) whose mtime is before
 * `before`; *removed counts them.  A no-op on other stores (an S3 PUT leaves
 * nothing half-written).  For gc, with the same grace period as chunks. */
int s2e_store_remove_stale(struct s2e_store_conn *c, time_t before, uint64_t *removed);

/* The VMs in a store: NAME of every vm/NAME/vm.config whose NAME is a valid
 * VM name, sorted.  Free with s2e_store_names_free(). */
int s2e_store_list_vms(struct s2e_store_conn *c, char ***names, size_t *n);
void s2e_store_names_free(char **names, size_t n);
/* Every chunk (name parsed back to its ID; other files ignored). */
typedef int (*s2e_store_chunk_fn)(void *ctx, const unsigned char *id, uint64_t size, time_t mtime);
int s2e_store_list_chunks(struct s2e_store_conn *c, s2e_store_chunk_fn fn, void *ctx);
/* Chunk objects by ID: the name under the store's chunk prefix. */
int s2e_store_has_chunk(struct s2e_store_conn *c, const unsigned char *id);
/* Like has, but a chunk found present gets its time refreshed (utimensat on a
 * directory store, a copy onto itself on S3), so that a gc running at the
 * same time, which removes only unreferenced chunks older than its grace
 * period, cannot remove a chunk a push is counting on. */
int s2e_store_touch_chunk(struct s2e_store_conn *c, const unsigned char *id);
int s2e_store_put_chunk(struct s2e_store_conn *c, const unsigned char *id, const void *data,
			size_t len);
int s2e_store_delete_chunk(struct s2e_store_conn *c, const unsigned char *id);
/* Remove a chunk unless its time is `before` or later, looked at again just
 * before removing it (after moving it aside on a directory store, by a HEAD
 * on S3): 1 removed, 0 kept, -1 error. */
int s2e_store_delete_chunk_older(struct s2e_store_conn *c, const unsigned char *id, time_t before);
/* Compressed bytes of a chunk into buf (cap bytes); 1, 0 absent, -1 error. */
int s2e_store_get_chunk(struct s2e_store_conn *c, const unsigned char *id, void *buf, size_t cap,
			size_t *len);

/* Check a name this program builds (see above); -1 with a message if bad. */
int s2e_store_name_check(const char *name);

#endif
