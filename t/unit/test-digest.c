/* Unit tests for the SPEC §4.2 digest: known values, holes equal zeros, the
 * streaming form equals the file form. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/digest.h"
#include "s2e/error.h"

static char dir[] = "/var/tmp/s2e-test-digest.XXXXXX";

static char *path_of(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* The definition, computed directly: SHA-256 over the chunk SHA-256s. */
static void reference(const unsigned char *data, size_t len, char out[S2E_DIGEST_LEN])
{
	EVP_MD_CTX *outer = EVP_MD_CTX_new();
	unsigned char md[32];

	EVP_DigestInit_ex(outer, EVP_sha256(), NULL);
	for (size_t off = 0; off < len; off += S2E_DIGEST_CHUNK) {
		size_t n = len - off < S2E_DIGEST_CHUNK ? len - off : S2E_DIGEST_CHUNK;
		EVP_Digest(data + off, n, md, NULL, EVP_sha256(), NULL);
		EVP_DigestUpdate(outer, md, 32);
	}
	EVP_DigestFinal_ex(outer, md, NULL);
	EVP_MD_CTX_free(outer);
	strcpy(out, "sha256-1m:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 10 + 2 * i, "%02x", md[i]);
}

static void empty_is_sha256_of_nothing(void **state)
{
	char got[S2E_DIGEST_LEN];
	int fd;

	(void)state;
	fd = open(path_of("empty"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(s2e_digest_fd(fd, 2, NULL, got), 0);
	close(fd);
	assert_string_equal(got,
			    "sha256-1m:"
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void file_matches_definition(void **state)
{
	size_t len = 3 * S2E_DIGEST_CHUNK + 12345;
	unsigned char *data = calloc(1, len);
	char want[S2E_DIGEST_LEN], got[S2E_DIGEST_LEN];
	int fd;

	(void)state;
	for (size_t i = 0; i < 2 * S2E_DIGEST_CHUNK; i += 7)
		data[i] = (unsigned char)(i * 31);
	data[len - 1] = 1;
	reference(data, len, want);
	fd = open(path_of("data"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(s2e_digest_fd(fd, 3, NULL, got), 0);
	assert_string_equal(got, want);
	close(fd);

	/* the streaming form, fed in odd pieces, agrees */
	struct s2e_digest_stream *d = s2e_digest_stream_new();
	for (size_t off = 0; off < len; off += 100001)
		s2e_digest_stream_data(d, data + off, len - off < 100001 ? len - off : 100001);
	assert_int_equal(s2e_digest_stream_finish(d, got), 0);
	s2e_digest_stream_free(d);
	assert_string_equal(got, want);
	free(data);
}

static void holes_equal_zeros(void **state)
{
	size_t len = 5 * S2E_DIGEST_CHUNK + 3;
	unsigned char *zeros = calloc(1, len);
	char want[S2E_DIGEST_LEN], got[S2E_DIGEST_LEN];
	struct s2e_digest_stream *d;
	int fd;

	(void)state;
	zeros[2 * S2E_DIGEST_CHUNK + 5] = 9;
	reference(zeros, len, want);
	fd = open(path_of("sparse"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(pwrite(fd, "\x09", 1, 2 * S2E_DIGEST_CHUNK + 5), 1);
	assert_int_equal(s2e_digest_fd(fd, 2, NULL, got), 0);
	close(fd);
	assert_string_equal(got, want);

	d = s2e_digest_stream_new();
	s2e_digest_stream_zeros(d, 2 * S2E_DIGEST_CHUNK + 5);
	s2e_digest_stream_data(d, "\x09", 1);
	s2e_digest_stream_zeros(d, len - 2 * S2E_DIGEST_CHUNK - 6);
	s2e_digest_stream_finish(d, got);
	s2e_digest_stream_free(d);
	assert_string_equal(got, want);
	free(zeros);
}

static void different_content_differs(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN];
	struct s2e_digest_stream *d = s2e_digest_stream_new();

	(void)state;
	s2e_digest_stream_zeros(d, S2E_DIGEST_CHUNK);
	s2e_digest_stream_finish(d, a);
	s2e_digest_stream_free(d);
	d = s2e_digest_stream_new();
	s2e_digest_stream_zeros(d, S2E_DIGEST_CHUNK + 1);
	s2e_digest_stream_finish(d, b);
	s2e_digest_stream_free(d);
	assert_string_not_equal(a, b);
}

/* Every worker fails at once (a write-only descriptor: pread says EBADF):
 * one error, with the reason, and the workers do not race to record it. */
static void all_workers_fail(void **state)
{
	char got[S2E_DIGEST_LEN];
	int fd;

	(void)state;
	fd = open(path_of("wronly"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0);
	/* one byte of data in each of 32 chunks, so that every chunk is read */
	for (int i = 0; i < 32; i++)
		assert_int_equal(pwrite(fd, "x", 1, (off_t)i * S2E_DIGEST_CHUNK), 1);
	s2e_error_clear();
	assert_int_equal(s2e_digest_fd(fd, 4, NULL, got), -1);
	assert_non_null(strstr(s2e_error_last(), "Bad file descriptor"));
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path_of("empty"));
	unlink(path_of("data"));
	unlink(path_of("sparse"));
	unlink(path_of("wronly"));
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(empty_is_sha256_of_nothing),
	    cmocka_unit_test(file_matches_definition),
	    cmocka_unit_test(holes_equal_zeros),
	    cmocka_unit_test(different_content_differs),
	    cmocka_unit_test(all_workers_fail),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
