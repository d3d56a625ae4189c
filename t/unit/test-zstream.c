/* Unit tests for the compression streams: the parallel gzip/zstd writer
 * (zwriter.h) and the decompressing source (zsource.h), including foreign
 * gzip, truncation, corruption and failures on the worker threads.  Also run
 * under ThreadSanitizer (make SANITIZE=thread check). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/zsource.h"
#include "s2e/zwriter.h"

struct buf {
	unsigned char *data;
	size_t len, cap;
};

static int to_buf(void *ctx, const void *p, size_t len)
{
	struct buf *b = ctx;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->data = realloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static unsigned char *sample(size_t len)
{
	unsigned char *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (i / 4096) % 3 == 0 ? (unsigned char)rand() : (unsigned char)(i % 7);
	return p;
}

static int fd_of(const void *data, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Read everything from a source; returns -1 on error. */
static ssize_t read_all(int fd, struct buf *out, const char **kind)
{
	struct s2e_zsource *s = s2e_zsource_open(fd, 2);
	const void *p;
	ssize_t n;
	char sha[65];

	if (!s)
		return -1;
	*kind = s2e_zsource_kind(s);
	while ((n = s2e_zsource_read(s, &p)) > 0)
		to_buf(out, p, (size_t)n);
	if (n == 0 && s2e_zsource_finish(s, sha, NULL))
		n = -1;
	s2e_zsource_close(s);
	return n;
}

/* len sample bytes, and their gzip by the writer (2 threads). */
static unsigned char *gzip_sample(size_t len, struct buf *packed)
{
	unsigned char *in = sample(len);
	struct s2e_zwriter *w = s2e_zwriter_new(S2E_Z_GZIP, 1, 2, to_buf, packed);

	assert_non_null(w);
	assert_int_equal(s2e_zwriter_write(w, in, len), 0);
	assert_int_equal(s2e_zwriter_finish(w), 0);
	s2e_zwriter_free(w);
	return in;
}

static void round_trip(enum s2e_zformat fmt, const char *want_kind, size_t len)
{
	unsigned char *in = sample(len);
	struct buf packed = {0}, back = {0};
	struct s2e_zwriter *w = s2e_zwriter_new(fmt, 0, 3, to_buf, &packed);
	const char *kind;
	int fd;

	assert_non_null(w);
	/* odd-sized writes cross the 1 MiB block boundaries */
	for (size_t off = 0; off < len; off += 333333)
		assert_int_equal(
		    s2e_zwriter_write(w, in + off, len - off < 333333 ? len - off : 333333), 0);
	assert_int_equal(s2e_zwriter_finish(w), 0);
	s2e_zwriter_free(w);
	fd = fd_of(packed.data, packed.len);
	assert_int_equal(read_all(fd, &back, &kind), 0);
	close(fd);
	assert_string_equal(kind, want_kind);
	assert_int_equal(back.len, len);
	assert_memory_equal(back.data, in, len);
	free(in);
	free(packed.data);
	free(back.data);
}

static void gzip_round_trip(void **state)
{
	(void)state;
	round_trip(S2E_Z_GZIP, "gzip", 5 * 1024 * 1024 + 12345);
	round_trip(S2E_Z_GZIP, "gzip", 10);
}

static void zstd_round_trip(void **state)
{
	(void)state;
	round_trip(S2E_Z_ZSTD, "zstd", 3 * 1024 * 1024 + 7);
}

static void none_round_trip(void **state)
{
	(void)state;
	round_trip(S2E_Z_NONE, "none", 2 * 1024 * 1024 + 1);
}

/* The gzip writer's output is one gzip file zlib reads in full. */
static void gzip_readable_by_zlib(void **state)
{
	size_t len = 3 * 1024 * 1024 + 5;
	struct buf packed = {0};
	unsigned char *in = gzip_sample(len, &packed), *out = malloc(len + 1);
	z_stream z;
	size_t got = 0;
	int ret = Z_OK;

	(void)state;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = packed.data;
	z.avail_in = (uInt)packed.len;
	while (z.avail_in) {
		z.next_out = out + got;
		z.avail_out = (uInt)(len + 1 - got);
		ret = inflate(&z, Z_NO_FLUSH);
		got = len + 1 - z.avail_out;
		assert_true(ret == Z_OK || ret == Z_STREAM_END);
		if (ret == Z_STREAM_END && z.avail_in)
			inflateReset(&z);
	}
	inflateEnd(&z);
	assert_int_equal(got, len);
	assert_memory_equal(out, in, len);
	free(in);
	free(out);
	free(packed.data);
}

/* A gzip stream from zlib (no member index) is read on the zlib path. */
static void foreign_gzip(void **state)
{
	size_t len = 2 * 1024 * 1024 + 3;
	unsigned char *in = sample(len);
	unsigned char *gz = malloc(len + 1024);
	struct buf back = {0};
	const char *kind;
	z_stream z;
	int fd;

	(void)state;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = in;
	z.avail_in = (uInt)len;
	z.next_out = gz;
	z.avail_out = (uInt)(len + 1024);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	fd = fd_of(gz, z.total_out);
	assert_int_equal(read_all(fd, &back, &kind), 0);
	close(fd);
	assert_string_equal(kind, "gzip");
	assert_int_equal(back.len, len);
	assert_memory_equal(back.data, in, len);

	/* cut short: an error, not a short success */
	fd = fd_of(gz, z.total_out - 100);
	back.len = 0;
	assert_int_equal(read_all(fd, &back, &kind), -1);
	close(fd);
	deflateEnd(&z);
	free(in);
	free(gz);
	free(back.data);
}

