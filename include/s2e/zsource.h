/* The decompressing source of packages (SPEC §4.1): a thread reads a package
 * stream, detects gzip/zstd by magic and hands out the decompressed bytes in
 * order, overlapped with the consumer.
 *
 * Gzip members in the format of zwriter.h are inflated in parallel with
 * libdeflate (zring.h); any other gzip stream (gzip, pigz, tar czf) is
 * inflated by zlib on the source thread.  Bytes after the last gzip member
 * are ignored, as gzip does.  Anything else (plain tar, xz, garbage) is
 * passed through unchanged for libarchive to recognise.  The SHA-256 of the
 * raw input bytes (all of them, up to EOF) is computed on the way.
 *
 * One consumer thread calls the functions below, except s2e_zsource_bytes
 * (any thread).  Errors: -1 or NULL with the error set ("truncated gzip
 * stream", "corrupt zstd stream: ...", the read error). */
#ifndef S2E_ZSOURCE_H
#define S2E_ZSOURCE_H

#include <stdint.h>
#include <sys/types.h>

struct s2e_zsource;
/* Start reading fd (not closed by the source); threads 0: all cores. */
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
/* Stop the source thread (also mid-stream) and free everything. */
void s2e_zsource_close(struct s2e_zsource *s);

#endif
