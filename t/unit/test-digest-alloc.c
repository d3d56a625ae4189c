/* The digest when memory runs out: it fails with an error, never gives a
 * wrong digest.  Linked with -Wl,--wrap=calloc (see the Makefile), so that
 * the calloc calls of libs2e's objects come here and can be made to fail. */
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

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

/* Refuse allocations of a digest chunk or more while set. */
static int fail_big;

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_big && n * size >= S2E_DIGEST_CHUNK)
		return NULL;
	return __real_calloc(n, size);
}

static char path[] = "/var/tmp/s2e-test-digest-alloc.XXXXXX";

/* A file of four chunks, all hole. */
static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0 || ftruncate(fd, 4 * S2E_DIGEST_CHUNK))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* SPEC §4.2 for n chunks of zeros, computed here. */
static void zeros_digest(int n, char out[S2E_DIGEST_LEN])
{
	unsigned char *zeros = __real_calloc(1, S2E_DIGEST_CHUNK), md[32], outer[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_Digest(zeros, S2E_DIGEST_CHUNK, md, NULL, EVP_sha256(), NULL);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (int i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, md, 32);
	EVP_DigestFinal_ex(ctx, outer, NULL);
	EVP_MD_CTX_free(ctx);
	free(zeros);
	strcpy(out, S2E_DIGEST_PREFIX);
	for (int i = 0; i < 32; i++)
		sprintf(out + strlen(S2E_DIGEST_PREFIX) + 2 * i, "%02x", outer[i]);
}

/* Without memory for the digest of zeros, digesting holes is an error. */
static void holes_without_memory_fail(void **state)
{
	char got[S2E_DIGEST_LEN] = "", want[S2E_DIGEST_LEN];
	int rc;

	(void)state;
	zeros_digest(4, want);
	fail_big = 1;
	s2e_error_clear();
	rc = s2e_digest_file(path, 2, got);
	fail_big = 0;
	if (rc == 0)
		assert_string_equal(got, want); /* shows the wrong digest */
	assert_int_equal(rc, -1);
	assert_non_null(strstr(s2e_error_last(), "out of memory"));
}

static void stream_without_memory_fails(void **state)
{
	struct s2e_digest_stream *d;

	(void)state;
	fail_big = 1;
	d = s2e_digest_stream_new();
	fail_big = 0;
	if (d) {
		char got[S2E_DIGEST_LEN], want[S2E_DIGEST_LEN];
		zeros_digest(2, want);
		s2e_digest_stream_zeros(d, 2 * S2E_DIGEST_CHUNK);
		s2e_digest_stream_finish(d, got);
		s2e_digest_stream_free(d);
		assert_string_equal(got, want);
	}
	assert_null(d);
}

/* Once memory is back, the same calls give the right digest. */
static void recovers(void **state)
{
	char got[S2E_DIGEST_LEN], want[S2E_DIGEST_LEN];

	(void)state;
	zeros_digest(4, want);
	assert_int_equal(s2e_digest_file(path, 2, got), 0);
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(holes_without_memory_fail),
	    cmocka_unit_test(stream_without_memory_fails),
	    cmocka_unit_test(recovers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
