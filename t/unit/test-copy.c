/* Unit tests for lib/copy.c: every copy method on every hole layout, the
 * all-or-nothing destination, and the refusals.  Files live under $TMPDIR
 * (default /var/tmp: a disk file system that keeps holes). */
#include <dirent.h>
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
#include <unistd.h>
#include <cmocka.h>

#include "s2e/copy.h"
#include "s2e/error.h"
#include "s2e/fs.h"

#define KiB 1024ull
#define MiB (1024ull * 1024)

static char dir[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/s2e-test-copy.XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return s2e_remove_tree(dir);
}

static char *path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

struct piece {
	uint64_t off, len;
	int fill; /* -1: pseudo-random bytes; else this byte (0: written zeros) */
};

/* A file of `size` bytes with data at the pieces only (holes elsewhere). */
static void make_file(const char *p, uint64_t size, const struct piece *pieces, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	unsigned seed = 12345;

	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char *buf = malloc(pieces[i].len);
		assert_non_null(buf);
		for (uint64_t j = 0; j < pieces[i].len; j++) {
			seed = seed * 1103515245 + 12345;
			buf[j] = pieces[i].fill < 0 ? (unsigned char)(seed >> 16)
						    : (unsigned char)pieces[i].fill;
		}
		assert_int_equal(pwrite(fd, buf, pieces[i].len, (off_t)pieces[i].off),
				 (ssize_t)pieces[i].len);
		free(buf);
	}
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void assert_same_content(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	static unsigned char ba[MiB], bb[MiB];
	struct stat sa, sb;

	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(fstat(fa, &sa), 0);
	assert_int_equal(fstat(fb, &sb), 0);
	assert_int_equal(sa.st_size, sb.st_size);
	for (;;) {
		ssize_t na = read(fa, ba, sizeof(ba)), nb = read(fb, bb, sizeof(bb));
		assert_int_equal(na, nb);
		if (na <= 0)
			break;
		assert_memory_equal(ba, bb, (size_t)na);
	}
	close(fa);
	close(fb);
}

/* Every hole of a is a hole of b. */
static void assert_holes_kept(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	struct stat st;
	off_t pos = 0, hole, data, bdata;

	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(fstat(fa, &st), 0);
	while (pos < st.st_size) {
		hole = lseek(fa, pos, SEEK_HOLE);
		assert_true(hole >= 0);
		if (hole >= st.st_size)
			break;
		data = lseek(fa, hole, SEEK_DATA);
		if (data < 0) {
			assert_int_equal(errno, ENXIO);
			data = st.st_size;
		}
		bdata = lseek(fb, hole, SEEK_DATA);
		if (bdata < 0)
			assert_int_equal(errno, ENXIO);
		else
			assert_true(bdata >= data);
		pos = data;
	}
	close(fa);
	close(fb);
}

static uint64_t allocated(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* Nothing but `want` entries in the test directory (no temporaries). */
static void assert_entries(int want)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, want);
}

struct variant {
	const char *name;
	enum s2e_reflink reflink;
	int no_direct, no_copy_range;
	unsigned threads;
};

static const struct variant variants[] = {
    {"auto", S2E_REFLINK_AUTO, 0, 0, 0},
    {"auto, 3 threads", S2E_REFLINK_AUTO, 0, 0, 3},
    {"copy_file_range", S2E_REFLINK_AUTO, 1, 0, 0},
    {"buffered read/write", S2E_REFLINK_AUTO, 1, 1, 0},
    {"buffered read/write, 4 threads", S2E_REFLINK_AUTO, 1, 1, 4},
    {"never", S2E_REFLINK_NEVER, 0, 0, 0},
    {"never, buffered", S2E_REFLINK_NEVER, 1, 0, 2},
};

struct layout {
	const char *name;
	uint64_t size;
	struct piece pieces[4];
	size_t n;
};

