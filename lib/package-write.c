/* Writing a package: libarchive produces the uncompressed pax stream into
 * our callback, which hands it to the parallel compressor (pgzip.c).  Each
 * file is read once, in file order, data extents only (SEEK_DATA/SEEK_HOLE);
 * its digest is computed on the way and goes into the manifest, written last.
 * Holes are declared as sparse entries: libarchive expects the hole bytes to
 * be passed to archive_write_data() and drops them, so they are fed from a
 * static buffer of zeros (no I/O, no compression). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <langinfo.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/progress.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

#define IO_CHUNK (1024 * 1024)
/* Holes shorter than this are packed as data (zeros compress to nothing and
 * import skips zero blocks): it keeps the sparse map small on fragmented files. */
#define MIN_HOLE (64 * 1024)

static const unsigned char zeros[IO_CHUNK];

struct sink {
	int fd;
	int regular; /* a file: start its writeback as we go (the caller fsyncs) */
	EVP_MD_CTX *sha;
	uint64_t bytes, unsynced;
};

static int sink_write(void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;
	const unsigned char *p = buf;

	EVP_DigestUpdate(s->sha, buf, len);
	s->bytes += len;
	while (len) {
		ssize_t n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return s2e_error_errno("cannot write package");
		p += n;
		len -= (size_t)n;
		s->unsynced += (uint64_t)n;
	}
	if (s->regular && s->unsynced >= (32 << 20)) {
		sync_file_range(s->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		s->unsynced = 0;
	}
	return 0;
}

static la_ssize_t aw_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	if (s2e_zwriter_write(ctx, buf, len)) {
		archive_set_error(a, EIO, "%s", s2e_error_last());
		return -1;
	}
	return (la_ssize_t)len;
}

static int ar_fail(struct archive *a, const char *what)
{
	return s2e_error("%s: %s", what, archive_error_string(a));
}

/* Write len bytes of zeros as entry data (hole bytes; libarchive drops them). */
static int write_zeros(struct archive *a, uint64_t len)
{
	while (len) {
		size_t take = len < IO_CHUNK ? (size_t)len : IO_CHUNK;
		if (archive_write_data(a, zeros, take) != (la_ssize_t)take)
			return -1;
		len -= take;
	}
	return 0;
}

struct extent {
	uint64_t off, len;
};

/* Data extents of fd, holes shorter than MIN_HOLE merged into data. */
static int extents(int fd, uint64_t size, struct extent **out, size_t *n)
{
	struct extent *x = NULL;
	size_t nx = 0, cap = 0;
	uint64_t pos = 0;

	while (pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		off_t hole;
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0) {
			/* No SEEK_DATA here: the whole file is data. */
			data = (off_t)pos;
			hole = (off_t)size;
		} else {
			hole = lseek(fd, data, SEEK_HOLE);
			if (hole < 0 || (uint64_t)hole > size)
				hole = (off_t)size;
		}
		if (nx && (uint64_t)data - (x[nx - 1].off + x[nx - 1].len) < MIN_HOLE) {
			x[nx - 1].len = (uint64_t)hole - x[nx - 1].off;
		} else {
			if (nx == cap) {
				struct extent *g;
				cap = cap ? 2 * cap : 16;
				g = realloc(x, cap * sizeof(*x));
				if (!g) {
					free(x);
					return s2e_error("out of memory");
				}
				x = g;
			}
			x[nx].off = (uint64_t)data;
			x[nx].len = (uint64_t)hole - (uint64_t)data;
			nx++;
		}
		pos = (uint64_t)hole;
	}
	*out = x;
	*n = nx;
	return 0;
}

