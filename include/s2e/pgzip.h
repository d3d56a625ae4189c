/* Parallel compression streams for packages (SPEC §4.1).
 *
 * Writer: the data is cut into 1 MiB blocks, each compressed on its own by a
 * pool of threads (libdeflate) into one gzip member; the members are written
 * in order, so the output is one valid multi-member gzip file (gzip -t, GNU
 * tar, bsdtar and pigz -d read it).  Each member carries its own length in a
 * FEXTRA subfield "S2" (like BGZF's "BC"), so a reader can find the members
 * without inflating and decompress them in parallel.  zstd uses libzstd's own
 * worker threads.  Memory is bounded: a ring of 2 x threads + 2 blocks.
 *
 * Source: a thread reads a package stream, detects gzip/zstd by magic and
 * hands out the decompressed bytes in order.  Gzip members written by the
 * writer are inflated in parallel with libdeflate; any other gzip stream
 * (gzip, pigz, tar czf) is inflated by zlib on the source thread, overlapped
 * with the consumer.  Anything else (plain tar, xz, garbage) is passed through
 * unchanged for libarchive to recognise.  The SHA-256 of the raw input bytes
 * is computed on the way. */
#ifndef S2E_PGZIP_H
#define S2E_PGZIP_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#define S2E_PGZ_BLOCK (1024 * 1024)

enum s2e_zformat { S2E_Z_GZIP, S2E_Z_ZSTD, S2E_Z_NONE };

/* Output of a compressing writer goes to this sink, in order. */
typedef int (*s2e_sink_fn)(void *ctx, const void *buf, size_t len);

struct s2e_zwriter;
/* level 0: the default (gzip 6, zstd 3); threads 0: all cores. */
struct s2e_zwriter *s2e_zwriter_new(enum s2e_zformat format, int level, unsigned threads,
				    s2e_sink_fn sink, void *ctx);
int s2e_zwriter_write(struct s2e_zwriter *w, const void *buf, size_t len);
/* Flush everything to the sink.  Free in any case afterwards. */
int s2e_zwriter_finish(struct s2e_zwriter *w);
void s2e_zwriter_free(struct s2e_zwriter *w);

struct s2e_zsource;
struct s2e_zsource *s2e_zsource_open(int fd, unsigned threads);
/* Next block of decompressed bytes: its length, 0 at the end, -1 with the
 * error set.  The block stays valid until the next call. */
ssize_t s2e_zsource_read(struct s2e_zsource *s, const void **buf);
/* "gzip", "zstd" or "none" (none: passed through; may still be xz, bzip2). */
const char *s2e_zsource_kind(struct s2e_zsource *s);
/* Raw bytes read so far (any thread; for progress bars). */
uint64_t s2e_zsource_bytes(struct s2e_zsource *s);
/* Read the rest of the stream, checking its integrity, then give the
 * SHA-256 (hex) and byte count of the whole raw input. */
int s2e_zsource_finish(struct s2e_zsource *s, char sha256_hex[65], uint64_t *bytes);
void s2e_zsource_close(struct s2e_zsource *s);

/* Cores to use when the caller says 0. */
unsigned s2e_cores(void);
/* Parse a -j/--jobs value (1..1024); -1 with the error set if bad. */
int s2e_parse_jobs(const char *text, unsigned *threads);
/* Parse a file descriptor number (--progress=FD, --status-fd FD). */
int s2e_parse_fd(const char *text, int *fd);
/* The same, opened as a stream (--status-fd FD); NULL with the error set. */
FILE *s2e_fdopen_arg(const char *text, const char *mode);

#endif