static const struct layout layouts[] = {
    {"hole at the start", 3 * MiB, {{2 * MiB, MiB, -1}}, 1},
    {"hole in the middle", 3 * MiB, {{0, MiB, -1}, {2 * MiB, MiB, -1}}, 2},
    {"hole at the end", 3 * MiB, {{0, MiB, -1}}, 1},
    {"holes everywhere", 20 * MiB, {{MiB, 64 * KiB, -1}, {9 * MiB, 3 * MiB, 'x'}}, 2},
    {"all hole", 5 * MiB, {{0, 0, 0}}, 0},
    {"no holes", 2 * MiB + 12345, {{0, 2 * MiB + 12345, -1}}, 1},
    {"size not a multiple of 4096", 1 * MiB + 100, {{4096, 5000, -1}}, 1},
    {"tiny", 3, {{0, 3, 'a'}}, 1},
    {"data in the last partial block", 8 * MiB + 777, {{8 * MiB, 777, -1}}, 1},
    {"empty", 0, {{0, 0, 0}}, 0},
    {"unaligned data", 3 * MiB, {{12345, 100000, -1}, {2 * MiB + 1, 3, 'z'}}, 2},
};

static uint64_t last_progress;
static int progress_calls;

static void on_progress(void *arg, uint64_t done)
{
	(void)arg;
	assert_true(done >= last_progress);
	last_progress = done;
	progress_calls++;
}

static void layouts_copy_exactly(void **state)
{
	(void)state;
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		const struct layout *lay = &layouts[l];
		make_file(path("src"), lay->size, lay->pieces, lay->n);
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			const struct variant *var = &variants[v];
			struct s2e_copy_options opt;
			struct s2e_copy_result res;
			struct stat sa, sb;

			s2e_copy_options_init(&opt);
			opt.reflink = var->reflink;
			opt.no_direct = var->no_direct;
			opt.no_copy_range = var->no_copy_range;
			opt.threads = var->threads;
			opt.progress = on_progress;
			last_progress = 0;
			progress_calls = 0;
			if (s2e_copy_file(path("src"), path("dst"), &opt, &res))
				fail_msg("%s / %s: %s", lay->name, var->name, s2e_error_last());
			assert_same_content(path("src"), path("dst"));
			assert_holes_kept(path("src"), path("dst"));
			assert_true(allocated(path("dst")) <= allocated(path("src")));
			assert_int_equal(res.size, lay->size);
			if (res.method != S2E_COPY_REFLINK && res.method != S2E_COPY_EMPTY)
				assert_int_equal(last_progress, res.data);
			assert_int_equal(stat(path("src"), &sa), 0);
			assert_int_equal(stat(path("dst"), &sb), 0);
			assert_int_equal(sa.st_mode, sb.st_mode);
			assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
			assert_int_equal(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
			assert_entries(2);
			assert_int_equal(unlink(path("dst")), 0);
		}
		assert_int_equal(unlink(path("src")), 0);
	}
}

/* Written zeros become holes with read/write; copy_file_range keeps them. */
static void zero_blocks_become_holes(void **state)
{
	const struct piece pieces[] = {
	    {0, 4096, 'a'}, {4096, 4 * MiB, 0}, {4 * MiB + 4096, 4096, 'b'}};
	struct s2e_copy_options opt;
	struct s2e_copy_result res;

	(void)state;
	make_file(path("src"), 6 * MiB, pieces, 3);
	assert_true(allocated(path("src")) >= 4 * MiB);
	s2e_copy_options_init(&opt);
	opt.reflink = S2E_REFLINK_NEVER;
	assert_int_equal(s2e_copy_file(path("src"), path("dst"), &opt, &res), 0);
	assert_true(res.method == S2E_COPY_RW || res.method == S2E_COPY_DIRECT);
	assert_int_equal(res.written, 8192);
	assert_same_content(path("src"), path("dst"));
	assert_true(allocated(path("dst")) <= 64 * KiB);
	unlink(path("dst"));
	unlink(path("src"));
}

