/* Unit tests for the store layer on a directory store: objects, no-replace
 * writes, listing VMs and chunks, name checks, URL dispatch. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/chunk.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/store.h"

static char dir[] = "/var/tmp/s2e-test-store.XXXXXX";

struct fixture {
	struct s2e_store *st;
	struct s2e_store_conn *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *root;

	if (!mkdtemp(dir))
		return -1;
	root = s2e_asprintf("file://%s/store", dir);
	f->st = s2e_store_open(root, NULL);
	free(root);
	f->c = f->st ? s2e_store_conn_new(f->st) : NULL;
	*state = f;
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	s2e_store_conn_free(f->c);
	s2e_store_close(f->st);
	free(f);
	return s2e_remove_tree(dir);
}

static void objects(void **state)
{
	struct fixture *f = *state;
	char *data;
	size_t len;

	assert_int_equal(s2e_store_has(f->c, "vm/a/vm.config"), 0);
	assert_int_equal(s2e_store_get(f->c, "vm/a/vm.config", 100, &data, &len), 0);
	assert_non_null(strstr(s2e_error_last(), "not found"));
	assert_int_equal(s2e_store_put(f->c, "vm/a/vm.config", "one", 3, 0), 0);
	assert_int_equal(s2e_store_has(f->c, "vm/a/vm.config"), 1);
	assert_int_equal(s2e_store_get(f->c, "vm/a/vm.config", 100, &data, &len), 1);
	assert_string_equal(data, "one");
	free(data);
	/* No-replace keeps the first; a plain put replaces. */
	assert_int_equal(s2e_store_put(f->c, "vm/a/vm.config", "two", 3, S2E_STORE_NOREPLACE), 0);
	assert_int_equal(s2e_store_get(f->c, "vm/a/vm.config", 100, &data, &len), 1);
	assert_string_equal(data, "one");
	free(data);
	assert_int_equal(s2e_store_put(f->c, "vm/a/vm.config", "three", 5, S2E_STORE_SYNC), 0);
	assert_int_equal(s2e_store_get(f->c, "vm/a/vm.config", 100, &data, &len), 1);
	assert_string_equal(data, "three");
	free(data);
	/* The size bound. */
	assert_int_equal(s2e_store_get(f->c, "vm/a/vm.config", 4, &data, &len), -1);
	assert_non_null(strstr(s2e_error_last(), "larger than 4 bytes"));
	assert_int_equal(s2e_store_delete(f->c, "vm/a/vm.config"), 0);
	assert_int_equal(s2e_store_has(f->c, "vm/a/vm.config"), 0);
	assert_int_equal(s2e_store_delete(f->c, "vm/a/vm.config"), 0);
	assert_int_equal(s2e_store_sync(f->st), 0);
}

static void from_a_file(void **state)
{
	struct fixture *f = *state;
	char path[256], *data;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/src", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	assert_int_equal(write(fd, "index bytes", 11), 11);
	assert_int_equal(s2e_store_put_fd(f->c, "vm/b/disk.s2e.caibx", fd, 11, 0), 0);
	close(fd);
	assert_int_equal(s2e_store_get(f->c, "vm/b/disk.s2e.caibx", 100, &data, &len), 1);
	assert_int_equal(len, 11);
	assert_memory_equal(data, "index bytes", 11);
	free(data);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	assert_int_equal(s2e_store_get_fd(f->c, "vm/b/disk.s2e.caibx", 100, fd), 1);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 11);
	close(fd);
}

static int count_names(void *ctx, const char *name, uint64_t size, time_t mtime)
{
	(void)name;
	(void)size;
	(void)mtime;
	(*(int *)ctx)++;
	return 0;
}

static int count_chunks(void *ctx, const unsigned char *id, uint64_t size, time_t mtime)
{
	(void)id;
	(void)mtime;
	*(uint64_t *)ctx += size;
	return 0;
}

