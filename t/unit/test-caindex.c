/* Unit tests for casync blob indexes: the writer's exact bytes, a round
 * trip, and hostile indexes, each refused with a message naming the index. */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/caindex.h"
#include "s2e/chunk.h"
#include "s2e/digest.h"
#include "s2e/error.h"

/* An index in memory: written through a pipe-less temporary file. */
static size_t write_index(unsigned n, const uint32_t *sizes, unsigned char *out, size_t cap)
{
	FILE *f = tmpfile();
	struct s2e_caindex_writer *w;
	size_t len;

	assert_non_null(f);
	w = s2e_caindex_writer_new(fileno(f), "test.caibx");
	assert_non_null(w);
	for (unsigned i = 0; i < n; i++) {
		unsigned char id[S2E_CHUNK_ID_LEN];
		memset(id, (int)i + 1, sizeof(id));
		assert_int_equal(s2e_caindex_writer_add(w, id, sizes[i]), 0);
	}
	assert_int_equal(s2e_caindex_writer_finish(w), 0);
	s2e_caindex_writer_free(w);
	rewind(f);
	len = fread(out, 1, cap, f);
	fclose(f);
	return len;
}

static uint64_t le64_at(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void put_le64_at(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* Read an index from memory; the return of the last next() call. */
static int read_index(const unsigned char *data, size_t len, uint64_t expect, uint64_t *count)
{
	FILE *f = tmpfile();
	struct s2e_caindex_reader *r;
	struct s2e_caindex_entry e;
	int rc;

	fwrite(data, 1, len, f);
	fflush(f);
	rewind(f);
	r = s2e_caindex_reader_new(fileno(f), "test.caibx", expect);
	while ((rc = s2e_caindex_next(r, &e)) > 0)
		;
	if (count)
		*count = s2e_caindex_count(r);
	s2e_caindex_reader_free(r);
	fclose(f);
	return rc;
}

static void writer_layout(void **state)
{
	uint32_t sizes[] = {S2E_CHUNK_MAX, S2E_CHUNK_MAX, 1000};
	unsigned char buf[4096];
	size_t len = write_index(3, sizes, buf, sizeof(buf));

	(void)state;
	assert_int_equal(len, 48 + 16 + 3 * 40 + 40);
	assert_int_equal(le64_at(buf), 48);
	assert_true(le64_at(buf + 8) == UINT64_C(0x96824d9c7b129ff9));
	assert_true(le64_at(buf + 16) == UINT64_C(0x9000000000000000));
	assert_int_equal(le64_at(buf + 24), S2E_CHUNK_MAX);
	assert_int_equal(le64_at(buf + 40), S2E_CHUNK_MAX);
	assert_true(le64_at(buf + 48) == UINT64_MAX);
	assert_int_equal(le64_at(buf + 64), S2E_CHUNK_MAX);
	assert_int_equal(le64_at(buf + 104), 2 * S2E_CHUNK_MAX);
	assert_int_equal(le64_at(buf + 144), 2 * S2E_CHUNK_MAX + 1000);
	assert_int_equal(le64_at(buf + len - 40), 0);
	assert_int_equal(le64_at(buf + len - 24), 48);
	assert_int_equal(le64_at(buf + len - 16), 16 + 3 * 40 + 40);
	assert_true(le64_at(buf + len - 8) == UINT64_C(0x4b4f050e5549ecd1));
}

static void round_trip_and_digest(void **state)
{
	uint32_t sizes[] = {S2E_CHUNK_MAX, 5};
	unsigned char buf[4096];
	size_t len = write_index(2, sizes, buf, sizeof(buf));
	FILE *f = tmpfile();
	struct s2e_caindex_reader *r;
	struct s2e_caindex_entry e;
	char digest[S2E_DIGEST_LEN];

	(void)state;
	fwrite(buf, 1, len, f);
	fflush(f);
	rewind(f);
	r = s2e_caindex_reader_new(fileno(f), "x", S2E_CHUNK_MAX + 5);
	assert_int_equal(s2e_caindex_next(r, &e), 1);
	assert_int_equal(e.offset, 0);
	assert_int_equal(e.size, S2E_CHUNK_MAX);
	assert_int_equal(e.id[0], 1);
	assert_int_equal(s2e_caindex_next(r, &e), 1);
	assert_int_equal(e.offset, S2E_CHUNK_MAX);
	assert_int_equal(e.size, 5);
	assert_int_equal(s2e_caindex_next(r, &e), 0);
	assert_int_equal(s2e_caindex_size(r), S2E_CHUNK_MAX + 5);
	assert_int_equal(s2e_caindex_digest(r, digest), 1);
	assert_true(!strncmp(digest, "sha256-1m:", 10));
	assert_int_equal(strlen(digest), S2E_DIGEST_LEN - 1);
	s2e_caindex_reader_free(r);
	fclose(f);
}

static void empty_index(void **state)
{
	unsigned char buf[256];
	size_t len = write_index(0, NULL, buf, sizeof(buf));
	uint64_t n = 1;

	(void)state;
	assert_int_equal(len, 48 + 16 + 40);
	assert_int_equal(read_index(buf, len, 0, &n), 0);
	assert_int_equal(n, 0);
}

static void writer_refuses_bad_sizes(void **state)
{
	struct s2e_caindex_writer *w = s2e_caindex_writer_new(-1, "w");
	unsigned char id[S2E_CHUNK_ID_LEN] = {0};

	(void)state;
	assert_int_equal(s2e_caindex_writer_add(w, id, 0), -1);
	assert_int_equal(s2e_caindex_writer_add(w, id, S2E_CHUNK_MAX + 1), -1);
	s2e_caindex_writer_free(w);
}

/* Each mutation of a good 3-chunk index must be refused, naming the index. */
static void expect_refused(void (*mutate)(unsigned char *, size_t *), uint64_t expect,
			   const char *reason)
{
	uint32_t sizes[] = {S2E_CHUNK_MAX, S2E_CHUNK_MAX, 1000};
	unsigned char buf[4096];
	size_t len = write_index(3, sizes, buf, sizeof(buf) - 64);

	mutate(buf, &len);
	assert_int_equal(read_index(buf, len, expect, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "test.caibx"));
	if (!strstr(s2e_error_last(), reason))
		fail_msg("'%s' does not say '%s'", s2e_error_last(), reason);
}

static void m_magic(unsigned char *b, size_t *l)
{
	(void)l;
	b[8] ^= 1;
}
static void m_header_size(unsigned char *b, size_t *l)
{
	(void)l;
	b[0] = 49;
}
static void m_sha512(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 16, UINT64_C(0x2000000000000000));
}
static void m_unknown_flag(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 16, UINT64_C(1) << 40);
}
static void m_big_max(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 40, 2 * S2E_CHUNK_MAX);
}
static void m_min_gt_avg(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 24, 2 * S2E_CHUNK_MAX);
}
static void m_table(unsigned char *b, size_t *l)
{
	(void)l;
	b[56] ^= 1;
}
static void m_unsorted(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 104, 1000);
}
static void m_overlap(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 104, S2E_CHUNK_MAX);
}
static void m_big_chunk(unsigned char *b, size_t *l)
{
	(void)l;
	put_le64_at(b + 64, S2E_CHUNK_MAX + 1);
}
static void m_trailing(unsigned char *b, size_t *l)
{
	b[(*l)++] = 'x';
}
static void m_truncated(unsigned char *b, size_t *l)
{
	(void)b;
	*l -= 1;
}
static void m_truncated_head(unsigned char *b, size_t *l)
{
	(void)b;
	*l = 30;
}
static void m_no_tail(unsigned char *b, size_t *l)
{
	(void)b;
	*l -= 40;
}
static void m_tail_size(unsigned char *b, size_t *l)
{
	put_le64_at(b + *l - 16, 999);
}
static void m_tail_marker(unsigned char *b, size_t *l)
{
	b[*l - 1] ^= 1;
}
static void m_none(unsigned char *b, size_t *l)
{
	(void)b;
	(void)l;
}

