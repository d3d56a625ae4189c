/* Copying one image or snapshot file (SPEC §4, s2e-snapcp), as cheaply as the
 * file system allows, and never less sparse than the source:
 *
 *   1. reflink (FICLONE): the copy shares the source's blocks;
 *   2. copy_file_range(2) over the data extents found with SEEK_DATA /
 *      SEEK_HOLE, so holes stay holes and the kernel moves the bytes;
 *   3. pread/pwrite over the data extents, leaving zero blocks as holes.
 *
 * When the copy is to be fsync'ed, on local disk file systems (ext4, XFS,
 * btrfs, ...) step 2 is skipped for step 3 with direct I/O (O_DIRECT writes from a few threads):
 * there the kernel's copy is only a page-cache copy that fsync must then flush, and direct writes
 * measured faster (bench/clone) while also keeping zero blocks as holes. The copy is written to an
 * unnamed (O_TMPFILE) or hidden temporary file in the destination's directory, given the source's
 * size, mode and times, fsync'ed (unless no_sync), and only then linked or renamed to the
 * destination: it appears complete or not at all.  Peak memory is one 1 MiB buffer per thread. */
#ifndef S2E_COPY_H
#define S2E_COPY_H

#include <stdint.h>

enum s2e_reflink {
	S2E_REFLINK_AUTO,   /* reflink when the file system can, else copy */
	S2E_REFLINK_ALWAYS, /* reflink or fail */
	S2E_REFLINK_NEVER,  /* always copy the bytes (no copy_file_range either:
			       the kernel may turn it into a reflink) */
};

enum s2e_copy_method {
	S2E_COPY_EMPTY,	  /* nothing to copy: no data in the source */
	S2E_COPY_REFLINK, /* FICLONE */
	S2E_COPY_RANGE,	  /* copy_file_range over the data extents */
	S2E_COPY_RW,	  /* read/write over the data extents, zero blocks skipped */
	S2E_COPY_DIRECT,  /* the same with O_DIRECT writes */
};

struct s2e_copy_options {
	enum s2e_reflink reflink;
	int force; /* replace an existing destination */
	/* Do not fsync: like cp(1), the data reaches the disk when the kernel
	 * writes it back.  The destination still appears whole or not at all
	 * to other processes (and after kill -9), but not after a power cut. */
	int no_sync;
	/* Threads copying data extents in parallel (0: chosen by size and
	 * method; at most 4). */
	unsigned threads;
	/* Testing: do not try copy_file_range (go straight to read/write). */
	int no_copy_range;
	/* Testing: no direct I/O (copy_file_range, else buffered writes). */
	int no_direct;
	/* Called with the source bytes handled so far (data extents, whatever
	 * the method; holes cost nothing and count nothing), never
	 * concurrently, from any thread.  May be NULL. */
	void (*progress)(void *arg, uint64_t done);
	void *progress_arg;
};

struct s2e_copy_result {
	enum s2e_copy_method method; /* the last method used */
	uint64_t size;		     /* apparent size */
	uint64_t data;		     /* bytes in the source's data extents */
	uint64_t written;	     /* bytes written by read/write (zero blocks excluded) */
};

void s2e_copy_options_init(struct s2e_copy_options *opt);
/* "auto", "always", "never" */
int s2e_reflink_parse(const char *text, enum s2e_reflink *mode);
const char *s2e_copy_method_name(enum s2e_copy_method method);

/* Copy the regular file src to dst (a file path, not a directory).  Without
 * opt->force an existing dst is an error and is not touched.  result may be
 * NULL.  On failure nothing is left at dst (nor any temporary). */
int s2e_copy_file(const char *src, const char *dst, const struct s2e_copy_options *opt,
		  struct s2e_copy_result *result);

/* The data part alone: copy `size` bytes of in to the (empty) out, holes kept,
 * and set out's size.  Names are for messages. */
int s2e_copy_fd(int in, int out, uint64_t size, const struct s2e_copy_options *opt,
		const char *src_name, const char *dst_name, struct s2e_copy_result *result);

/* Bytes of data (not holes) in an open file, from SEEK_DATA/SEEK_HOLE; the
 * whole size when the file system cannot tell. */
int s2e_data_bytes(int fd, uint64_t size, uint64_t *bytes);

#endif
