/* Unit tests for VMs in a directory store: push steps (chunks, index,
 * manifest last), read back, index checks against the manifest, verify, and
 * gc (unreferenced and old only, never on a bad index); the index copies under
 * digest names, and the chunk confirmation a push makes after its index. */
#include <errno.h>
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
#include "s2e/storevm.h"

static char dir[] = "/var/tmp/s2e-test-storevm.XXXXXX";
static unsigned char content[3 * S2E_CHUNK_MAX + 1000];

struct fixture {
	struct s2e_store *st;
	struct s2e_store_conn *c;
	struct s2e_store_manifest m;
};

static char *path_of(const char *rel)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
	return buf;
}

/* Push one VM "box" of one file: chunks, index, manifest. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct s2e_chunk_options o = {.jobs = 2, .expect_size = S2E_CAINDEX_ANY_SIZE};
	struct s2e_chunk_stats stats;
	FILE *idx = tmpfile();
	int fd;

	if (!mkdtemp(dir))
		return -1;
	srand(7);
	for (size_t i = 0; i < sizeof(content); i++)
		content[i] =
		    i >= S2E_CHUNK_MAX && i < 2 * S2E_CHUNK_MAX ? 0 : (unsigned char)rand();
	fd = open(path_of("disk.s2e"), O_CREAT | O_RDWR, 0644);
	if (write(fd, content, sizeof(content)) != (ssize_t)sizeof(content))
		return -1;
	f->st = s2e_store_open(path_of("store"), NULL);
	f->c = s2e_store_conn_new(f->st);
	*state = f;
	if (s2e_chunk_fd(f->st, fd, "disk.s2e", fileno(idx), &o, &stats) ||
	    s2e_store_vm_put_index(f->c, "box", "disk.s2e", fileno(idx),
				   (uint64_t)lseek(fileno(idx), 0, SEEK_END)))
		return fprintf(stderr, "setup: %s\n", s2e_error_last()), -1;
	close(fd);
	fclose(idx);
	f->m.name = strdup("box");
	f->m.vmconfig = strdup("[vm]\n\tsize = 4096\n");
	s2e_store_manifest_add_file(&f->m, "disk.s2e", sizeof(content), stats.digest);
	if (s2e_store_vm_write(f->c, "box", &f->m, 0))
		return fprintf(stderr, "setup: %s\n", s2e_error_last()), -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	s2e_store_manifest_free(&f->m);
	s2e_store_conn_free(f->c);
	s2e_store_close(f->st);
	free(f);
	return s2e_remove_tree(dir);
}

static void manifest_read_and_replace(void **state)
{
	struct fixture *f = *state;
	struct s2e_store_manifest m;

	assert_int_equal(s2e_store_vm_read(f->c, "box", &m), 1);
	assert_string_equal(m.files[0].digest, f->m.files[0].digest);
	assert_string_equal(m.vmconfig, "[vm]\n\tsize = 4096\n");
	s2e_store_manifest_free(&m);
	assert_int_equal(s2e_store_vm_read(f->c, "nobox", &m), 0);
	assert_non_null(strstr(s2e_error_last(), "has no VM 'nobox'"));
	assert_int_equal(s2e_error_code(), S2E_ENOTFOUND);
	assert_int_equal(s2e_store_vm_write(f->c, "box", &f->m, 0), S2E_EEXISTS);
	assert_non_null(strstr(s2e_error_last(), "already has a VM 'box'"));
	assert_int_equal(s2e_store_vm_write(f->c, "box", &f->m, 1), 0);
	assert_int_equal(s2e_store_vm_read(f->c, "../x", &m), -1);
}

static void index_and_pull(void **state)
{
	struct fixture *f = *state;
	struct s2e_chunk_options o = {.jobs = 2, .expect_size = sizeof(content)};
	struct s2e_chunk_stats stats;
	struct s2e_store_file bad = f->m.files[0];
	FILE *idx = tmpfile();
	unsigned char *back = malloc(sizeof(content));
	int out = open(path_of("pulled"), O_CREAT | O_RDWR | O_TRUNC, 0644);

	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &f->m.files[0], fileno(idx)), 0);
	assert_int_equal(s2e_unchunk_fd(f->st, fileno(idx), "disk.s2e", out, &o, &stats), 0);
	assert_int_equal(pread(out, back, sizeof(content), 0), sizeof(content));
	assert_memory_equal(back, content, sizeof(content));
	assert_int_equal(stats.zero, 1);
	close(out);
	fclose(idx);
	/* The manifest's digest and size are what the index must give. */
	bad.digest[20] = bad.digest[20] == '0' ? '1' : '0';
	idx = tmpfile();
	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &bad, fileno(idx)), -1);
	assert_non_null(strstr(s2e_error_last(), "the manifest says"));
	fclose(idx);
	bad = f->m.files[0];
	bad.size += 1;
	idx = tmpfile();
	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &bad, fileno(idx)), -1);
	assert_non_null(strstr(s2e_error_last(), "expected"));
	fclose(idx);
	free(back);
}

