/* Reading a package from an untrusted source (SPEC §4.1).
 *
 * The decompressed stream (pgzip.c, on its own threads) feeds libarchive,
 * which only parses: files are created by us with openat() relative to the
 * staging directory, O_CREAT|O_EXCL|O_NOFOLLOW, under names we have checked
 * (disk.s2e, disk.s2e.SNAP, the manifest) -- never with a path taken from the
 * archive.  Blocks of zeros are not written, so holes come back whether the
 * package stored them as sparse entries or as zeros.  Each file's digest is
 * computed as it is written and compared with the manifest at the end. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/json.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/s2eenv.h"

#define BLK	       4096
#define WRITEBACK_KICK (32 << 20)

/* The decompressed stream as libarchive reads it.  While a member's headers
 * are parsed (pax attributes and GNU sparse maps included), the bytes are
 * handed out in small slices and counted: libarchive keeps every sparse-map
 * entry in memory (about 50 bytes for 4 bytes of input), so the bound on
 * header bytes is what bounds its memory on any input. */
#define HEADER_SLICE (64 * 1024)

struct reader {
	struct s2e_zsource *src;
	struct s2e_progress *progress;
	const unsigned char *pending; /* the rest of the current block */
	size_t pending_len;
	int in_header;
	uint64_t header_bytes;
};

static la_ssize_t ar_read(struct archive *a, void *ctx, const void **buf)
{
	struct reader *r = ctx;
	size_t give;

	if (!r->pending_len) {
		const void *block;
		ssize_t n = s2e_zsource_read(r->src, &block);
		if (n < 0) {
			archive_set_error(a, EIO, "%s", s2e_error_last());
			return -1;
		}
		s2e_progress_update(r->progress, s2e_zsource_bytes(r->src));
		if (n == 0) /* the end: block may be NULL */
			return 0;
		r->pending = block;
		r->pending_len = (size_t)n;
	}
	give = r->pending_len;
	if (r->in_header) {
		if (give > HEADER_SLICE)
			give = HEADER_SLICE;
		r->header_bytes += give;
		if (r->header_bytes > S2E_UNPACK_HEADER_MAX + HEADER_SLICE) {
			archive_set_error(a, EFBIG,
					  "a member's headers (sparse map included) take more "
					  "than %d bytes",
					  S2E_UNPACK_HEADER_MAX);
			return -1;
		}
	}
	*buf = r->pending;
	r->pending += give;
	r->pending_len -= give;
	return (la_ssize_t)give;
}

/* The next member's header, read under the header bound. */
static int next_header(struct archive *a, struct reader *r, struct archive_entry **e)
{
	int rc;

	r->in_header = 1;
	r->header_bytes = 0;
	rc = archive_read_next_header(a, e);
	r->in_header = 0;
	return rc;
}

static int all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* Writes a file from data blocks at increasing offsets, skipping blocks of
 * zeros (they stay holes), and digests it on the way. */
struct bwriter {
	int fd; /* -1: digest only */
	const char *name;
	struct s2e_digest_stream *ds;
	uint64_t written, budget;
	uint64_t unsynced; /* bytes written since the last writeback kick */
	int nosync;
	/* the partly received block at pend_blk: bytes [lo, hi) */
	unsigned char pend[BLK];
	uint64_t pend_blk;
	size_t lo, hi;
	/* a run of whole non-zero blocks in the current buffer */
	const unsigned char *run;
	size_t run_len;
	uint64_t run_off;
};

