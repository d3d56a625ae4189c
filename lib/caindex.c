/* casync blob indexes: see include/s2e/caindex.h for the format. */
#include <endian.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/caindex.h"
#include "s2e/chunk.h"
#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

#define CA_FORMAT_INDEX UINT64_C(0x96824d9c7b129ff9)
#define CA_FORMAT_TABLE UINT64_C(0xe75b9e112f17417d)
#define CA_TAIL_MARKER	UINT64_C(0x4b4f050e5549ecd1)
#define CA_SHA512_256	UINT64_C(0x2000000000000000)
/* casync's exclude flags (nodump, submounts, .caexclude) and the archive
 * "with" flags: meaningless for a blob, accepted. */
#define CA_FLAGS_KNOWN (UINT64_C(0xd000000000000000) | UINT64_C(0xffffffff))
#define HEAD_LEN       48
#define TABLE_HEAD_LEN 16
#define ITEM_LEN       40
#define TAIL_LEN       40
#define IO_BUF	       65536

static void put_le64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

struct s2e_caindex_writer {
	int fd;
	char *name;
	uint64_t offset, items;
	size_t used;
	unsigned char buf[IO_BUF];
};

static int writer_flush(struct s2e_caindex_writer *w)
{
	size_t done = 0;

	while (done < w->used) {
		ssize_t n = write(w->fd, w->buf + done, w->used - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return s2e_error_errno("cannot write index %s", s2e_q(w->name));
		done += (size_t)n;
	}
	w->used = 0;
	return 0;
}

static int writer_put(struct s2e_caindex_writer *w, const unsigned char *p, size_t len)
{
	if (w->used + len > sizeof(w->buf) && writer_flush(w))
		return -1;
	memcpy(w->buf + w->used, p, len);
	w->used += len;
	return 0;
}

struct s2e_caindex_writer *s2e_caindex_writer_new(int fd, const char *name)
{
	struct s2e_caindex_writer *w = calloc(1, sizeof(*w));
	unsigned char head[HEAD_LEN + TABLE_HEAD_LEN];

	if (!w || !(w->name = strdup(name))) {
		free(w);
		s2e_error("out of memory");
		return NULL;
	}
	w->fd = fd;
	put_le64(head, HEAD_LEN);
	put_le64(head + 8, CA_FORMAT_INDEX);
	put_le64(head + 16, S2E_CAINDEX_FLAGS);
	for (int i = 0; i < 3; i++)
		put_le64(head + 24 + 8 * i, S2E_CHUNK_MAX);
	put_le64(head + 48, UINT64_MAX);
	put_le64(head + 56, CA_FORMAT_TABLE);
	writer_put(w, head, sizeof(head));
	return w;
}

int s2e_caindex_writer_add(struct s2e_caindex_writer *w, const unsigned char id[S2E_CHUNK_ID_LEN],
			   uint32_t size)
{
	unsigned char item[ITEM_LEN];

	if (size == 0 || size > S2E_CHUNK_MAX)
		return s2e_error("index %s: bad chunk size %u", s2e_q(w->name), size);
	w->offset += size;
	w->items++;
	put_le64(item, w->offset);
	memcpy(item + 8, id, S2E_CHUNK_ID_LEN);
	return writer_put(w, item, sizeof(item));
}

int s2e_caindex_writer_finish(struct s2e_caindex_writer *w)
{
	unsigned char tail[TAIL_LEN] = {0};

	put_le64(tail + 16, HEAD_LEN);
	put_le64(tail + 24, TABLE_HEAD_LEN + w->items * ITEM_LEN + TAIL_LEN);
	put_le64(tail + 32, CA_TAIL_MARKER);
	if (writer_put(w, tail, sizeof(tail)))
		return -1;
	return writer_flush(w);
}

void s2e_caindex_writer_free(struct s2e_caindex_writer *w)
{
	if (!w)
		return;
	free(w->name);
	free(w);
}

struct s2e_caindex_reader {
	int fd;
	char *name;
	uint64_t expect, chunk_max;
	uint64_t offset, items;
	int started, ended, fixed;
	EVP_MD_CTX *ids;
	unsigned char md[S2E_CHUNK_ID_LEN];
	uint32_t last_size;
	size_t pos, len;
	unsigned char buf[IO_BUF];
};

static int bad(struct s2e_caindex_reader *r, const char *why)
{
	return s2e_error("index %s: %s", s2e_q(r->name), why);
}

/* Exactly len bytes; 0 at a clean end of file before any byte, -1 otherwise. */
static int reader_get(struct s2e_caindex_reader *r, unsigned char *out, size_t len, int eof_ok)
{
	size_t got = 0;

	while (got < len) {
		if (r->pos == r->len) {
			ssize_t n = read(r->fd, r->buf, sizeof(r->buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return s2e_error_errno("cannot read index %s", s2e_q(r->name));
			if (n == 0)
				return got == 0 && eof_ok ? 0 : bad(r, "truncated");
			r->pos = 0;
			r->len = (size_t)n;
		}
		size_t take = r->len - r->pos < len - got ? r->len - r->pos : len - got;
		memcpy(out + got, r->buf + r->pos, take);
		r->pos += take;
		got += take;
	}
	return 1;
}

struct s2e_caindex_reader *s2e_caindex_reader_new(int fd, const char *name, uint64_t expect_size)
{
	struct s2e_caindex_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->name = strdup(name)) || !(r->ids = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(r->ids, EVP_sha256(), NULL) != 1) {
		s2e_caindex_reader_free(r);
		s2e_error("out of memory");
		return NULL;
	}
	r->fd = fd;
	r->expect = expect_size;
	r->fixed = 1;
	return r;
}

static int read_head(struct s2e_caindex_reader *r)
{
	unsigned char h[HEAD_LEN + TABLE_HEAD_LEN];
	uint64_t flags, cmin, cavg, cmax;

	if (reader_get(r, h, sizeof(h), 0) < 0)
		return -1;
	if (get_le64(h) != HEAD_LEN || get_le64(h + 8) != CA_FORMAT_INDEX)
		return bad(r, "not a casync index (bad magic)");
	flags = get_le64(h + 16);
	if (flags & CA_SHA512_256)
		return bad(r, "chunk IDs are SHA-512/256; only SHA-256 is supported");
	if (flags & ~CA_FLAGS_KNOWN)
		return bad(r, "unsupported feature flags");
	cmin = get_le64(h + 24);
	cavg = get_le64(h + 32);
	cmax = get_le64(h + 40);
	if (cmin == 0 || cmin > cavg || cavg > cmax)
		return bad(r, "inconsistent chunk sizes in the header");
	if (cmax > S2E_CHUNK_MAX)
		return bad(r, "chunks larger than 1 MiB are not supported");
	if (get_le64(h + 48) != UINT64_MAX || get_le64(h + 56) != CA_FORMAT_TABLE)
		return bad(r, "bad table header");
	r->chunk_max = cmax;
	r->started = 1;
	return 0;
}

static int read_tail(struct s2e_caindex_reader *r, const unsigned char *item)
{
	unsigned char extra;

	/* The "item" just read is the whole tail: 0, 0, 48, size, marker. */
	if (get_le64(item + 8) != 0 || get_le64(item + 16) != HEAD_LEN ||
	    get_le64(item + 24) != TABLE_HEAD_LEN + r->items * ITEM_LEN + TAIL_LEN ||
	    get_le64(item + 32) != CA_TAIL_MARKER)
		return bad(r, "bad table tail");
	int n = reader_get(r, &extra, 1, 1);
	if (n < 0)
		return -1;
	if (n > 0)
		return bad(r, "trailing garbage after the table");
	if (r->expect != S2E_CAINDEX_ANY_SIZE && r->offset != r->expect)
		return s2e_error("index %s: describes %llu bytes, expected %llu", s2e_q(r->name),
				 (unsigned long long)r->offset, (unsigned long long)r->expect);
	EVP_DigestFinal_ex(r->ids, r->md, NULL);
	r->ended = 1;
	return 0;
}

int s2e_caindex_next(struct s2e_caindex_reader *r, struct s2e_caindex_entry *e)
{
	unsigned char item[ITEM_LEN];
	uint64_t end;

	if (r->ended)
		return 0;
	if (!r->started && read_head(r))
		return -1;
	if (reader_get(r, item, sizeof(item), 0) < 0)
		return -1;
	end = get_le64(item);
	if (end == 0)
		return read_tail(r, item) ? -1 : 0;
	if (end <= r->offset)
		return bad(r, "chunk offsets are not increasing (unsorted or overlapping)");
	if (end - r->offset > r->chunk_max)
		return bad(r, "a chunk is larger than the index's maximum chunk size");
	if (r->expect != S2E_CAINDEX_ANY_SIZE && end > r->expect)
		return s2e_error("index %s: describes more than the expected %llu bytes",
				 s2e_q(r->name), (unsigned long long)r->expect);
	if (r->items && r->last_size != S2E_CHUNK_MAX)
		r->fixed = 0;
	e->offset = r->offset;
	e->size = (uint32_t)(end - r->offset);
	memcpy(e->id, item + 8, S2E_CHUNK_ID_LEN);
	EVP_DigestUpdate(r->ids, e->id, S2E_CHUNK_ID_LEN);
	r->last_size = e->size;
	r->offset = end;
	r->items++;
	return 1;
}

uint64_t s2e_caindex_size(const struct s2e_caindex_reader *r)
{
	return r->offset;
}

uint64_t s2e_caindex_count(const struct s2e_caindex_reader *r)
{
	return r->items;
}

int s2e_caindex_digest(const struct s2e_caindex_reader *r, char *out)
{
	if (!r->ended || !r->fixed)
		return 0;
	memcpy(out, S2E_DIGEST_PREFIX, strlen(S2E_DIGEST_PREFIX));
	s2e_chunk_hex(r->md, out + strlen(S2E_DIGEST_PREFIX));
	return 1;
}

void s2e_caindex_reader_free(struct s2e_caindex_reader *r)
{
	if (!r)
		return;
	EVP_MD_CTX_free(r->ids);
	free(r->name);
	free(r);
}

int s2e_caindex_check_fd(int fd, const char *name, uint64_t expect_size, uint64_t *size,
			 char *digest)
{
	struct s2e_caindex_reader *r = s2e_caindex_reader_new(fd, name, expect_size);
	struct s2e_caindex_entry e;
	int rc;

	if (!r)
		return -1;
	while ((rc = s2e_caindex_next(r, &e)) > 0)
		;
	if (rc == 0) {
		if (size)
			*size = s2e_caindex_size(r);
		if (digest && !s2e_caindex_digest(r, digest))
			digest[0] = '\0';
	}
	s2e_caindex_reader_free(r);
	return rc;
}
