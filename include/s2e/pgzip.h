/* Command-line values of the package plumbing (-j/--jobs, --progress=FD,
 * --status-fd FD).  The compression streams themselves are in zwriter.h and
 * zsource.h; these parsers are to move into the command-line layer. */
#ifndef S2E_PGZIP_H
#define S2E_PGZIP_H

#include <stdio.h>

/* Parse a -j/--jobs value (1..1024); -1 with the error set if bad. */
int s2e_parse_jobs(const char *text, unsigned *threads);
/* Parse a file descriptor number (--progress=FD, --status-fd FD). */
int s2e_parse_fd(const char *text, int *fd);
/* The same, opened as a stream (--status-fd FD); NULL with the error set. */
FILE *s2e_fdopen_arg(const char *text, const char *mode);

#endif
