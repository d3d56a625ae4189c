/* Error reporting for lib/: functions return -1 (or NULL) and leave a message
 * here for the caller to show.  Like git_error_last() in libgit2, the message
 * is per thread and lives until the next error is set. */
#ifndef S2E_ERROR_H
#define S2E_ERROR_H

#include <stdarg.h>

/* Set the message and return -1, so a failing path reads `return s2e_error(...)`. */
int s2e_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with ": strerror(errno)" appended; errno is preserved. */
int s2e_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int s2e_error_v(const char *fmt, va_list ap);
/* Put "context: " in front of the current message (to add the object). */
int s2e_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message, or "unknown error" when none was set. */
const char *s2e_error_last(void);
void s2e_error_clear(void);

#endif