static int bw_pwrite(struct bwriter *w, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;

	if (w->fd < 0)
		return 0;
	w->written += len;
	if (w->written > w->budget)
		return s2e_error("not enough free space to extract %s", s2e_q(w->name));
	while (len) {
		ssize_t n = pwrite(w->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return s2e_error_errno("cannot write %s", s2e_q(w->name));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	/* Start writing back as we go, so that the fdatasync() that makes the
	 * file durable before the VM is committed has little left to wait for. */
	w->unsynced += (uint64_t)(p - (const unsigned char *)buf);
	if (!w->nosync && w->unsynced >= WRITEBACK_KICK) {
		sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		w->unsynced = 0;
	}
	return 0;
}

/* Make a file's data durable (holes and size included). */
static int bw_sync(struct bwriter *w)
{
	if (w->nosync)
		return 0;
	if (w->fd >= 0 && fdatasync(w->fd))
		return s2e_error_errno("cannot write %s", s2e_q(w->name));
	return 0;
}

static int bw_flush_run(struct bwriter *w)
{
	int rc = 0;

	if (w->run_len)
		rc = bw_pwrite(w, w->run, w->run_len, w->run_off);
	w->run_len = 0;
	return rc;
}

static int bw_flush_pend(struct bwriter *w)
{
	int rc = 0;

	if (w->hi > w->lo && !all_zero(w->pend + w->lo, w->hi - w->lo))
		rc = bw_pwrite(w, w->pend + w->lo, w->hi - w->lo, w->pend_blk + w->lo);
	w->lo = w->hi = 0;
	return rc;
}

static int bw_feed(struct bwriter *w, const unsigned char *buf, size_t len, uint64_t off)
{
	while (len) {
		uint64_t blk = off & ~(uint64_t)(BLK - 1);
		size_t in_blk = (size_t)(off - blk);
		size_t take = BLK - in_blk < len ? BLK - in_blk : len;
		int zero = all_zero(buf, take);

		if (zero)
			s2e_digest_stream_zeros(w->ds, take);
		else
			s2e_digest_stream_data(w->ds, buf, take);
		if (take == BLK) {
			if (zero) {
				if (bw_flush_run(w))
					return -1;
			} else {
				if (!w->run_len) {
					w->run = buf;
					w->run_off = off;
				}
				w->run_len += BLK;
			}
		} else {
			/* A piece of a block: gather it with its other pieces. */
			if (bw_flush_run(w))
				return -1;
			if (w->hi > w->lo && (w->pend_blk != blk || w->hi != in_blk))
				if (bw_flush_pend(w))
					return -1;
			if (w->hi == w->lo) {
				w->pend_blk = blk;
				w->lo = w->hi = in_blk;
			}
			memcpy(w->pend + w->hi, buf, take);
			w->hi += take;
			if (w->hi == BLK && bw_flush_pend(w))
				return -1;
		}
		buf += take;
		off += take;
		len -= take;
	}
	return bw_flush_run(w);
}

struct unpack {
	const struct s2e_unpack_opts *o;
	struct s2e_unpack_result *res;
	struct archive *a;
	int dir_fd;
	uint64_t budget;
	char **created;
	size_t ncreated;
	int top_level_seen; /* a member without a leading directory */
	unsigned nsnaps;    /* snapshot files accepted so far */
	uint64_t total;	    /* their apparent sizes and the disk's */
};

static int add_created(struct unpack *u, const char *name)
{
	char **g = realloc(u->created, (u->ncreated + 1) * sizeof(*g));

	if (!g)
		return s2e_error("out of memory");
	u->created = g;
	if (!(g[u->ncreated] = s2e_strdup(name)))
		return -1;
	u->ncreated++;
	return 0;
}

/* The end of an unpack: on failure (rc != 0) the files it made are removed. */
static void forget_created(struct unpack *u, int dir_fd, int rc)
{
	for (size_t i = 0; i < u->ncreated; i++) {
		if (rc)
			unlinkat(dir_fd, u->created[i], 0);
		free(u->created[i]);
	}
	free(u->created);
	u->created = NULL;
	u->ncreated = 0;
}

static int ar_error(struct unpack *u, const char *what)
{
	const char *msg = archive_error_string(u->a);

	return s2e_error("corrupt package%s%s: %s", what ? ": " : "", what ? s2e_q(what) : "",
			 msg ? msg : "unreadable data");
}

static int create_file(struct unpack *u, const char *base)
{
	int fd =
	    openat(u->dir_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return s2e_error_errno("cannot create %s", s2e_q(base));
	if (add_created(u, base)) {
		close(fd);
		unlinkat(u->dir_fd, base, 0);
		return -1;
	}
	return fd;
}

static int extract_vm_file(struct unpack *u, struct archive_entry *e, const char *base,
			   struct s2e_unpack_file *f)
{
	struct bwriter w;
	const void *buf;
	size_t len;
	la_int64_t off;
	uint64_t pos = 0;
	int r, rc = -1;

	memset(&w, 0, sizeof(w));
	w.fd = -1;
	w.name = base;
	w.budget = u->budget;
	w.nosync = u->o->no_sync;
	f->size = (uint64_t)archive_entry_size(e);
	if (u->o->mode == S2E_UNPACK_LIST) {
		if (archive_read_data_skip(u->a) != ARCHIVE_OK)
			return ar_error(u, base);
		return 0;
	}
	if (u->o->mode == S2E_UNPACK_EXTRACT && (w.fd = create_file(u, base)) < 0)
		return -1;
	w.ds = s2e_digest_stream_new();
	if (!w.ds)
		goto out;
	while ((r = archive_read_data_block(u->a, &buf, &len, &off)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off > f->size ||
		    len > f->size - (uint64_t)off) {
			s2e_error("corrupt package: %s has data outside its size or out of order",
				  s2e_q(base));
			goto out;
		}
		if ((uint64_t)off > pos) {
			if (w.hi > w.lo && bw_flush_pend(&w))
				goto out;
			s2e_digest_stream_zeros(w.ds, (uint64_t)off - pos);
		}
		if (bw_feed(&w, buf, len, (uint64_t)off))
			goto out;
		pos = (uint64_t)off + len;
		f->stored += len;
	}
	if (r != ARCHIVE_EOF) {
		ar_error(u, base);
		goto out;
	}
	if (bw_flush_pend(&w))
		goto out;
	if (pos < f->size)
		s2e_digest_stream_zeros(w.ds, f->size - pos);
	if (w.fd >= 0 && ftruncate(w.fd, (off_t)f->size)) {
		s2e_error_errno("cannot extend %s", s2e_q(base));
		goto out;
	}
	/* The member's time, as tar restores it: snapshots made by hand are
	 * ordered by it (s2e/snapshot.h). */
	if (w.fd >= 0 && archive_entry_mtime_is_set(e) &&
	    futimens(w.fd, (struct timespec[]){{0, UTIME_OMIT},
					       {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}})) {
		s2e_error_errno("cannot set the time of %s", s2e_q(base));
		goto out;
	}
	u->budget -= w.written;
	s2e_digest_stream_finish(w.ds, f->digest);
	rc = 0;
out:
	s2e_digest_stream_free(w.ds);
	if (w.fd >= 0 && close(w.fd) && !rc)
		rc = s2e_error_errno("cannot write %s", s2e_q(base));
	return rc;
}

/* A small member's text (at most S2E_MANIFEST_MAX bytes), NUL-terminated;
 * what names it in messages ("manifest" for the manifest). */
static int read_small(struct unpack *u, struct archive_entry *e, const char *name,
		      const char *what, char **text, size_t *len)
{
	la_int64_t size = archive_entry_size(e);
	la_ssize_t n;
	size_t got = 0;

	if (size < 0 || size > S2E_MANIFEST_MAX)
		return s2e_error("%s%s is too large", what, s2e_q(name));
	if (!(*text = malloc((size_t)size + 1)))
		return s2e_error("out of memory");
	while ((n = archive_read_data(u->a, *text + got, (size_t)size - got + 1)) > 0)
		got += (size_t)n;
	if (n < 0 || got != (size_t)size)
		return ar_error(u, name);
	(*text)[got] = '\0';
	*len = got;
	return 0;
}

static int read_manifest(struct unpack *u, struct archive_entry *e)
{
	struct s2e_unpack_result *res = u->res;
	size_t got;

	if (read_small(u, e, S2E_MANIFEST_NAME, "manifest ", &res->manifest_text, &got))
		return -1;
	res->manifest_len = got;
	if (s2e_manifest_parse(res->manifest_text, got, &res->manifest))
		return -1;
	res->has_manifest = 1;
	if (u->o->mode == S2E_UNPACK_EXTRACT) {
		int fd = create_file(u, S2E_MANIFEST_NAME);
		size_t done = 0;
		if (fd < 0)
			return -1;
		while (done < got) {
			ssize_t w = write(fd, res->manifest_text + done, got - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				close(fd);
				return s2e_error_errno("cannot write %s", s2e_q(S2E_MANIFEST_NAME));
			}
			done += (size_t)w;
		}
		if (close(fd))
			return s2e_error_errno("cannot write %s", s2e_q(S2E_MANIFEST_NAME));
	}
	return 0;
}

/* The VM's own vm.config, in a tar of its directory: parsed here, once, with
 * the hardened reader; the caller takes the metadata from it. */
static int read_vmconfig(struct unpack *u, struct archive_entry *e, const char *raw)
{
	struct s2e_unpack_result *res = u->res;
	struct s2e_config cfg = {0};
	char *text = NULL;
	size_t len;
	int rc;

	if (res->has_vmconfig)
		return s2e_error("refusing package: %s appears twice", s2e_q(raw));
	rc = read_small(u, e, raw, "", &text, &len);
	if (!rc && !(rc = s2e_config_parse(text, len, raw, S2E_MANIFEST_MAX, &cfg)))
		rc = s2e_meta_from_config(&cfg, raw, &res->vmmeta);
	res->has_vmconfig = !rc;
	s2e_config_free(&cfg);
	free(text);
	return rc;
}

static int seen(struct unpack *u, const char *base)
{
	for (size_t i = 0; i < u->res->nfiles; i++)
		if (!strcmp(u->res->files[i].file, base))
			return 1;
	return u->res->manifest_text && !strcmp(base, S2E_MANIFEST_NAME);
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFCHR:
		return "a character device";
	case AE_IFBLK:
		return "a block device";
	case AE_IFIFO:
		return "a FIFO";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

/* A member in directory p[0..len): the package's one leading directory, D
 * or images/D (s2e-env's layout); a directory entry "images" alone is the
 * latter's parent. */
static int leading_dir(struct unpack *u, const char *raw, const char *p, size_t len, int is_dir)
{
	static const char images[] = "images/";
	const size_t ilen = sizeof(images) - 1;
	const char *lead = u->res->leading_dir, *slash = memchr(p, '/', len);

	if (is_dir && len == ilen - 1 && !memcmp(p, images, len) && !u->top_level_seen &&
	    (!lead || !strncmp(lead, images, ilen)))
		return 0;
	if ((slash && (slash != p + ilen - 1 || memcmp(p, images, ilen) || len == ilen ||
		       memchr(slash + 1, '/', len - ilen))) ||
	    u->top_level_seen || (lead && (strlen(lead) != len || memcmp(lead, p, len))))
		return s2e_error("refusing member %s: a package holds the VM files at its top "
				 "level or in one directory",
				 s2e_q(raw));
	if (!lead && !(u->res->leading_dir = strndup(p, len)))
		return s2e_error("out of memory");
	return 0;
}

/* s2e-env's names for the VM files (s2e/s2eenv.h): image.raw.s2e[.SNAP]
 * is disk.s2e[.SNAP]; *buf holds the name, the caller frees it. */
static const char *vm_file_name(const char *base, char **buf)
{
	static const char env[] = S2E_ENV_DISK;
	const size_t elen = sizeof(env) - 1;

	*buf = NULL;
	if (strncmp(base, env, elen) || (base[elen] && base[elen] != '.'))
		return base;
	*buf = s2e_asprintf("%s%s", S2E_VM_DISK, base + elen);
	return *buf;
}

/* s2e-env's image.json (the settings, s2e/s2eenv.h): kept as it is, at most
 * S2E_JSON_MAX_BYTES, for the importer to map. */
static int read_image_json(struct unpack *u, struct archive_entry *e, const char *raw)
{
	char *text = NULL;
	size_t len;
	int fd = -1, rc;

	if (u->res->has_image_json)
		return s2e_error("refusing package: %s appears twice", s2e_q(raw));
	if (archive_entry_size(e) > S2E_JSON_MAX_BYTES)
		return s2e_error("refusing member %s: larger than %d bytes", s2e_q(raw),
				 S2E_JSON_MAX_BYTES);
	rc = read_small(u, e, raw, "", &text, &len);
	if (!rc && u->o->mode == S2E_UNPACK_EXTRACT && (fd = create_file(u, S2E_ENV_JSON)) < 0)
		rc = -1;
	if (fd >= 0 && (s2e_pwrite_full(fd, text, len, 0) | close(fd)))
		rc = s2e_error_errno("cannot write %s", s2e_q(S2E_ENV_JSON));
	u->res->has_image_json = !rc;
	free(text);
	return rc;
}

/* A VM file that passed the checks: record it, compare its size with the
 * manifest's, extract (or check) it. */
static int take_file(struct unpack *u, struct archive_entry *e, const char *base)
{
	struct s2e_unpack_file *g = realloc(u->res->files, (u->res->nfiles + 1) * sizeof(*g));

	if (!g)
		return s2e_error("out of memory");
	u->res->files = g;
	g += u->res->nfiles;
	memset(g, 0, sizeof(*g));
	if (!(g->file = s2e_strdup(base)))
		return -1;
	u->res->nfiles++;
	if (u->res->has_manifest) {
		struct s2e_manifest_member *mm = s2e_manifest_find(&u->res->manifest, base);
		if (mm && mm->size != (uint64_t)archive_entry_size(e))
			return s2e_error("refusing package: %s is %lld bytes, the manifest says %llu",
					 s2e_q(base), (long long)archive_entry_size(e),
					 (unsigned long long)mm->size);
	}
	if (extract_vm_file(u, e, base, g))
		return -1;
	if (u->o->event)
		u->o->event(u->o->ctx, S2E_UNPACK_EXTRACTED, base, g->size,
			    u->o->mode == S2E_UNPACK_LIST ? NULL : g->digest);
	return 0;
}

/* The package-wide bounds, checked as each VM file is accepted. */
static int check_bounds(struct unpack *u, const char *raw, const char *base, uint64_t size)
{
	if (s2e_package_snap(base) && ++u->nsnaps > u->o->max_snapshots)
		return s2e_error("refusing member %s: the package holds more than %u snapshots "
				 "(--max-snapshots)",
				 s2e_q(raw), u->o->max_snapshots);
	u->total += size;
	if (u->total > u->o->max_total)
		return s2e_error("refusing member %s: the package's files would take more than "
				 "%llu bytes of apparent size in all (--max-total)",
				 s2e_q(raw), (unsigned long long)u->o->max_total);
	return 0;
}

/* Check one member and extract, skip or refuse it. */
static int member(struct unpack *u, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname_utf8(e), *p, *base, *slash;
	char *mapped = NULL;
	mode_t type = archive_entry_filetype(e);
	int rc = -1;

	if (!raw)
		raw = archive_entry_pathname(e);
	if (!raw || !*raw)
		return s2e_error("package member without a name");
	p = raw;
	while (p[0] == '.' && p[1] == '/')
		for (p += 2; *p == '/'; p++)
			;
	if (*raw == '/')
		return s2e_error("refusing member %s: absolute path", s2e_q(raw));
	for (const char *c = p; *c;) {
		size_t l = strcspn(c, "/");
		if (l == 2 && c[0] == '.' && c[1] == '.')
			return s2e_error("refusing member %s: path with '..'", s2e_q(raw));
		c += l;
		while (*c == '/')
			c++;
	}
	if (archive_entry_hardlink(e))
		return s2e_error("refusing member %s: it is a hard link", s2e_q(raw));
	if (type == AE_IFDIR) {
		size_t l = strlen(p);
		while (l && p[l - 1] == '/')
			l--;
		if (l == 0 || (l == 1 && p[0] == '.'))
			return archive_read_data_skip(u->a) == ARCHIVE_OK ? 0 : ar_error(u, raw);
		if (leading_dir(u, raw, p, l, 1))
			return -1;
		return archive_read_data_skip(u->a) == ARCHIVE_OK ? 0 : ar_error(u, raw);
	}
	if (type != AE_IFREG)
		return s2e_error("refusing member %s: it is %s", s2e_q(raw), type_name(type));
	slash = strrchr(p, '/');
	base = slash ? slash + 1 : p;
	if (slash) {
		size_t l = (size_t)(slash - p);
		while (l && p[l - 1] == '/')
			l--;
		if (leading_dir(u, raw, p, l, 0))
			return -1;
	} else {
		if (u->res->leading_dir) {
			s2e_error("refusing member %s: outside the package's directory %s",
				  s2e_q(raw), s2e_q(u->res->leading_dir));
			goto out;
		}
		u->top_level_seen = 1;
	}
	if (!(base = vm_file_name(base, &mapped)))
		goto out;
	if ((uint64_t)archive_entry_size(e) > u->o->max_size && !strncmp(base, "disk.s2e", 8)) {
		s2e_error("refusing member %s: it declares %lld bytes, more than the %llu allowed "
			  "(--max-size)",
			  s2e_q(raw), (long long)archive_entry_size(e),
			  (unsigned long long)u->o->max_size);
		goto out;
	}
	if (!strcmp(base, S2E_MANIFEST_NAME)) {
		if (seen(u, base)) {
			s2e_error("refusing package: %s appears twice", s2e_q(raw));
			goto out;
		}
		rc = read_manifest(u, e);
		goto out;
	}
	if (!strcmp(base, S2E_VM_META) || !strcmp(base, S2E_ENV_JSON)) {
		rc = base[0] == 'v' ? read_vmconfig(u, e, raw) : read_image_json(u, e, raw);
		goto out;
	}
	if (strcmp(base, S2E_VM_DISK) && !s2e_package_snap(base)) {
		if (u->o->event)
			u->o->event(u->o->ctx, S2E_UNPACK_SKIPPED, raw,
				    (uint64_t)archive_entry_size(e), NULL);
		rc = archive_read_data_skip(u->a) == ARCHIVE_OK ? 0 : ar_error(u, raw);
		goto out;
	}
	if (s2e_package_snap(base)) {
		const char *snap = s2e_package_snap(base);
		if (!*snap) {
			s2e_error("refusing member %s: empty snapshot name", s2e_q(raw));
			goto out;
		}
		if (s2e_snap_name_check(snap)) {
			s2e_error_prefix("refusing member %s", s2e_q(raw));
			goto out;
		}
	}
	if (seen(u, base)) {
		s2e_error("refusing package: %s appears twice", s2e_q(base));
		goto out;
	}
	if (check_bounds(u, raw, base, (uint64_t)archive_entry_size(e)) || take_file(u, e, base))
		goto out;
	rc = 0;
out:
	free(mapped);
	return rc;
}

/* Make every extracted file durable.  Done once at the end, so that the
 * writeback of one file overlaps with the extraction of the next. */
static int sync_created(struct unpack *u)
{
	for (size_t i = 0; i < u->ncreated; i++) {
		int fd = openat(u->dir_fd, u->created[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fdatasync(fd)) {
			s2e_error_errno("cannot write %s", s2e_q(u->created[i]));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* After the whole stream: the manifest and the files must agree. */
static int verify(struct unpack *u)
{
	struct s2e_unpack_result *res = u->res;
	int have_disk = 0;

	for (size_t i = 0; i < res->nfiles; i++)
		if (!strcmp(res->files[i].file, S2E_VM_DISK))
			have_disk = 1;
	if (!have_disk)
		return s2e_error("package has no %s", S2E_VM_DISK);
	if (!res->has_manifest)
		return 0;
	for (size_t i = 0; i < res->manifest.nmembers; i++) {
		struct s2e_manifest_member *mm = &res->manifest.members[i];
		struct s2e_unpack_file *f = NULL;
		for (size_t j = 0; j < res->nfiles; j++)
			if (!strcmp(res->files[j].file, mm->file))
				f = &res->files[j];
		if (!f)
			return s2e_error("package is missing %s, listed in its manifest",
					 s2e_q(mm->file));
		if (f->size != mm->size)
			return s2e_error("%s is %llu bytes, the manifest says %llu", s2e_q(f->file),
					 (unsigned long long)f->size, (unsigned long long)mm->size);
		if (u->o->mode != S2E_UNPACK_LIST && mm->digest && strcmp(mm->digest, f->digest))
			return s2e_error("%s does not match its digest in the manifest (%s, "
					 "manifest says %s)",
					 s2e_q(f->file), f->digest, mm->digest);
	}
	for (size_t j = 0; j < res->nfiles; j++)
		if (!s2e_manifest_find(&res->manifest, res->files[j].file))
			return s2e_error("%s is not listed in the package's manifest",
					 s2e_q(res->files[j].file));
	return 0;
}

/* Only in-process decompressors: with every filter enabled, an input that
 * starts "LRZI", "\x89LZO" or "GRZipII" makes libarchive run lrzip, lzop or
 * grzip from PATH.  gzip and zstd are normally undone by pgzip.c already;
 * libarchive answers ARCHIVE_WARN when it would use an external program. */
static int enable_filters(struct archive *a)
{
	static const struct {
		const char *name;
		int (*enable)(struct archive *);
	} filters[] = {
		{"gzip", archive_read_support_filter_gzip},
		{"zstd", archive_read_support_filter_zstd},
		{"xz", archive_read_support_filter_xz},
		{"bzip2", archive_read_support_filter_bzip2},
	};

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (filters[i].enable(a) != ARCHIVE_OK)
			return s2e_error("this libarchive cannot decompress %s in-process",
					 filters[i].name);
	return 0;
}

int s2e_unpack(int in_fd, int dir_fd, const struct s2e_unpack_opts *opts,
	       struct s2e_unpack_result *res)
{
	struct s2e_unpack_opts o = *opts;
	struct unpack u = {.o = &o, .res = res, .dir_fd = dir_fd, .budget = UINT64_MAX};
	struct reader rd = {.progress = opts->progress};
	struct archive_entry *e;
	int r, rc = -1, opened = 0;

	memset(res, 0, sizeof(*res));
	if (!o.max_size)
		o.max_size = S2E_UNPACK_MAX_SIZE;
	if (!o.max_total)
		o.max_total = S2E_UNPACK_MAX_TOTAL;
	if (!o.max_snapshots)
		o.max_snapshots = S2E_UNPACK_MAX_SNAPSHOTS;
	if (o.mode == S2E_UNPACK_EXTRACT) {
		struct statvfs vfs;
		if (fstatvfs(dir_fd, &vfs))
			return s2e_error_errno("cannot check free space");
		u.budget = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	}
	rd.src = s2e_zsource_open(in_fd, o.threads);
	if (!rd.src)
		return -1;
	res->compression = s2e_zsource_kind(rd.src);
	u.a = archive_read_new();
	if (!u.a) {
		s2e_error("out of memory");
		goto out;
	}
	archive_read_support_format_tar(u.a);
	if (enable_filters(u.a))
		goto out;
	if (archive_read_open2(u.a, &rd, NULL, ar_read, NULL, NULL) != ARCHIVE_OK) {
		ar_error(&u, NULL);
		goto out;
	}
	opened = 1;
	if (!strcmp(res->compression, "none") && archive_filter_count(u.a) > 1)
		res->compression = archive_filter_name(u.a, 0);
	while ((r = next_header(u.a, &rd, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (member(&u, e))
			goto out;
	if (r != ARCHIVE_EOF) {
		ar_error(&u, NULL);
		goto out;
	}
	if (s2e_zsource_finish(rd.src, res->sha256, &res->bytes))
		goto out;
	if (verify(&u) || (o.mode == S2E_UNPACK_EXTRACT && !o.no_sync && sync_created(&u)))
		goto out;
	rc = 0;
out:
	if (u.a) {
		if (opened)
			archive_read_close(u.a);
		archive_read_free(u.a);
	}
	s2e_zsource_close(rd.src);
	forget_created(&u, dir_fd, rc);
	return rc;
}

int s2e_unpack_raw(int in_fd, int dir_fd, const struct s2e_unpack_opts *opts,
		   struct s2e_unpack_result *res)
{
	struct unpack u = {.o = opts, .res = res, .dir_fd = dir_fd, .budget = UINT64_MAX};
	struct s2e_unpack_file *f;
	struct bwriter w;
	struct statvfs vfs;
	unsigned char *buf = NULL;
	EVP_MD_CTX *sha = NULL;
	unsigned char md[32];
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	w.fd = -1;
	w.name = S2E_VM_DISK;
	w.nosync = opts->no_sync;
	res->compression = "raw";
	if (opts->mode == S2E_UNPACK_EXTRACT) {
		if (fstatvfs(dir_fd, &vfs))
			return s2e_error_errno("cannot check free space");
		u.budget = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	}
	w.budget = u.budget;
	res->files = f = calloc(1, sizeof(*f));
	buf = malloc(S2E_ZBLOCK);
	sha = EVP_MD_CTX_new();
	w.ds = s2e_digest_stream_new();
	if (!f || !buf || !sha || !w.ds || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    !(f->file = s2e_strdup(S2E_VM_DISK))) {
		s2e_error("out of memory");
		goto out;
	}
	res->nfiles = 1;
	if (opts->mode == S2E_UNPACK_EXTRACT && (w.fd = create_file(&u, S2E_VM_DISK)) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(in_fd, buf, S2E_ZBLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s2e_error_errno("cannot read the image");
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(sha, buf, (size_t)n);
		if (bw_feed(&w, buf, (size_t)n, f->size))
			goto out;
		f->size += (uint64_t)n;
		if (f->size > (opts->max_size ? opts->max_size : S2E_UNPACK_MAX_SIZE)) {
			s2e_error("the image is larger than the %llu bytes allowed (--max-size)",
				  (unsigned long long)(opts->max_size ? opts->max_size
								      : S2E_UNPACK_MAX_SIZE));
			goto out;
		}
		s2e_progress_add(opts->progress, (uint64_t)n);
	}
	if (bw_flush_pend(&w))
		goto out;
	if (w.fd >= 0 && ftruncate(w.fd, (off_t)f->size)) {
		s2e_error_errno("cannot extend %s", S2E_VM_DISK);
		goto out;
	}
	if (bw_sync(&w))
		goto out;
	f->stored = w.written;
	res->bytes = f->size;
	s2e_digest_stream_finish(w.ds, f->digest);
	EVP_DigestFinal_ex(sha, md, NULL);
	s2e_sha256_hex(md, res->sha256);
	if (w.fd >= 0) {
		int fd = w.fd;
		w.fd = -1;
		if (close(fd)) {
			s2e_error_errno("cannot write %s", S2E_VM_DISK);
			goto out;
		}
	}
	if (opts->event)
		opts->event(opts->ctx, S2E_UNPACK_EXTRACTED, S2E_VM_DISK, f->size, f->digest);
	rc = 0;
out:
	if (w.fd >= 0)
		close(w.fd);
	s2e_digest_stream_free(w.ds);
	EVP_MD_CTX_free(sha);
	free(buf);
	forget_created(&u, dir_fd, rc);
	return rc;
}

void s2e_unpack_result_free(struct s2e_unpack_result *res)
{
	for (size_t i = 0; i < res->nfiles; i++)
		free(res->files[i].file);
	free(res->files);
	s2e_manifest_free(&res->manifest);
	free(res->manifest_text);
	s2e_meta_free(&res->vmmeta);
	free(res->leading_dir);
	memset(res, 0, sizeof(*res));
}
