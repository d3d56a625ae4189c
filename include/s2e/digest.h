/* The content digest of SPEC §4.2: SHA-256 over the SHA-256s of 1 MiB chunks,
 * "sha256-1m:" + hex.  Holes cost nothing (SEEK_DATA/SEEK_HOLE): a chunk that
 * is all hole uses the precomputed digest of zeros.  The same content gives
 * the same digest whatever its layout (holes or written zeros).
 *
 * Errors: -1 with the error set (read errors, and running out of memory:
 * never a wrong digest). */
#ifndef S2E_DIGEST_H
#define S2E_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define S2E_DIGEST_CHUNK (1024 * 1024)
#define S2E_DIGEST_PREFIX "sha256-1m:"
/* "sha256-1m:" + 64 hex digits + NUL */
#define S2E_DIGEST_LEN (10 + 64 + 1)

struct s2e_progress;

/* A SHA-256 as 64 lower-case hex digits and a NUL. */
void s2e_sha256_hex(const unsigned char md[32], char out[65]);
/* 1 if d is "sha256-1m:" and 64 lower-case hex digits, else 0. */
int s2e_digest_valid(const char *d);

/* Digest an open file (from offset 0 to its size), hashing chunks on
 * `threads` threads (0: all cores).  progress may be NULL. */
int s2e_digest_fd(int fd, unsigned threads, struct s2e_progress *progress,
		  char out[S2E_DIGEST_LEN]);
int s2e_digest_file(const char *path, unsigned threads, char out[S2E_DIGEST_LEN]);

/* Streaming form, for data that arrives in order (an archive member):
 * feed bytes (or a run of zeros for a hole) and finish. */
struct s2e_digest_stream;
struct s2e_digest_stream *s2e_digest_stream_new(void);
int s2e_digest_stream_data(struct s2e_digest_stream *d, const void *buf, size_t len);
int s2e_digest_stream_zeros(struct s2e_digest_stream *d, uint64_t len);
int s2e_digest_stream_finish(struct s2e_digest_stream *d, char out[S2E_DIGEST_LEN]);
void s2e_digest_stream_free(struct s2e_digest_stream *d);

#endif