static int pack_file(struct archive *a, int dfd, const char *file, unsigned char *buf,
		     const struct s2e_pack_opts *o, struct s2e_manifest *m)
{
	int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct archive_entry *e = NULL;
	struct s2e_digest_stream *ds = NULL;
	struct extent *x = NULL;
	size_t nx = 0;
	struct stat st;
	uint64_t pos = 0, size;
	char digest[S2E_DIGEST_LEN];
	int rc = -1;

	if (fd < 0)
		return s2e_error_errno("cannot open %s", s2e_q(file));
	if (fstat(fd, &st)) {
		s2e_error_errno("cannot stat %s", s2e_q(file));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		s2e_error("%s is not a regular file", s2e_q(file));
		goto out;
	}
	size = (uint64_t)st.st_size;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (extents(fd, size, &x, &nx))
		goto out;
	e = archive_entry_new();
	ds = s2e_digest_stream_new();
	if (!e || !ds) {
		s2e_error("out of memory");
		goto out;
	}
	archive_entry_set_pathname(e, file);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (!(nx == 1 && x[0].off == 0 && x[0].len == size)) {
		for (size_t i = 0; i < nx; i++)
			archive_entry_sparse_add_entry(e, (la_int64_t)x[i].off,
						       (la_int64_t)x[i].len);
		if (!nx || x[nx - 1].off + x[nx - 1].len < size)
			/* Records the size when the file ends in a hole. */
			archive_entry_sparse_add_entry(e, (la_int64_t)size, 0);
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		ar_fail(a, file);
		goto out;
	}
	for (size_t i = 0; i <= nx; i++) {
		uint64_t start = i < nx ? x[i].off : size;
		uint64_t end = i < nx ? x[i].off + x[i].len : size;
		if (start > pos) {
			if (write_zeros(a, start - pos)) {
				ar_fail(a, file);
				goto out;
			}
			s2e_digest_stream_zeros(ds, start - pos);
			pos = start;
		}
		while (pos < end) {
			size_t want = end - pos < IO_CHUNK ? (size_t)(end - pos) : IO_CHUNK;
			ssize_t got = pread(fd, buf, want, (off_t)pos);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				s2e_error_errno("cannot read %s", s2e_q(file));
				goto out;
			}
			if (got == 0) {
				s2e_error("%s shrank while it was being packed", s2e_q(file));
				goto out;
			}
			s2e_digest_stream_data(ds, buf, (size_t)got);
			if (archive_write_data(a, buf, (size_t)got) != got) {
				ar_fail(a, file);
				goto out;
			}
			pos += (uint64_t)got;
			s2e_progress_add(o->progress, (uint64_t)got);
		}
	}
	if (archive_write_finish_entry(a) != ARCHIVE_OK) {
		ar_fail(a, file);
		goto out;
	}
	s2e_digest_stream_finish(ds, digest);
	if (s2e_manifest_add(m, file, size, digest))
		goto out;
	if (o->packed)
		o->packed(o->ctx, file, digest);
	rc = 0;
out:
	free(x);
	s2e_digest_stream_free(ds);
	archive_entry_free(e);
	close(fd);
	return rc;
}

static int write_manifest(struct archive *a, const char *dir, struct s2e_manifest *m)
{
	char *cfg_path = s2e_path_join(dir, "vm.config"), *cfg = NULL, *text = NULL;
	size_t cfg_len = 0, len = 0;
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (!cfg_path || !e) {
		s2e_error("out of memory");
		goto out;
	}
	if (!access(cfg_path, F_OK) && s2e_read_file(cfg_path, &cfg, &cfg_len))
		goto out;
	if (cfg && cfg_len > S2E_MANIFEST_MAX / 2) {
		free(cfg);
		cfg = NULL; /* not something to carry along */
	}
	text = s2e_manifest_format(m, cfg, &len);
	if (!text)
		goto out;
	if (len > S2E_MANIFEST_MAX) {
		s2e_error("the manifest would be %zu bytes, more than the %d a package may hold",
			  len, S2E_MANIFEST_MAX);
		goto out;
	}
	archive_entry_set_pathname(e, S2E_MANIFEST_NAME);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, text, len) != (la_ssize_t)len ||
	    archive_write_finish_entry(a) != ARCHIVE_OK) {
		ar_fail(a, S2E_MANIFEST_NAME);
		goto out;
	}
	rc = 0;
