/* Unit tests for the package building blocks: the manifest, the parallel
 * gzip/zstd writer and the decompressing source (including foreign gzip,
 * truncation and corruption). */
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

#include "s2e/manifest.h"
#include "s2e/pgzip.h"

static void manifest_round_trip(void **state)
{
	struct s2e_manifest m = {.version = 1}, back;
	char *text;
	size_t len;
	const char *d =
	    "sha256-1m:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	(void)state;
	m.name = strdup("My \"odd\" box; #1");
	m.exported_from = strdup("VM x at commit 1234");
	assert_int_equal(s2e_manifest_add(&m, "disk.s2e", 8589934592ULL, d), 0);
	assert_int_equal(s2e_manifest_add(&m, "disk.s2e.asdf\xc3\xb6lkj \"q\"", 5, NULL), 0);
	text = s2e_manifest_format(&m, "[vm]\n\tsize = 1\n[snapshot \"a\"]\n\ttaken = x\n", &len);
	assert_non_null(text);
	assert_int_equal(s2e_manifest_parse(text, len, &back), 0);
	assert_string_equal(back.name, m.name);
	assert_string_equal(back.exported_from, m.exported_from);
	assert_int_equal(back.nmembers, 2);
	assert_string_equal(back.members[0].file, "disk.s2e");
	assert_true(back.members[0].size == 8589934592ULL);
	assert_string_equal(back.members[0].digest, d);
	assert_string_equal(back.members[1].file, "disk.s2e.asdf\xc3\xb6lkj \"q\"");
	assert_null(back.members[1].digest);
	s2e_manifest_free(&back);
	s2e_manifest_free(&m);
	free(text);
}

static void manifest_refuses(void **state)
{
	static const char *bad[] = {
	    "",							   /* no [package] */
	    "[package]\n\tversion = 2\n",			   /* unknown version */
	    "[package\n\tversion = 1\n",			   /* malformed */
	    "[package]\n\tversion = 1\n[member \"a\"]\n",	   /* no size */
	    "[package]\n\tversion = 1\n[member \"a\"]\nsize=-1\n", /* bad size */
	    "[package]\nversion=1\n[member \"a\"]\nsize=1\n[member \"a\"]\nsize=1\n",
	    "[package]\nversion=1\n[member \"a\"]\nsize=1\ndigest=sha256-1m:xyz\n",
	    "[package]\nversion=1\n[include]\npath=/etc/passwd\n",
	    "[package]\nversion=1\nname=\"unterminated\n",
	    "[package]\nversion=1\n[x][include]\npath=/etc/passwd\n", /* issue 11 item 2 */
	    "[package]\nversion=1\n[member \"x\"]\nsize=1\n",	   /* not a VM file */
	    "[package]\nversion=1\n[member \"disk.s2e.a/b\"]\nsize=1\n",
	};
	struct s2e_manifest m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(s2e_manifest_parse(bad[i], strlen(bad[i]), &m), -1);
	assert_int_equal(s2e_manifest_parse("[package]\nversion=1\0x", 21, &m), -1);
}

static void subsections_in_order(void **state)
{
	const char *cfg = "[vm]\n\tsize = 1\n[snapshot \"ready\"]\n\ttaken = a\n"
			  "[snapshot \"b \\\"q\\\"\"]\n[other \"x\"]\n[snapshot \"asdf\"]\n";
	char **subs;
	size_t n;

	(void)state;
	assert_int_equal(s2e_config_subsections(cfg, strlen(cfg), "snapshot", &subs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(subs[0], "ready");
	assert_string_equal(subs[1], "b \"q\"");
	assert_string_equal(subs[2], "asdf");
	for (size_t i = 0; i < n; i++)
		free(subs[i]);
	free(subs);
}

/* ---- streams through a temporary file ---- */

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
	unsigned char *in = sample(len), *out = malloc(len + 1);
	struct buf packed = {0};
	struct s2e_zwriter *w = s2e_zwriter_new(S2E_Z_GZIP, 1, 2, to_buf, &packed);
	z_stream z;
	size_t got = 0;
	int ret = Z_OK;

	(void)state;
	assert_int_equal(s2e_zwriter_write(w, in, len), 0);
	assert_int_equal(s2e_zwriter_finish(w), 0);
	s2e_zwriter_free(w);
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
	unsigned char *in = sample(len);
	struct buf packed = {0}, back = {0};
	struct s2e_zwriter *w = s2e_zwriter_new(S2E_Z_GZIP, 0, 2, to_buf, &packed);
	const char *kind;
	int fd;

	(void)state;
	assert_int_equal(s2e_zwriter_write(w, in, len), 0);
	assert_int_equal(s2e_zwriter_finish(w), 0);
	s2e_zwriter_free(w);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(manifest_round_trip),   cmocka_unit_test(manifest_refuses),
	    cmocka_unit_test(subsections_in_order),  cmocka_unit_test(gzip_round_trip),
	    cmocka_unit_test(zstd_round_trip),	     cmocka_unit_test(none_round_trip),
	    cmocka_unit_test(gzip_readable_by_zlib), cmocka_unit_test(foreign_gzip),
	    cmocka_unit_test(truncated_and_corrupt), cmocka_unit_test(empty_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
