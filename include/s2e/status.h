/* The seed's status lines: "[ OK ] step", "[INFO] text", "[WARN] text",
 * "[FAIL] text".  The caller picks the stream (stderr when stdout carries
 * data); colour only on a terminal and never with NO_COLOR set.  On a
 * terminal (TERM not dumb), once a progress bar may have been shown
 * (s2e_progress_shown(), s2e/progress.h), each line first erases the
 * current one ("\r\033[K"), where the bar may be, in the same write(2). */
#ifndef S2E_STATUS_H
#define S2E_STATUS_H

#include <stdio.h>

struct s2e_status {
	FILE *out;
	int color;
	int erase; /* a terminal: may erase a progress bar before each line */
};

void s2e_status_init(struct s2e_status *st, FILE *out);
void s2e_status_ok(struct s2e_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void s2e_status_info(struct s2e_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void s2e_status_warn(struct s2e_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void s2e_status_fail(struct s2e_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void s2e_status_debug(struct s2e_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
