#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"

static _Thread_local char message[S2E_ERROR_MAX];
static _Thread_local int code;

/* Formatted through a copy, so that s2e_error("%s", s2e_error_last()) (or
 * any argument pointing into the message) is safe. */
int s2e_error_v(const char *fmt, va_list ap)
{
	char text[sizeof(message)];

	vsnprintf(text, sizeof(text), fmt, ap);
	memcpy(message, text, sizeof(message));
	code = S2E_ERROR;
	return S2E_ERROR;
}

int s2e_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s2e_error_v(fmt, ap);
	va_end(ap);
	return S2E_ERROR;
}

int s2e_error_set(int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s2e_error_v(fmt, ap);
	va_end(ap);
	code = c < 0 ? c : S2E_ERROR;
	return code;
}

int s2e_error_errno(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	s2e_error_v(fmt, ap);
	va_end(ap);
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, ": %s", strerror(saved));
	code = S2E_ERROR;
	errno = saved;
	return S2E_ERROR;
}

int s2e_error_prefix(const char *fmt, ...)
{
	char old[sizeof(message)];
	int keep = code;
	size_t len;
	va_list ap;

	memcpy(old, message, sizeof(old));
	va_start(ap, fmt);
	s2e_error_v(fmt, ap);
	va_end(ap);
	code = keep;
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, ": %s", old[0] ? old : "unknown error");
	if (code == S2E_OK)
		code = S2E_ERROR;
	return code;
}

const char *s2e_error_last(void)
{
	return message[0] ? message : "unknown error";
}

int s2e_error_code(void)
{
	return code;
}

void s2e_error_clear(void)
{
	message[0] = '\0';
	code = S2E_OK;
}

void s2e_error_save(struct s2e_error_state *state)
{
	state->code = code;
	memcpy(state->message, message, sizeof(state->message));
}

int s2e_error_restore(const struct s2e_error_state *state)
{
	memcpy(message, state->message, sizeof(message));
	code = state->code;
	return code < 0 ? code : S2E_ERROR;
}

int s2e_fault(const char *point)
{
	const char *want = getenv("S2E_TEST_FAIL");

	if (!want || strcmp(want, point))
		return 0;
	return s2e_error("%s failed (S2E_TEST_FAIL=%s is set)", point, point);
}
