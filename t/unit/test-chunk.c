/* Unit tests for the chunk codec: names and IDs, a round trip, and hostile
 * chunks (zstd bomb, wrong content, wrong size, truncated, not zstd). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <cmocka.h>

#include "s2e/chunk.h"
#include "s2e/error.h"

static const char *const empty_sha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void ids_and_names(void **state)
{
	unsigned char id[S2E_CHUNK_ID_LEN], back[S2E_CHUNK_ID_LEN];
	char hex[S2E_CHUNK_HEX_LEN], name[S2E_CHUNK_NAME_LEN];

	(void)state;
	s2e_chunk_id("", 0, id);
	s2e_chunk_hex(id, hex);
	assert_string_equal(hex, empty_sha);
	s2e_chunk_name("chunks/", id, name);
	assert_string_equal(
	    name,
	    "chunks/e3b0/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.cacnk");
	assert_int_equal(s2e_chunk_name_parse(name + 7, back), 0);
	assert_memory_equal(id, back, S2E_CHUNK_ID_LEN);
	assert_int_equal(s2e_chunk_id_parse(hex, back), 0);
	/* Names that are not chunks: wrong directory, upper case, suffix, length. */
	name[7] = 'f';
	assert_int_equal(s2e_chunk_name_parse(name + 7, back), -1);
	assert_int_equal(
	    s2e_chunk_name_parse(
		"E3B0/E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855.cacnk",
		back),
	    -1);
	assert_int_equal(
	    s2e_chunk_name_parse(
		"e3b0/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.cacnk.tmp",
		back),
	    -1);
	assert_int_equal(s2e_chunk_id_parse("e3b0", back), -1);
}

static void zero_chunks(void **state)
{
	unsigned char *z = calloc(1, S2E_CHUNK_MAX), id[S2E_CHUNK_ID_LEN];

	(void)state;
	s2e_chunk_id(z, S2E_CHUNK_MAX, id);
	assert_memory_equal(id, s2e_chunk_zero_id(), S2E_CHUNK_ID_LEN);
	assert_true(s2e_chunk_is_zero(z, S2E_CHUNK_MAX));
	z[S2E_CHUNK_MAX - 1] = 1;
	assert_false(s2e_chunk_is_zero(z, S2E_CHUNK_MAX));
	free(z);
}

struct fixture {
	struct s2e_chunk_codec *c;
	unsigned char *data, *out;
	unsigned char id[S2E_CHUNK_ID_LEN];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->c = s2e_chunk_codec_new(0);
	f->data = malloc(S2E_CHUNK_MAX);
	f->out = malloc(S2E_CHUNK_MAX);
	for (size_t i = 0; i < S2E_CHUNK_MAX; i++)
		f->data[i] = (unsigned char)(i * 7 + i / 4096);
	s2e_chunk_id(f->data, S2E_CHUNK_MAX, f->id);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	s2e_chunk_codec_free(f->c);
	free(f->data);
	free(f->out);
	free(f);
	return 0;
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	const void *z;
	size_t zlen, len;
	unsigned char *copy;

	assert_int_equal(s2e_chunk_compress(f->c, f->data, S2E_CHUNK_MAX, &z, &zlen), 0);
	copy = malloc(zlen);
	memcpy(copy, z, zlen);
	assert_int_equal(s2e_chunk_decompress(f->c, copy, zlen, f->id, S2E_CHUNK_MAX, f->out, &len),
			 0);
	assert_int_equal(len, S2E_CHUNK_MAX);
	assert_memory_equal(f->out, f->data, S2E_CHUNK_MAX);
	/* Expecting another size is refused. */
	assert_int_equal(s2e_chunk_decompress(f->c, copy, zlen, f->id, 1000, f->out, &len), -1);
	assert_non_null(strstr(s2e_error_last(), "the index says 1000"));
	/* Truncated. */
	assert_int_equal(s2e_chunk_decompress(f->c, copy, zlen / 2, f->id, 0, f->out, &len), -1);
	assert_non_null(strstr(s2e_error_last(), "corrupt or truncated"));
	/* A flipped byte in the middle: corrupt frame or content not matching. */
	copy[zlen / 2] ^= 0x55;
	assert_int_equal(s2e_chunk_decompress(f->c, copy, zlen, f->id, 0, f->out, &len), -1);
	free(copy);
}

static void wrong_id(void **state)
{
	struct fixture *f = *state;
	unsigned char other[S2E_CHUNK_ID_LEN];
	const void *z;
	size_t zlen, len;

	memcpy(other, f->id, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(s2e_chunk_compress(f->c, f->data, S2E_CHUNK_MAX, &z, &zlen), 0);
	assert_int_equal(s2e_chunk_decompress(f->c, z, zlen, other, 0, f->out, &len), -1);
	assert_non_null(strstr(s2e_error_last(), "does not match its ID"));
}

static void zstd_bomb(void **state)
{
	struct fixture *f = *state;
	size_t big = 64 * 1024 * 1024, cap = ZSTD_compressBound(big), zlen, len;
	unsigned char *zeros = calloc(1, big), *z = malloc(cap);

	/* 64 MiB of zeros compress to a few KiB; the output buffer stays 1 MiB. */
	zlen = ZSTD_compress(z, cap, zeros, big, 19);
	assert_false(ZSTD_isError(zlen));
	assert_true(zlen < 65536);
	assert_int_equal(s2e_chunk_decompress(f->c, z, zlen, f->id, 0, f->out, &len), -1);
	assert_non_null(strstr(s2e_error_last(), "more than 1 MiB"));
	/* Just over the limit, too. */
	zlen = ZSTD_compress(z, cap, zeros, S2E_CHUNK_MAX + 1, 3);
	assert_int_equal(s2e_chunk_decompress(f->c, z, zlen, f->id, 0, f->out, &len), -1);
	assert_non_null(strstr(s2e_error_last(), "more than 1 MiB"));
	free(zeros);
	free(z);
}

static void not_zstd(void **state)
{
	struct fixture *f = *state;
	size_t len;

	assert_int_equal(s2e_chunk_decompress(f->c, "hello, world", 12, f->id, 0, f->out, &len),
			 -1);
	assert_non_null(strstr(s2e_error_last(), "not a zstd frame"));
	assert_int_equal(s2e_chunk_decompress(f->c, "", 0, f->id, 0, f->out, &len), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ids_and_names),
	    cmocka_unit_test(zero_chunks),
	    cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(wrong_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(zstd_bomb, setup, teardown),
	    cmocka_unit_test_setup_teardown(not_zstd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
