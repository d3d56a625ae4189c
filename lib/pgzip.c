/* Command-line values of the package plumbing; see include/s2e/pgzip.h. */
#include <stdio.h>
#include <stdlib.h>

#include "s2e/error.h"
#include "s2e/pgzip.h"

int s2e_parse_jobs(const char *text, unsigned *threads)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (!*text || *end || n < 1 || n > 1024)
		return s2e_error("bad thread count '%s' (1 to 1024)", text);
	*threads = (unsigned)n;
	return 0;
}

int s2e_parse_fd(const char *text, int *fd)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (!*text || *end || n < 0 || n > 1 << 20)
		return s2e_error("bad file descriptor '%s'", text);
	*fd = (int)n;
	return 0;
}

FILE *s2e_fdopen_arg(const char *text, const char *mode)
{
	FILE *f;
	int fd = -1;

	if (s2e_parse_fd(text, &fd))
		return NULL;
	f = fdopen(fd, mode);
	if (!f)
		s2e_error_errno("bad file descriptor %d", fd);
	return f;
}