static void hostile_indexes(void **state)
{
	(void)state;
	expect_refused(m_magic, S2E_CAINDEX_ANY_SIZE, "bad magic");
	expect_refused(m_header_size, S2E_CAINDEX_ANY_SIZE, "bad magic");
	expect_refused(m_sha512, S2E_CAINDEX_ANY_SIZE, "SHA-512/256");
	expect_refused(m_unknown_flag, S2E_CAINDEX_ANY_SIZE, "feature flags");
	expect_refused(m_big_max, S2E_CAINDEX_ANY_SIZE, "larger than 1 MiB");
	expect_refused(m_min_gt_avg, S2E_CAINDEX_ANY_SIZE, "inconsistent");
	expect_refused(m_table, S2E_CAINDEX_ANY_SIZE, "table header");
	expect_refused(m_unsorted, S2E_CAINDEX_ANY_SIZE, "not increasing");
	expect_refused(m_overlap, S2E_CAINDEX_ANY_SIZE, "not increasing");
	expect_refused(m_big_chunk, S2E_CAINDEX_ANY_SIZE, "larger than");
	expect_refused(m_trailing, S2E_CAINDEX_ANY_SIZE, "trailing garbage");
	expect_refused(m_truncated, S2E_CAINDEX_ANY_SIZE, "truncated");
	expect_refused(m_truncated_head, S2E_CAINDEX_ANY_SIZE, "truncated");
	expect_refused(m_no_tail, S2E_CAINDEX_ANY_SIZE, "truncated");
	expect_refused(m_tail_size, S2E_CAINDEX_ANY_SIZE, "bad table tail");
	expect_refused(m_tail_marker, S2E_CAINDEX_ANY_SIZE, "bad table tail");
	expect_refused(m_none, 2 * S2E_CHUNK_MAX + 999, "expected");
	expect_refused(m_none, 2 * S2E_CHUNK_MAX + 1001, "expected");
	expect_refused(m_none, 5, "more than the expected");
}

/* An index whose items never end does not make the reader grow: it reads
 * item after item in constant memory and stops at the end of the data. */
static void endless_items_are_streamed(void **state)
{
	size_t n = 200000, len = 64 + n * 40;
	unsigned char *buf = calloc(1, len);
	uint32_t sizes[] = {1};

	(void)state;
	write_index(0, sizes, buf, 64);
	for (size_t i = 0; i < n; i++)
		put_le64_at(buf + 64 + 40 * i, (i + 1) * 100);
	assert_int_equal(read_index(buf, len, S2E_CAINDEX_ANY_SIZE, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "truncated"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(writer_layout),   cmocka_unit_test(round_trip_and_digest),
	    cmocka_unit_test(empty_index),     cmocka_unit_test(writer_refuses_bad_sizes),
	    cmocka_unit_test(hostile_indexes), cmocka_unit_test(endless_items_are_streamed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
