#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "s2e/error.h"

static _Thread_local char message[4096];

int s2e_error_v(const char *fmt, va_list ap)
{
	vsnprintf(message, sizeof(message), fmt, ap);
	return -1;
}

int s2e_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s2e_error_v(fmt, ap);
	va_end(ap);
	return -1;
}

int s2e_error_errno(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int s2e_error_prefix(const char *fmt, ...)
{
	char old[sizeof(message)];
	size_t len;
	va_list ap;

	memcpy(old, message, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, ": %s", old[0] ? old : "unknown error");
	return -1;
}

const char *s2e_error_last(void)
{
	return message[0] ? message : "unknown error";
}

void s2e_error_clear(void)
{
	message[0] = '\0';
}