static void listing(void **state)
{
	struct fixture *f = *state;
	unsigned char id[S2E_CHUNK_ID_LEN];
	char **names, path[512];
	size_t n;
	uint64_t bytes = 0;
	int count = 0;

	assert_int_equal(s2e_store_put(f->c, "vm/zeta/vm.config", "x", 1, 0), 0);
	assert_int_equal(s2e_store_put(f->c, "vm/Alpha Box/vm.config", "x", 1, 0), 0);
	assert_int_equal(s2e_store_put(f->c, "vm/noconfig/disk.s2e.caibx", "x", 1, 0), 0);
	/* A name that is no VM name is not listed (it cannot come from a push). */
	snprintf(path, sizeof(path), "%s/store/vm/.hidden", dir);
	s2e_mkdir_p(path, 0755);
	snprintf(path, sizeof(path), "%s/store/vm/.hidden/vm.config", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(s2e_store_list_vms(f->c, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "Alpha Box");
	assert_string_equal(names[1], "zeta");
	s2e_store_names_free(names, n);
	assert_int_equal(s2e_store_list(f->c, "vm/", count_names, &count), 0);
	assert_int_equal(count, 4); /* with vm/b/ of from_a_file; hidden ones left out */

	s2e_chunk_id("abc", 3, id);
	assert_int_equal(s2e_store_has_chunk(f->c, id), 0);
	assert_int_equal(s2e_store_put_chunk(f->c, id, "12345", 5), 0);
	assert_int_equal(s2e_store_has_chunk(f->c, id), 1);
	assert_int_equal(s2e_store_put(f->c, "chunks/junk/file.txt", "x", 1, 0), 0);
	assert_int_equal(s2e_store_list_chunks(f->c, count_chunks, &bytes), 0);
	assert_int_equal(bytes, 5);
	assert_int_equal(s2e_store_delete_chunk(f->c, id), 0);
	assert_int_equal(s2e_store_has_chunk(f->c, id), 0);
}

static void stale_temporaries(void **state)
{
	struct fixture *f = *state;
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	char stale[512], fresh[512], other[512];
	uint64_t removed;

	assert_int_equal(s2e_store_put(f->c, "chunks/abcd/keep", "x", 1, 0), 0);
	snprintf(stale, sizeof(stale), "%s/store/chunks/abcd/.x.cacnk.tmp.AbC123", dir);
	snprintf(fresh, sizeof(fresh), "%s/store/chunks/abcd/.y.cacnk.tmp.XyZ789", dir);
	snprintf(other, sizeof(other), "%s/store/chunks/abcd/.hidden", dir);
	close(open(stale, O_CREAT | O_WRONLY, 0644));
	close(open(fresh, O_CREAT | O_WRONLY, 0644));
	close(open(other, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(utimensat(AT_FDCWD, stale, old, 0), 0);
	utimensat(AT_FDCWD, other, old, 0);
	assert_int_equal(s2e_store_remove_stale(f->c, time(NULL) - 3600, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(fresh, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0); /* not ours: left alone */
	assert_int_equal(s2e_store_has(f->c, "chunks/abcd/keep"), 1);
}

static void names_and_urls(void **state)
{
	struct fixture *f = *state;
	char *data;
	size_t len;

	assert_int_equal(s2e_store_name_check("vm/a/vm.config"), 0);
	assert_int_equal(s2e_store_name_check("../x"), -1);
	assert_int_equal(s2e_store_name_check("vm/../x"), -1);
	assert_int_equal(s2e_store_name_check("/etc/passwd"), -1);
	assert_int_equal(s2e_store_name_check("vm//x"), -1);
	assert_int_equal(s2e_store_name_check("vm/./x"), -1);
	assert_int_equal(s2e_store_name_check(""), -1);
	assert_int_equal(s2e_store_get(f->c, "../outside", 10, &data, &len), -1);
	assert_int_equal(s2e_store_put(f->c, "vm/../../x", "x", 1, 0), -1);
	assert_null(s2e_store_open("ftp://host/x", NULL));
	assert_non_null(strstr(s2e_error_last(), "unknown URL scheme"));
	assert_null(s2e_store_open("", NULL));
	assert_null(s2e_store_open("/etc/passwd", NULL));
	assert_non_null(strstr(s2e_error_last(), "not a directory"));
}

static void http_is_read_only(void **state)
{
	struct s2e_store *st = s2e_store_open("http://127.0.0.1:9/store", NULL);
	struct s2e_store_conn *c = s2e_store_conn_new(st);

	(void)state;
	assert_false(s2e_store_writable(st));
	assert_int_equal(s2e_store_put(c, "vm/a/vm.config", "x", 1, 0), -1);
	assert_non_null(strstr(s2e_error_last(), "read-only"));
	assert_int_equal(s2e_store_list(c, "vm/", count_names, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "cannot be listed"));
	assert_true(s2e_store_default_jobs(st) >= 2);
	s2e_store_conn_free(c);
	s2e_store_close(st);
	assert_null(s2e_store_open("s3://Bad_Bucket/x", NULL));
	assert_non_null(strstr(s2e_error_last(), "bad bucket name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(objects),	      cmocka_unit_test(from_a_file),
	    cmocka_unit_test(listing),	      cmocka_unit_test(stale_temporaries),
	    cmocka_unit_test(names_and_urls), cmocka_unit_test(http_is_read_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