/* An interrupted push -f: FILE.caibx is another file's index; the copy under
 * the manifest's digest is used.  Prune keeps only the copies the manifest
 * names. */
static void index_version(void **state)
{
	struct fixture *f = *state;
	static const char other[] = "not an index";
	char stale[256], hex[S2E_DIGEST_LEN], old_digest[S2E_DIGEST_LEN + 16];
	struct s2e_store_manifest old = {0};
	FILE *idx = tmpfile(), *tmp = tmpfile();
	struct stat sb;

	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &f->m.files[0], fileno(idx)), 0);
	assert_int_equal(fstat(fileno(idx), &sb), 0);
	assert_int_equal(s2e_store_vm_put_version(f->c, "box", f->m.files[0].digest, fileno(idx),
						  (uint64_t)sb.st_size),
			 0);
	assert_int_equal(s2e_store_put(f->c, "vm/box/disk.s2e.caibx", other, strlen(other), 0), 0);
	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &f->m.files[0], fileno(tmp)), 0);
	assert_int_equal(fstat(fileno(tmp), &sb), 0);
	assert_int_equal(sb.st_size, 64 + 40 * 4 + 40);
	/* A copy no manifest names: kept while it is young (a push of the same
	 * VM may be running), gone once older than `before`; the manifest's stays. */
	strcpy(hex, f->m.files[0].digest + strlen(S2E_DIGEST_PREFIX));
	hex[0] = hex[0] == '0' ? '1' : '0';
	snprintf(stale, sizeof(stale), "vm/box/index/%s.caibx", hex);
	assert_int_equal(s2e_store_put(f->c, stale, other, strlen(other), 0), 0);
	assert_int_equal(
	    s2e_store_vm_prune(f->c, "box", &f->m, NULL, time(NULL) - S2E_STORE_PRUNE_AGE), 0);
	assert_int_equal(s2e_store_has(f->c, stale), 1);
	assert_int_equal(s2e_store_vm_prune(f->c, "box", &f->m, NULL, time(NULL) + 2), 0);
	assert_int_equal(s2e_store_has(f->c, stale), 0);
	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &f->m.files[0], fileno(tmp)), 0);
	/* A young copy the replaced manifest names goes at once. */
	snprintf(old_digest, sizeof(old_digest), "%s%s", S2E_DIGEST_PREFIX, hex);
	assert_int_equal(s2e_store_manifest_add_file(&old, "disk.s2e", 1, old_digest), 0);
	assert_int_equal(s2e_store_put(f->c, stale, other, strlen(other), 0), 0);
	assert_int_equal(
	    s2e_store_vm_prune(f->c, "box", &f->m, &old, time(NULL) - S2E_STORE_PRUNE_AGE), 0);
	assert_int_equal(s2e_store_has(f->c, stale), 0);
	s2e_store_manifest_free(&old);
	/* Neither fits: the error is FILE.caibx's. */
	snprintf(stale, sizeof(stale), "vm/box/index/%s.caibx",
		 f->m.files[0].digest + strlen(S2E_DIGEST_PREFIX));
	assert_int_equal(s2e_store_delete(f->c, stale), 0);
	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &f->m.files[0], fileno(tmp)), -1);
	assert_non_null(strstr(s2e_error_last(), "vm/box/disk.s2e.caibx"));
	assert_int_equal(fstat(fileno(idx), &sb), 0);
	assert_int_equal(s2e_store_vm_put_index(f->c, "box", "disk.s2e", fileno(idx),
						(uint64_t)sb.st_size),
			 0);
	fclose(idx);
	fclose(tmp);
}

static char *first_chunk_path(const struct fixture *f)
{
	unsigned char id[S2E_CHUNK_ID_LEN];
	static char name[S2E_CHUNK_NAME_LEN + 16]; /* "store/" more than "chunks/" */

	(void)f;
	s2e_chunk_id(content, S2E_CHUNK_MAX, id);
	s2e_chunk_name("store/chunks/", id, name);
	return path_of(name);
}

/* A chunk removed (by a gc) after the push put it: confirm puts it again
 * from the file, and touches the others. */