out:
	archive_entry_free(e);
	free(text);
	free(cfg);
	free(cfg_path);
	return rc;
}

int s2e_pack(const char *dir, int out_fd, const struct s2e_pack_opts *o,
	     struct s2e_pack_result *result)
{
	struct sink sink = {.fd = out_fd};
	struct s2e_manifest m = {.version = 1};
	struct s2e_zwriter *zw = NULL;
	struct archive *a = NULL;
	unsigned char *buf = NULL;
	char **files = NULL, created[64], *base = NULL;
	size_t nfiles = 0;
	int dfd = -1, rc = -1, opened = 0;
	unsigned char md[32];

	if (s2e_package_members(dir, &files, &nfiles))
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		s2e_error_errno("cannot open %s", s2e_q(dir));
		goto out;
	}
	{
		struct stat st;
		sink.regular = !fstat(out_fd, &st) && S_ISREG(st.st_mode);
	}
	sink.sha = EVP_MD_CTX_new();
	buf = malloc(IO_CHUNK);
	if (!sink.sha || !buf || EVP_DigestInit_ex(sink.sha, EVP_sha256(), NULL) != 1) {
		s2e_error("out of memory");
		goto out;
	}
	if (o->name) {
		base = s2e_strdup(o->name);
	} else {
		char *copy = s2e_strdup(dir), *slash;
		size_t l = copy ? strlen(copy) : 0;
		while (l > 1 && copy[l - 1] == '/')
			copy[--l] = '\0';
		slash = copy ? strrchr(copy, '/') : NULL;
		base = copy ? s2e_strdup(slash ? slash + 1 : copy) : NULL;
		free(copy);
	}
	if (!base)
		goto out;
	m.name = base;
	base = NULL;
	s2e_time_utc(created, sizeof(created));
	m.created = s2e_strdup(created);
	if (o->exported_from)
		m.exported_from = s2e_strdup(o->exported_from);
	zw = s2e_zwriter_new(o->format, o->level, o->threads, sink_write, &sink);
	if (!zw)
		goto out;
	a = archive_write_new();
	if (!a) {
		s2e_error("out of memory");
		goto out;
	}
	if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    /* Names are valid UTF-8 (checked).  libarchive converts them from the
	     * locale's charset and fails in a non-UTF-8 one (the plumbing sets a
	     * UTF-8 LC_CTYPE); then store them as bytes (GNU tar warns about
	     * the hdrcharset keyword but extracts them right). */
	    (strcmp(nl_langinfo(CODESET), "UTF-8") &&
	     archive_write_set_format_option(a, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK) ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, zw, NULL, aw_write, NULL, NULL) != ARCHIVE_OK) {
		ar_fail(a, "cannot start the package");
		goto out;
	}
	opened = 1;
	for (size_t i = 0; i < nfiles; i++)
		if (pack_file(a, dfd, files[i], buf, o, &m))
			goto out;
	if (write_manifest(a, dir, &m))
		goto out;
	opened = 0;
	if (archive_write_close(a) != ARCHIVE_OK) {
		ar_fail(a, "cannot finish the package");
		goto out;
	}
	if (s2e_zwriter_finish(zw))
		goto out;
	EVP_DigestFinal_ex(sink.sha, md, NULL);
	if (result) {
		s2e_sha256_hex(md, result->sha256);
		result->bytes = sink.bytes;
	}
	rc = 0;
out:
	if (a) {
		if (opened)
			archive_write_fail(a);
		archive_write_free(a);
	}
	s2e_zwriter_free(zw);
	s2e_manifest_free(&m);
	s2e_package_members_free(files, nfiles);
	EVP_MD_CTX_free(sink.sha);
	free(buf);
	free(base);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
