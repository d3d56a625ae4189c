/* libFuzzer harness: the casync index reader (lib/caindex.c).  An index it
 * accepts has strictly increasing offsets and chunks of 1 .. 1 MiB that add
 * up to the size it reports; written again by the writer, it reads back to
 * the same entries, size and digest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "s2e/caindex.h"
#include "s2e/digest.h"
#include "s2e/error.h"

struct seen {
	uint64_t n, size;
	unsigned char ids[4096][S2E_CHUNK_ID_LEN];
	uint32_t sizes[4096];
	char digest[S2E_DIGEST_LEN];
};

/* Read fd from its start: 0 and s filled, or -1. */
static int read_all(int fd, struct seen *s)
{
	struct s2e_caindex_reader *r;
	struct s2e_caindex_entry e;
	uint64_t end = 0;
	int rc;

	if (lseek(fd, 0, SEEK_SET) || !(r = s2e_caindex_reader_new(fd, "fuzz", S2E_CAINDEX_ANY_SIZE)))
		return -1;
	s->n = 0;
	while ((rc = s2e_caindex_next(r, &e)) == 1) {
		if (e.offset != end || e.size == 0 || e.size > S2E_CHUNK_MAX || s->n >= 4096)
			abort();
		end += e.size;
		memcpy(s->ids[s->n], e.id, S2E_CHUNK_ID_LEN);
		s->sizes[s->n++] = e.size;
	}
	if (rc == 0 && (s2e_caindex_size(r) != end || s2e_caindex_count(r) != s->n))
		abort();
	s->size = end;
	if (rc == 0 && !s2e_caindex_digest(r, s->digest))
		s->digest[0] = '\0';
	s2e_caindex_reader_free(r);
	return rc;
}

static int memfd(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen a, b;
	struct s2e_caindex_writer *w;
	int in = memfd(data, size), out;

	if (read_all(in, &a)) {
		close(in);
		s2e_error_clear();
		return 0;
	}
	close(in);
	out = memfd(NULL, 0);
	if (!(w = s2e_caindex_writer_new(out, "fuzz")))
		abort();
	for (uint64_t i = 0; i < a.n; i++)
		if (s2e_caindex_writer_add(w, a.ids[i], a.sizes[i]))
			abort();
	if (s2e_caindex_writer_finish(w))
		abort();
	s2e_caindex_writer_free(w);
	if (read_all(out, &b) || b.n != a.n || b.size != a.size || strcmp(a.digest, b.digest) ||
	    memcmp(a.ids, b.ids, a.n * S2E_CHUNK_ID_LEN) ||
	    memcmp(a.sizes, b.sizes, a.n * sizeof(a.sizes[0])))
		abort();
	close(out);
	s2e_error_clear();
	return 0;
}
