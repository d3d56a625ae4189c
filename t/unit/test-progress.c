/* Unit tests for the progress bar: nothing on a non-terminal, a bar on a
 * terminal (a pseudo-terminal here), and updates from several threads at once
 * (also run under ThreadSanitizer). */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/progress.h"

static void not_a_terminal(void **state)
{
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_null(s2e_progress_start(fds[1], "x", 10));
	assert_false(s2e_progress_shown()); /* status lines erase nothing */
	/* and NULL is accepted everywhere */
	s2e_progress_add(NULL, 1);
	s2e_progress_update(NULL, 1);
	s2e_progress_finish(NULL);
	close(fds[0]);
	close(fds[1]);
}

static void *add_many(void *arg)
{
	for (int i = 0; i < 1000; i++)
		s2e_progress_add(arg, 1024);
	return NULL;
}

/* Everything the terminal got so far. */
static size_t drain(int master, char *buf, size_t cap)
{
	size_t len = 0;
	struct pollfd p = {master, POLLIN, 0};

	while (len < cap - 1 && poll(&p, 1, 100) > 0) {
		ssize_t n = read(master, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static void threads_on_a_terminal(void **state)
{
	int master, slave;
	pthread_t t[4];
	struct s2e_progress *p;
	char out[8192];

	(void)state;
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	p = s2e_progress_start(slave, "copying", 4 * 1000 * 1024);
	assert_non_null(p);
	assert_true(s2e_progress_shown()); /* status lines erase it from now on */
	drain(master, out, sizeof(out));
	assert_non_null(strstr(out, "copying [")); /* drawn at once */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, add_many, p), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	usleep(250 * 1000); /* redraws are at most every 0.2 s */
	s2e_progress_add(p, 0);
	drain(master, out, sizeof(out));
	assert_non_null(strstr(out, "copying ["));
	assert_non_null(strstr(out, "100%")); /* all 4000 KiB counted */
	s2e_progress_finish(p);
	drain(master, out, sizeof(out));
	assert_non_null(strstr(out, "\r\033[K"));
	close(slave);
	close(master);
}

static void a_transfer_shows_chunks_sent_and_skipped(void **state)
{
	int master, slave;
	struct s2e_progress *p;
	char out[8192];

	(void)state;
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	p = s2e_progress_start(slave, "push", 4 << 20);
	assert_non_null(p);
	s2e_progress_set_chunks(p, 4, "sent");
	s2e_progress_chunk(p, 1 << 20, 1000);
	s2e_progress_chunk(p, 1 << 20, 0);
	s2e_progress_chunk(p, 1 << 20, 0);
	usleep(250 * 1000);
	s2e_progress_chunk(p, 1 << 20, 24);
	drain(master, out, sizeof(out));
	assert_non_null(strstr(out, "4/4 chunks, 1.0 KiB sent, 2.0 MiB skipped"));
	s2e_progress_clear(p);
	drain(master, out, sizeof(out));
	assert_string_equal(out, "\r\033[K");
	s2e_progress_finish(p);
	close(slave);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(not_a_terminal),
	    cmocka_unit_test(threads_on_a_terminal),
	    cmocka_unit_test(a_transfer_shows_chunks_sent_and_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
