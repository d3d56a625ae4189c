/* File-system helpers shared by the modules. */
#ifndef S2E_FS_H
#define S2E_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* malloc'd "a/b"; NULL (with the error set) only when out of memory. */
char *s2e_path_join(const char *a, const char *b);
char *s2e_strdup(const char *s);
char *s2e_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int s2e_mkdir_p(const char *path, mode_t mode);
/* rm -rf that does not follow symlinks; a missing path is fine. */
int s2e_remove_tree(const char *path);
int s2e_fsync_dir(const char *path);
/* Write a whole file through a temporary and rename(2): readers see the old
 * or the new contents, never a mix. */
int s2e_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Whether file name `name` is a temporary s2e_write_file_atomic() makes for
 * a file named `base` ("BASE.tmp.XXXXXX"), which a killed writer leaves. */
int s2e_is_atomic_tmp(const char *name, const char *base);
/* Give up a temporary file: close fd (if >= 0), unlink and free tmp (if set). */
void s2e_tmp_discard(int fd, char *tmp);
/* Read a whole (small) file; *data is NUL-terminated. */
int s2e_read_file(const char *path, char **data, size_t *len);
/* The whole range or -1 with errno (EINTR retried; EIO when the file ends
 * before the range does).  No message is set. */
int s2e_pread_full(int fd, void *buf, size_t len, uint64_t off);
int s2e_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* 1 when [off, off+len) of fd holds no data extent (SEEK_DATA says so). */
int s2e_range_is_hole(int fd, uint64_t off, uint64_t len);
/* Bytes allocated on disk (st_blocks * 512). */
int s2e_allocated(const char *path, uint64_t *bytes);
/* Wall-clock time now, and as UTC "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
void s2e_time_utc(char *buf, size_t len);
/* Find an executable: a name with '/' is checked as is, else searched in
 * $PATH.  malloc'd path, or NULL with the error set ("cannot run 'NAME': ..."). */
char *s2e_which(const char *name);
struct timespec;
void s2e_time_utc_of(const struct timespec *ts, char *buf, size_t len);
/* Read a time as s2e_time_utc_of() writes it (UTC; the fraction optional);
 * -1 (no error set) when text is NULL or not such a time. */
int s2e_time_parse(const char *text, struct timespec *ts);
/* -1, 0, 1 as time a is before, equal to or after time b. */
int s2e_time_cmp(const struct timespec *a, const struct timespec *b);
/* Called first thing in every main(): open /dev/null onto whichever of the
 * descriptors 0, 1 and 2 is closed, so that no file the program opens later
 * is taken for standard input, output or error.  -1 if that fails (the
 * program should then exit 1 without printing). */
int s2e_std_fds_open(void);
/* LC_CTYPE from the environment, or C.UTF-8 when that is not UTF-8: member
 * names in packages are UTF-8, and libarchive converts them by the locale. */
void s2e_locale_utf8(void);

#endif
