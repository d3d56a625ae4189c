/* Error reporting for lib/: functions return a negative code (or NULL) and
 * leave a message here for the caller to show.  Like libgit2's
 * git_error_last(), the message is per thread and lives until the next error
 * is set; the code is kept with it.
 *
 * Codes: callers branch on them where the answer changes what they do
 * ("exists" versus "not found", "locked").  S2E_ERROR (-1) is any other
 * failure; every code is negative, so `if (rc < 0)` and `if (rc)` both test
 * for failure.
 *
 * Clean-up after a failure must not replace its message:
 *
 *   struct s2e_error_state saved;
 *   s2e_error_save(&saved);
 *   remove_staging();              // may fail and set its own error
 *   return s2e_error_restore(&saved);  // the first error, and its code
 */
#ifndef S2E_ERROR_H
#define S2E_ERROR_H

#include <stdarg.h>

enum s2e_error_code {
	S2E_OK = 0,
	S2E_ERROR = -1,	    /* a failure with no more specific code */
	S2E_ENOTFOUND = -3, /* the object (VM, snapshot, file) does not exist */
	S2E_EEXISTS = -4,   /* the object already exists */
	S2E_ELOCKED = -5,   /* S2EDIR or the history is locked by another process */
	S2E_EINUSE = -6,    /* the VM is in use (running) */
	S2E_EUSAGE = -7,    /* what the user typed is malformed (exit 2) */
	S2E_EINVALID = -8,  /* a name or value is refused (unsafe, or git refuses it) */
};

#define S2E_ERROR_MAX 4096

/* Set the message (code S2E_ERROR) and return -1, so a failing path reads
 * `return s2e_error(...)`. */
int s2e_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with ": strerror(errno)" appended; errno is preserved. */
int s2e_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int s2e_error_v(const char *fmt, va_list ap);
/* Set the message with a code, and return the code. */
int s2e_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put "context: " in front of the current message (to add the object); the
 * code is kept, and returned. */
int s2e_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message, or "unknown error" when none was set. */
const char *s2e_error_last(void);
/* The code of the last error (S2E_OK when none was set). */
int s2e_error_code(void);
void s2e_error_clear(void);

/* A saved error: save before clean-up, restore after it. */
struct s2e_error_state {
	int code;
	char message[S2E_ERROR_MAX];
};
void s2e_error_save(struct s2e_error_state *state);
/* Put the saved error back; returns its code (S2E_ERROR if none was set). */
int s2e_error_restore(const struct s2e_error_state *state);

/* For tests only: with S2E_TEST_FAIL=POINT in the environment, the step
 * named POINT fails (returns -1 with a message saying so), so that the
 * recovery from a failure there can be tested.  Points: "history-publish"
 * (the history commit, after the VM was moved into place), "vmtx-build"
 * (s2e_vmtx_commit, before anything moves). */
int s2e_fault(const char *point);

#endif