static void existing_destination(void **state)
{
	const struct piece one[] = {{0, 100, '1'}}, two[] = {{0, 200, '2'}};
	struct s2e_copy_options opt;

	(void)state;
	make_file(path("src"), 100, one, 1);
	make_file(path("dst"), 200, two, 1);
	s2e_copy_options_init(&opt);
	assert_int_equal(s2e_copy_file(path("src"), path("dst"), &opt, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "already exists"));
	assert_non_null(strstr(s2e_error_last(), "dst"));
	make_file(path("want"), 200, two, 1);
	assert_same_content(path("dst"), path("want"));
	unlink(path("want"));
	assert_entries(2);

	opt.force = 1;
	assert_int_equal(s2e_copy_file(path("src"), path("dst"), &opt, NULL), 0);
	assert_same_content(path("src"), path("dst"));
	assert_entries(2);
	unlink(path("src"));
	unlink(path("dst"));
}

static void refusals(void **state)
{
	const struct piece one[] = {{0, 100, '1'}};
	struct s2e_copy_options opt;

	(void)state;
	s2e_copy_options_init(&opt);
	assert_int_equal(s2e_copy_file(path("missing"), path("dst"), &opt, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "missing"));
	assert_int_equal(s2e_copy_file(dir, path("dst"), &opt, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "not a regular file"));

	make_file(path("src"), 100, one, 1);
	opt.force = 1;
	assert_int_equal(s2e_copy_file(path("src"), path("src"), &opt, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "same file"));
	assert_int_equal(s2e_copy_file(path("src"), dir, &opt, NULL), -1);
	assert_non_null(strstr(s2e_error_last(), "directory"));
	assert_int_equal(s2e_copy_file(path("src"), path("no/such/dir/dst"), &opt, NULL), -1);
	assert_entries(1);
	unlink(path("src"));
}

/* On a file system without reflinks, "always" fails clearly and leaves
 * nothing; where reflinks work (XFS, btrfs) it must succeed. */
static void reflink_always(void **state)
{
	const struct piece one[] = {{0, 8192, 'r'}};
	struct s2e_copy_options opt;
	struct s2e_copy_result res;

	(void)state;
	make_file(path("src"), 8192, one, 1);
	s2e_copy_options_init(&opt);
	opt.reflink = S2E_REFLINK_ALWAYS;
	if (s2e_copy_file(path("src"), path("dst"), &opt, &res) == 0) {
		assert_int_equal(res.method, S2E_COPY_REFLINK);
		assert_same_content(path("src"), path("dst"));
		unlink(path("dst"));
	} else {
		assert_non_null(strstr(s2e_error_last(), "does not support reflinks"));
		assert_entries(1);
	}
	unlink(path("src"));
}

static void parse_modes(void **state)
{
	enum s2e_reflink mode;

	(void)state;
	assert_int_equal(s2e_reflink_parse("auto", &mode), 0);
	assert_int_equal(mode, S2E_REFLINK_AUTO);
	assert_int_equal(s2e_reflink_parse("always", &mode), 0);
	assert_int_equal(mode, S2E_REFLINK_ALWAYS);
	assert_int_equal(s2e_reflink_parse("never", &mode), 0);
	assert_int_equal(mode, S2E_REFLINK_NEVER);
	assert_int_equal(s2e_reflink_parse("sometimes", &mode), -1);
	assert_non_null(strstr(s2e_error_last(), "sometimes"));
	assert_string_equal(s2e_copy_method_name(S2E_COPY_REFLINK), "reflink");
}

static void data_bytes(void **state)
{
	const struct piece pieces[] = {{MiB, 64 * KiB, 'd'}, {3 * MiB, MiB, 'e'}};
	uint64_t bytes = 0;
	int fd;

	(void)state;
	make_file(path("src"), 10 * MiB, pieces, 2);
	fd = open(path("src"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(s2e_data_bytes(fd, 10 * MiB, &bytes), 0);
	/* File systems allocate in blocks, some in bigger units: at least the
	 * data, far less than the size. */
	assert_true(bytes >= MiB + 64 * KiB);
	assert_true(bytes <= 4 * MiB);
	close(fd);
	unlink(path("src"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(layouts_copy_exactly), cmocka_unit_test(zero_blocks_become_holes),
	    cmocka_unit_test(existing_destination), cmocka_unit_test(refusals),
	    cmocka_unit_test(reflink_always),	    cmocka_unit_test(parse_modes),
	    cmocka_unit_test(data_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