static void truncated_and_corrupt(void **state)
{
	size_t len = 4 * 1024 * 1024;
	struct buf packed = {0}, back = {0};
	unsigned char *in = gzip_sample(len, &packed);
	const char *kind;
	int fd;

	(void)state;
	fd = fd_of(packed.data, packed.len / 2);
	assert_int_equal(read_all(fd, &back, &kind), -1);
	close(fd);
	packed.data[packed.len / 2] ^= 0x55;
	back.len = 0;
	fd = fd_of(packed.data, packed.len);
	assert_int_equal(read_all(fd, &back, &kind), -1);
	close(fd);
	free(in);
	free(packed.data);
	free(back.data);
}

static void empty_input(void **state)
{
	struct buf back = {0};
	const char *kind;
	int fd = fd_of("", 0);

	(void)state;
	assert_int_equal(read_all(fd, &back, &kind), -1);
	close(fd);
}

/* A sink that fails after `left` calls, from whichever thread calls it. */
struct failing_sink {
	int left;
};

static int fail_later(void *ctx, const void *p, size_t len)
{
	struct failing_sink *f = ctx;

	(void)p;
	(void)len;
	if (f->left-- > 0)
		return 0;
	return s2e_error("disk full (test)");
}

/* A sink failure on the zstd feeder thread reaches the caller: write or
 * finish returns -1 with the sink's message, while the caller keeps
 * writing (the ring's failure is read under its mutex; TSan checks). */
static void sink_failure_reported(enum s2e_zformat fmt)
{
	size_t len = 24 * 1024 * 1024;
	unsigned char *in = sample(len);
	struct failing_sink f = {.left = 2};
	struct s2e_zwriter *w = s2e_zwriter_new(fmt, 1, 2, fail_later, &f);
	int rc = 0;

	assert_non_null(w);
	s2e_error_clear();
	for (size_t off = 0; off < len && !rc; off += 65536)
		rc = s2e_zwriter_write(w, in + off, 65536);
	if (!rc)
		rc = s2e_zwriter_finish(w);
	assert_int_equal(rc, -1);
	assert_string_equal(s2e_error_last(), "disk full (test)");
	/* and again, once failed */
	assert_int_equal(s2e_zwriter_write(w, in, len < S2E_ZBLOCK ? len : S2E_ZBLOCK) ||
			     s2e_zwriter_finish(w),
			 1);
	s2e_zwriter_free(w);
	free(in);
}

static void zstd_sink_failure(void **state)
{
	(void)state;
	sink_failure_reported(S2E_Z_ZSTD);
}

static void gzip_sink_failure(void **state)
{
	(void)state;
	sink_failure_reported(S2E_Z_GZIP);
}

/* The feeder fails on the first block while the caller is busy elsewhere
 * (no lock taken in between); the caller's next write must see the failure.
 * Reading the ring's failure without its mutex is a data race TSan reports
 * here. */
static void failure_seen_by_next_write(void **state)
{
	unsigned char *in = sample(S2E_ZBLOCK);
	struct failing_sink f = {.left = 0};
	struct s2e_zwriter *w = s2e_zwriter_new(S2E_Z_ZSTD, 1, 1, fail_later, &f);
	int rc;

	(void)state;
	assert_non_null(w);
	assert_int_equal(s2e_zwriter_write(w, in, S2E_ZBLOCK), 0);
	usleep(300 * 1000); /* the feeder compresses the block and fails meanwhile */
	s2e_error_clear();
	rc = s2e_zwriter_write(w, in, 1);
	if (!rc)
		rc = s2e_zwriter_finish(w);
	assert_int_equal(rc, -1);
	assert_string_equal(s2e_error_last(), "disk full (test)");
	s2e_zwriter_free(w);
	free(in);
}

/* A corrupt member found by a worker thread while the consumer reads. */
static void corrupt_member_midway(void **state)
{
	size_t len = 16 * 1024 * 1024;
	struct buf packed = {0}, back = {0};
	unsigned char *in = gzip_sample(len, &packed);
	const char *kind;
	int fd;

	(void)state;
	/* inside the deflate data of a member past the first few */
	packed.data[packed.len * 3 / 4] ^= 0xff;
	fd = fd_of(packed.data, packed.len);
	s2e_error_clear();
	assert_int_equal(read_all(fd, &back, &kind), -1);
	assert_non_null(strstr(s2e_error_last(), "corrupt gzip stream"));
	close(fd);
	free(in);
	free(packed.data);
	free(back.data);
}

/* Closing a source mid-stream stops its threads. */
static void close_midway(void **state)
{
	size_t len = 8 * 1024 * 1024;
	struct buf packed = {0};
	unsigned char *in = gzip_sample(len, &packed);
	struct s2e_zsource *s;
	const void *p;
	int fd;

	(void)state;
	fd = fd_of(packed.data, packed.len);
	s = s2e_zsource_open(fd, 2);
	assert_non_null(s);
	assert_true(s2e_zsource_read(s, &p) > 0);
	s2e_zsource_close(s);
	close(fd);
	free(in);
	free(packed.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(gzip_round_trip),	     cmocka_unit_test(zstd_round_trip),
	    cmocka_unit_test(none_round_trip),	     cmocka_unit_test(gzip_readable_by_zlib),
	    cmocka_unit_test(foreign_gzip),	     cmocka_unit_test(truncated_and_corrupt),
	    cmocka_unit_test(empty_input),	     cmocka_unit_test(zstd_sink_failure),
	    cmocka_unit_test(gzip_sink_failure),     cmocka_unit_test(corrupt_member_midway),
	    cmocka_unit_test(close_midway),	     cmocka_unit_test(failure_seen_by_next_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
