/* A progress bar (bytes, rate, ETA) drawn on a terminal file descriptor.
 * s2e_progress_start() returns NULL when fd is not a terminal that can show
 * one (s2e_progress_tty()), and every other function accepts NULL, so
 * callers need no "if (tty)" of their own. */
#ifndef S2E_PROGRESS_H
#define S2E_PROGRESS_H

#include <stdint.h>

struct s2e_progress;

/* Whether fd is a terminal a bar can be drawn on: a tty, and TERM is not
 * "dumb" (which has no line erase: an editor's shell buffer, a serial log). */
int s2e_progress_tty(int fd);

/* Draws the bar at once, at 0%. */
struct s2e_progress *s2e_progress_start(int fd, const char *label, uint64_t total);
/* Thread-safe; redraws at most a few times per second. */
void s2e_progress_update(struct s2e_progress *p, uint64_t done);
void s2e_progress_add(struct s2e_progress *p, uint64_t delta);
/* Transfers (push, pull): the bar also counts chunks, done of `chunks`, and
 * shows the bytes transferred (labelled `verb`: "sent", "fetched") and skipped.  s2e_progress_chunk()
 * reports one chunk of `size` bytes done, `sent` bytes of it transferred (0:
 * skipped, the other side or a local VM had it). */
void s2e_progress_set_chunks(struct s2e_progress *p, uint64_t chunks, const char *verb);
void s2e_progress_chunk(struct s2e_progress *p, uint64_t size, uint64_t sent);
/* Erase the bar (before a status line is printed); the next update redraws it. */
void s2e_progress_clear(struct s2e_progress *p);
/* Erase the bar ("\r\033[K") and free it.  Status lines printed while a bar
 * may be drawn (by this process or a child) erase it too (s2e/status.h). */
void s2e_progress_finish(struct s2e_progress *p);

/* Whether a bar may have been drawn on a terminal by this process (a bar
 * was started) or by a child it gave a terminal to (s2e_progress_lent(),
 * called by whoever passes --progress=FD of a terminal): the status lines
 * (s2e/status.h) then erase the current line first. */
int s2e_progress_shown(void);
void s2e_progress_lent(void);

#endif
