#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2e/status.h"

void s2e_status_init(struct s2e_status *st, FILE *out)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	/* Colour only on a terminal that can show it, and never with NO_COLOR. */
	st->out = out;
	st->color = isatty(fileno(out)) && !(no_color && *no_color) &&
		    !(term && !strcmp(term, "dumb"));
}

static void line(struct s2e_status *st, const char *tag, const char *color, const char *fmt,
		 va_list ap)
{
	if (st->color)
		fprintf(st->out, "[\033[%sm%s\033[0m] ", color, tag);
	else
		fprintf(st->out, "[%s] ", tag);
	vfprintf(st->out, fmt, ap);
	fputc('\n', st->out);
	fflush(st->out);
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
