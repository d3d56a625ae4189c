/* Unit tests for the digest cache (include/s2e/digest-cache.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/digest-cache.h"
#include "s2e/fs.h"

static char root[] = "/tmp/s2e-test-dcache.XXXXXX";
static char file[256];

static void put(const char *text)
{
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void settle(void)
{
	struct timespec t = {0, 150 * 1000 * 1000}; /* past the racy tick */
	nanosleep(&t, NULL);
}

static int digest(char out[S2E_DIGEST_LEN])
{
	int hashed = -1;
	assert_int_equal(s2e_digest_cached(root, file, 1, NULL, out, &hashed), 0);
	return hashed;
}

static void hit_after_first_hash(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN], want[S2E_DIGEST_LEN];
	(void)state;

	put("hello");
	settle();
	assert_int_equal(digest(a), 1);
	assert_int_equal(digest(b), 0);
	assert_string_equal(a, b);
	assert_int_equal(s2e_digest_file(file, 1, want), 0);
	assert_string_equal(a, want);
}

static void same_size_same_mtime_new_content_is_seen(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN];
	struct stat st;
	(void)state;

	put("aaaaa");
	settle();
	assert_int_equal(digest(a), 1);
	assert_int_equal(stat(file, &st), 0);
	put("bbbbb");
	/* Put the old mtime back, as `touch -d` would: ctime still moves. */
	assert_int_equal(utimensat(AT_FDCWD, file, (struct timespec[]){st.st_atim, st.st_mtim}, 0), 0);
	settle();
	assert_int_equal(digest(b), 1);
	assert_string_not_equal(a, b);
}

static void racy_entries_are_not_trusted(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN];
	(void)state;

	struct timespec soon;

	put("racy");
	/* A change stamped in the tick the hashing starts in, whatever the
	 * machine's load: the file's mtime set to a moment from now. */
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_nsec = 0;
	soon.tv_sec += 1;
	assert_int_equal(utimensat(AT_FDCWD, file, (struct timespec[]){soon, soon}, 0), 0);
	assert_int_equal(digest(a), 1);
	assert_int_equal(digest(b), 1); /* not trusted */
	put("racy");			/* the same content, now stamped in the past */
	settle();
	assert_int_equal(digest(b), 1); /* hashed again, well after the change */
	assert_int_equal(digest(b), 0);
	assert_string_equal(a, b);
}

static void a_file_changed_just_now_is_hashed_after_the_tick(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN];
	(void)state;

	put("fresh");
	assert_int_equal(digest(a), 1); /* at once: it waits out the tick first */
	assert_int_equal(digest(b), 0); /* so its entry is trusted */
	assert_string_equal(a, b);
}

static void a_bad_entry_is_a_miss(void **state)
{
	char a[S2E_DIGEST_LEN], *dir = s2e_path_join(root, ".s2e/digests"), *cmd;
	(void)state;

	put("x");
	settle();
	assert_int_equal(digest(a), 1);
	cmd = s2e_asprintf("for f in '%s'/*; do echo garbage >\"$f\"; done", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(digest(a), 1);
	free(cmd);
	free(dir);
}

/* The cached index of `file` (-1 on a miss) and its digest. */
static int cached_index(char out[S2E_DIGEST_LEN])
{
	struct s2e_cache_stamp stamp;
	int fd = open(file, O_RDONLY), ifd;

	assert_true(fd >= 0);
	ifd = s2e_index_cached(root, fd, 0, &stamp, out);
	close(fd);
	if (ifd >= 0)
		close(ifd);
	return ifd >= 0 ? 0 : -1;
}

static void a_digest_keeps_the_index(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN];
	(void)state;

	put("index me");
	settle();
	assert_int_equal(digest(a), 1);
	assert_int_equal(cached_index(b), 0);
	assert_string_equal(a, b);
	put("changed!");
	settle();
	assert_int_equal(cached_index(b), -1);
}

static void an_index_of_older_content_is_a_miss(void **state)
{
	char a[S2E_DIGEST_LEN], b[S2E_DIGEST_LEN], *cmd;
	(void)state;

	put("first!"); /* the same size as "second" */
	settle();
	assert_int_equal(digest(a), 1);
	cmd = s2e_asprintf("cp '%s'/.s2e/digests/*.caibx '%s/old.caibx'", root, root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	put("second");
	settle();
	assert_int_equal(digest(b), 1);
	assert_int_equal(cached_index(b), 0);
	/* The entry says "second", the index is the one of "first". */
	cmd = s2e_asprintf("for f in '%s'/.s2e/digests/*.caibx; do cp '%s/old.caibx' \"$f\"; done",
			   root, root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(cached_index(b), -1);
	assert_int_equal(digest(b), 0); /* the digest entry itself still holds */
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(file, sizeof(file), "%s/disk.s2e", root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return s2e_remove_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_after_first_hash),
		cmocka_unit_test(same_size_same_mtime_new_content_is_seen),
		cmocka_unit_test(racy_entries_are_not_trusted),
		cmocka_unit_test(a_file_changed_just_now_is_hashed_after_the_tick),
		cmocka_unit_test(a_bad_entry_is_a_miss),
		cmocka_unit_test(a_digest_keeps_the_index),
		cmocka_unit_test(an_index_of_older_content_is_a_miss),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