static void confirm(void **state)
{
	struct fixture *f = *state;
	struct s2e_chunk_options o = {.jobs = 2};
	struct s2e_chunk_stats stats;
	FILE *idx = tmpfile();
	int fd = open(path_of("disk.s2e"), O_RDONLY);
	struct stat sb;

	assert_int_equal(s2e_store_vm_get_index(f->c, "box", &f->m.files[0], fileno(idx)), 0);
	assert_int_equal(unlink(first_chunk_path(f)), 0);
	assert_int_equal(s2e_chunk_confirm(f->st, fd, "disk.s2e", fileno(idx), &o, &stats), 0);
	assert_int_equal(stats.stored, 1);
	assert_int_equal(stat(first_chunk_path(f), &sb), 0);
	assert_int_equal(s2e_chunk_confirm(f->st, fd, "disk.s2e", fileno(idx), &o, &stats), 0);
	assert_int_equal(stats.stored, 0);
	assert_int_equal(stats.chunks, 4);
	close(fd);
	fclose(idx);
}

static void verify(void **state)
{
	struct fixture *f = *state;
	struct s2e_chunk_stats total;
	char *chunk = s2e_strdup(first_chunk_path(f)), *data;
	size_t len;

	assert_int_equal(s2e_store_vm_verify(f->st, "box", 2, &total), 0);
	assert_int_equal(total.chunks, 4);
	assert_int_equal(total.fetched, 3);
	assert_int_equal(s2e_read_file(chunk, &data, &len), 0);
	unlink(chunk);
	assert_int_equal(s2e_store_vm_verify(f->st, "box", 2, &total), -1);
	assert_non_null(strstr(s2e_error_last(), "is missing"));
	s2e_write_file_atomic(chunk, "\x28\xb5\x2f\xfd garbage", 12, 0644);
	assert_int_equal(s2e_store_vm_verify(f->st, "box", 2, &total), -1);
	assert_non_null(strstr(s2e_error_last(), "corrupt"));
	s2e_write_file_atomic(chunk, data, len, 0644);
	assert_int_equal(s2e_store_vm_verify(f->st, "box", 2, &total), 0);
	free(data);
	free(chunk);
}

static void put_loose_chunk(struct fixture *f, const char *text, time_t mtime)
{
	unsigned char id[S2E_CHUNK_ID_LEN];
	char name[S2E_CHUNK_NAME_LEN + 16];
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};

	s2e_chunk_id(text, strlen(text), id);
	assert_int_equal(s2e_store_put_chunk(f->c, id, text, strlen(text)), 0);
	s2e_chunk_name("store/chunks/", id, name);
	assert_int_equal(utimensat(AT_FDCWD, path_of(name), ts, 0), 0);
}

static void gc(void **state)
{
	struct fixture *f = *state;
	struct s2e_store_gc_stats s;
	struct s2e_chunk_stats total;
	time_t now = time(NULL);

	put_loose_chunk(f, "old and unreferenced", now - 7200);
	put_loose_chunk(f, "new and unreferenced", now);
	/* Referenced chunks made old: kept all the same. */
	utimensat(AT_FDCWD, first_chunk_path(f), (struct timespec[2]){{1, 0}, {1, 0}}, 0);
	assert_int_equal(s2e_store_gc(f->st, 3600, 1, &s), 0);
	assert_int_equal(s.removed, 1);
	assert_int_equal(s.chunks, 6);
	assert_int_equal(s2e_store_gc(f->st, 3600, 0, &s), 0);
	assert_int_equal(s.indexes, 1);
	assert_int_equal(s.referenced, 4);
	assert_int_equal(s.removed, 1);
	assert_int_equal(s.recent, 1);
	assert_int_equal(s2e_store_gc(f->st, 3600, 0, &s), 0);
	assert_int_equal(s.removed, 0);
	assert_int_equal(s2e_store_vm_verify(f->st, "box", 2, &total), 0);
	/* A bad index anywhere under vm/ stops gc before it removes anything. */
	put_loose_chunk(f, "another old one", now - 7200);
	assert_int_equal(s2e_store_put(f->c, "vm/other/disk.s2e.caibx", "junk", 4, 0), 0);
	assert_int_equal(s2e_store_gc(f->st, 3600, 0, &s), -1);
	assert_non_null(strstr(s2e_error_last(), "nothing removed"));
	assert_int_equal(s.removed, 0);
	unlink(path_of("store/vm/other/disk.s2e.caibx"));
	assert_int_equal(s2e_store_gc(f->st, 3600, 0, &s), 0);
	assert_int_equal(s.removed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(manifest_read_and_replace),
	    cmocka_unit_test(index_and_pull),
	    cmocka_unit_test(index_version),
	    cmocka_unit_test(confirm),
	    cmocka_unit_test(verify),
	    cmocka_unit_test(gc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
