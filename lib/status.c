#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/progress.h"
#include "s2e/status.h"

void s2e_status_init(struct s2e_status *st, FILE *out)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	int tty = isatty(fileno(out)), dumb = term && !strcmp(term, "dumb");

	/* Colour only on a terminal that can show it, and never with NO_COLOR. */
	st->out = out;
	st->color = tty && !(no_color && *no_color) && !dumb;
	/* A progress bar (ours or a plumbing command's, s2e/progress.h) may be
	 * on the terminal's current line: once one was shown, each line erases
	 * it first. */
	st->erase = tty && !dumb;
}

/* One write: a progress bar drawn by another process cannot come between
 * the erasing and the line. */
static void line(struct s2e_status *st, const char *tag, const char *color, const char *fmt,
		 va_list ap)
{
	const char *erase = st->erase && s2e_progress_shown() ? "\r\033[K" : "";
	char *text = NULL, *all = NULL;
	int n = -1;

	if (vasprintf(&text, fmt, ap) >= 0) {
		if (st->color)
			n = asprintf(&all, "%s[\033[%sm%s\033[0m] %s\n", erase,
				     color, tag, text);
		else
			n = asprintf(&all, "%s[%s] %s\n", erase, tag, text);
	}
	if (n >= 0)
		fwrite(all, 1, (size_t)n, st->out);
	else /* out of memory: the line all the same */
		fprintf(st->out, "[%s] %s\n", tag, text ? text : fmt);
	fflush(st->out);
	if (n >= 0)
		free(all);
	free(text);
}

#define STATUS_FN(fn, tag, color)                                                                  \
	void fn(struct s2e_status *st, const char *fmt, ...)                                      \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		line(st, tag, color, fmt, ap);                                                     \
		va_end(ap);                                                                        \
	}

STATUS_FN(s2e_status_ok, " OK ", "1;32")
STATUS_FN(s2e_status_info, "INFO", "1;34")
STATUS_FN(s2e_status_warn, "WARN", "1;33")
STATUS_FN(s2e_status_fail, "FAIL", "1;31")
STATUS_FN(s2e_status_debug, "DEBUG", "1;36")
