/* Unit tests for lib/exec: the one-poll reader, capture, status lines, the
 * environment, exec failures, the parallel runner, and the error codes. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/error.h"
#include "s2e/exec.h"

static void sh(struct s2e_cmd *cmd, const char *script)
{
	*cmd = (struct s2e_cmd)S2E_CMD_INIT;
	assert_int_equal(s2e_strv_add(&cmd->args, "/bin/sh"), 0);
	assert_int_equal(s2e_strv_add(&cmd->args, "-c"), 0);
	assert_int_equal(s2e_strv_add(&cmd->args, script), 0);
}

/* The child fills the stderr pipe (far more than a pipe holds) before it
 * writes stdout: a reader that drains stdout first would wait forever. */
static void stderr_before_stdout(void **state)
{
	struct s2e_buf out = S2E_BUF_INIT;
	struct s2e_cmd cmd;

	(void)state;
	sh(&cmd, "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo done");
	cmd.out = -1;
	cmd.err = -1;
	cmd.out_buf = &out;
	alarm(20); /* a deadlock fails the test instead of hanging it */
	assert_int_equal(s2e_cmd_run(&cmd), 0);
	alarm(0);
	assert_string_equal(out.buf, "done\n");
	s2e_buf_free(&out);
}

static void failure_message_is_stderr(void **state)
{
	struct s2e_cmd cmd;

	(void)state;
	sh(&cmd, "echo '/bin/sh: it broke' >&2; exit 3");
	cmd.err = -1;
	assert_int_equal(s2e_cmd_run(&cmd), -1);
	assert_string_equal(s2e_error_last(), "it broke");
	sh(&cmd, "exit 4");
	assert_int_equal(s2e_cmd_run(&cmd), -1);
	assert_string_equal(s2e_error_last(), "/bin/sh failed with exit status 4");
	sh(&cmd, "kill -TERM $$");
	assert_int_equal(s2e_cmd_run(&cmd), -1);
	assert_non_null(strstr(s2e_error_last(), "killed by signal 15"));
}

struct lines {
	char seen[8][64];
	int n;
};

static int on_line(struct s2e_cmd *cmd, const char *line, size_t len)
{
	struct lines *l = cmd->data;

	if (l->n < 8)
		snprintf(l->seen[l->n++], 64, "%.*s", (int)len, line);
	return 0;
}

/* Status lines on fd 3, split however the writes fall; the last line may
 * lack its newline; the environment addition is seen. */
static void status_lines_and_env(void **state)
{
	struct lines l = {.n = 0};
	struct s2e_cmd cmd;

	(void)state;
	sh(&cmd, "printf 'one\\ntw' >&3; sleep 0.1; printf 'o\\n%s' \"$S2E_X\" >&3");
	assert_int_equal(s2e_strv_add(&cmd.env, "S2E_X=three"), 0);
	cmd.status = -1;
	cmd.on_status = on_line;
	cmd.data = &l;
	assert_int_equal(s2e_cmd_run(&cmd), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.seen[0], "one");
	assert_string_equal(l.seen[1], "two");
	assert_string_equal(l.seen[2], "three");
}

static int refuse(struct s2e_cmd *cmd, const char *line, size_t len)
{
	(void)cmd;
	(void)line;
	(void)len;
	return s2e_error_set(S2E_EINVALID, "bad record");
}

/* A callback that refuses stops the child; its error is the result. */
static void callback_stops_child(void **state)
{
	struct s2e_cmd cmd;

	(void)state;
	sh(&cmd, "echo x >&3; exec sleep 30");
	cmd.status = -1;
	cmd.on_status = refuse;
	alarm(20);
	assert_int_equal(s2e_cmd_run(&cmd), S2E_EINVALID);
	alarm(0);
	assert_string_equal(s2e_error_last(), "bad record");
}

static void overlong_status_line(void **state)
{
	struct lines l = {.n = 0};
	struct s2e_cmd cmd;

	(void)state;
	sh(&cmd, "head -c 100000 /dev/zero | tr '\\0' x >&3");
	cmd.status = -1;
	cmd.on_status = on_line;
	cmd.data = &l;
	assert_int_equal(s2e_cmd_run(&cmd), -1);
	assert_non_null(strstr(s2e_error_last(), "status line longer than"));
	assert_int_equal(l.n, 0);
}

static void exec_failure(void **state)
{
	struct s2e_cmd cmd = S2E_CMD_INIT;

	(void)state;
	assert_int_equal(s2e_strv_add(&cmd.args, "/nonexistent/s2e-nothing"), 0);
	assert_int_equal(s2e_cmd_start(&cmd), -1);
	assert_non_null(strstr(s2e_error_last(), "cannot run /nonexistent/s2e-nothing"));
	assert_int_equal(cmd.pid, -1);
	setenv("S2E_EXEC_PATH", "/nonexistent", 1);
	cmd = (struct s2e_cmd)S2E_CMD_INIT;
	assert_int_equal(s2e_strv_add(&cmd.args, "s2e-nothing"), 0);
	assert_int_equal(s2e_cmd_start(&cmd), S2E_ENOTFOUND);
	unsetenv("S2E_EXEC_PATH");
}

/* Parallel: task 1 fails to spawn; task 0, running, is stopped at once. */
struct par {
	int done_called[4];
	const char *scripts[4];
};

static int par_cmd(struct s2e_parallel *p, size_t i, struct s2e_cmd *cmd)
{
	struct par *par = p->data;

	if (!par->scripts[i])
		return s2e_strv_add(&cmd->args, "/nonexistent/s2e-none");
	sh(cmd, par->scripts[i]);
	return 0;
}

static int par_done(struct s2e_parallel *p, size_t i, int rc)
{
	struct par *par = p->data;

	par->done_called[i] = 1;
	return rc;
}

static void parallel_spawn_failure_stops_others(void **state)
{
	struct par par = {{0}, {"exec sleep 30", NULL, "exit 0", "exit 0"}};
	struct s2e_parallel p = {4, 2, par_cmd, par_done, NULL, &par};
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(s2e_run_parallel(&p), -1);
	assert_true(time(NULL) - start < 10);
	assert_non_null(strstr(s2e_error_last(), "cannot run /nonexistent/s2e-none"));
	assert_int_equal(par.done_called[0], 0); /* stopped by us: not reported */
	assert_int_equal(par.done_called[2], 0); /* never started */
}

static void parallel_all_succeed(void **state)
{
	struct par par = {{0}, {"exit 0", "sleep 0.2", "exit 0", "exit 0"}};
	struct s2e_parallel p = {4, 2, par_cmd, par_done, NULL, &par};

	(void)state;
	assert_int_equal(s2e_run_parallel(&p), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(par.done_called[i], 1);
}

static void parallel_failure_stops_others(void **state)
{
	struct par par = {{0}, {"exec sleep 30", "exit 5", "exit 0", "exit 0"}};
	struct s2e_parallel p = {4, 2, par_cmd, par_done, NULL, &par};
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(s2e_run_parallel(&p), -1);
	assert_true(time(NULL) - start < 10);
	assert_string_equal(s2e_error_last(), "/bin/sh failed with exit status 5");
	assert_int_equal(par.done_called[2], 0);
}

static void error_codes_and_restore(void **state)
{
	struct s2e_error_state saved;

	(void)state;
	assert_int_equal(s2e_error_set(S2E_EEXISTS, "VM %s exists", "A"), S2E_EEXISTS);
	assert_int_equal(s2e_error_code(), S2E_EEXISTS);
	s2e_error_save(&saved);
	s2e_error("clean-up failed");
	assert_int_equal(s2e_error_restore(&saved), S2E_EEXISTS);
	assert_string_equal(s2e_error_last(), "VM A exists");
	assert_int_equal(s2e_error_prefix("cannot create"), S2E_EEXISTS);
	assert_string_equal(s2e_error_last(), "cannot create: VM A exists");
	/* formatting the message into itself is safe */
	s2e_error("%s", s2e_error_last());
	assert_string_equal(s2e_error_last(), "cannot create: VM A exists");
	s2e_error_clear();
	assert_string_equal(s2e_error_last(), "unknown error");
	assert_int_equal(s2e_error_code(), S2E_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stderr_before_stdout),
		cmocka_unit_test(failure_message_is_stderr),
		cmocka_unit_test(status_lines_and_env),
		cmocka_unit_test(callback_stops_child),
		cmocka_unit_test(overlong_status_line),
		cmocka_unit_test(exec_failure),
		cmocka_unit_test(parallel_spawn_failure_stops_others),
		cmocka_unit_test(parallel_all_succeed),
		cmocka_unit_test(parallel_failure_stops_others),
		cmocka_unit_test(error_codes_and_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
