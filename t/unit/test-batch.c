/* Unit tests for batch files: Chef's cross-product, job numbering and
 * names, the `s2e vm run` words of a job, and hostile or malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "s2e/batch.h"
#include "s2e/error.h"
#include "s2e/strv.h"

static int parse(const char *yaml, struct s2e_batch *b)
{
	return s2e_batch_parse(yaml, strlen(yaml), "lab/sweep.yaml", NULL, b);
}

/* The message of a parse that must fail. */
static const char *refused(const char *yaml)
{
	struct s2e_batch b;

	assert_int_equal(parse(yaml, &b), -1);
	assert_null(b.jobs);
	return s2e_error_last();
}

static void chef_cross_product(void **state)
{
	struct s2e_batch b;
	const char *yaml = "vm: Debian:ready\n"
			   "variables:\n"
			   "  prog: [ls, cat]\n"
			   "  n: [1, 2, 3]\n"
			   "  unused: [x, y]\n"
			   "commands:\n"
			   "  - line: /bin/{prog} -n {n}\n"
			   "    config: cfg/{prog}.lua\n"
			   "  - line: /usr/bin/true\n"
			   "    mode: kvm\n";

	(void)state;
	assert_int_equal(parse(yaml, &b), 0);
	assert_string_equal(b.name, "sweep");
	assert_null(b.store);
	assert_int_equal(b.njobs, 7);
	/* The first variable varies slowest, as in Chef. */
	assert_string_equal(b.jobs[0].line, "/bin/ls -n 1");
	assert_string_equal(b.jobs[1].line, "/bin/ls -n 2");
	assert_string_equal(b.jobs[3].line, "/bin/cat -n 1");
	assert_string_equal(b.jobs[5].line, "/bin/cat -n 3");
	assert_string_equal(b.jobs[5].config, "cfg/cat.lua");
	assert_string_equal(b.jobs[5].expname, "sweep-0006-cat");
	assert_int_equal(b.jobs[5].index, 6);
	assert_string_equal(b.jobs[5].vm, "Debian:ready");
	assert_string_equal(b.jobs[5].mode, "sym");
	assert_string_equal(b.jobs[6].line, "/usr/bin/true");
	assert_string_equal(b.jobs[6].mode, "kvm");
	assert_null(b.jobs[6].config);
	assert_string_equal(b.jobs[6].expname, "sweep-0007-true");
	assert_string_equal(b.jobs[0].monitor_port, "4445");
	assert_string_equal(b.jobs[6].vnc_display, "7");
	s2e_batch_free(&b);
}

static void job_words(void **state)
{
	struct s2e_batch b;
	struct s2e_strv argv = S2E_STRV_INIT;
	const char *yaml = "batch: b1\nvm: Box\ntimeout: 60\nmonitor-port: 5000\nvnc-display: 10\n"
			   "store: https://store.example/lab\n"
			   "variables: {m: [256M]}\n"
			   "commands:\n"
			   "  - memory: '{m}'\n"
			   "    qemu-opts: [-smp, '2']\n"
			   "    expname: run-{m}\n";
	const char *want[] = {"Box", "sym", "--expname", "run-256M", "--timeout", "60",
			      "--memory", "256M", "--monitor-port", "5001", "--vnc-display",
			      "11", "--qemu-opt", "-smp", "--qemu-opt", "2", NULL};

	(void)state;
	assert_int_equal(parse(yaml, &b), 0);
	assert_string_equal(b.store, "https://store.example/lab");
	assert_int_equal(s2e_batch_job_argv(&b.jobs[0], &argv), 0);
	for (size_t i = 0; want[i]; i++)
		assert_string_equal(argv.v[i], want[i]);
	assert_null(argv.v[16]);
	s2e_strv_clear(&argv);
	s2e_batch_free(&b);
}

static void defaults_from_the_command_line(void **state)
{
	struct s2e_batch b;
	const struct s2e_batch_defaults d = {"Other:snap", "prep"};
	const char *yaml = "commands:\n  - line: a\n  - line: b\n    vm: Mine\n";

	(void)state;
	assert_int_equal(s2e_batch_parse(yaml, strlen(yaml), "x.yml", &d, &b), 0);
	assert_string_equal(b.name, "x");
	assert_string_equal(b.jobs[0].vm, "Other:snap");
	assert_string_equal(b.jobs[0].mode, "prep");
	assert_string_equal(b.jobs[1].vm, "Mine");
	s2e_batch_free(&b);
}

static void bad_input(void **state)
{
	(void)state;
	assert_non_null(strstr(refused(""), "empty"));
	assert_non_null(strstr(refused("vm: [unclosed\n"), "lab/sweep.yaml:"));
	assert_non_null(strstr(refused("- a\n- b\n"), "a batch file is a mapping"));
	assert_non_null(strstr(refused("vm: A\n"), "no commands"));
	assert_non_null(strstr(refused("vm: A\ncommands: []\n"), "non-empty list"));
	assert_non_null(strstr(refused("vm: A\nfrob: 1\ncommands: [{line: x}]\n"),
			       "lab/sweep.yaml:2: 'frob': unknown key"));
	assert_non_null(strstr(refused("vm: A\ncommands:\n  - line: x\n    cofnig: y\n"),
			       "'cofnig': unknown key in a command"));
	assert_non_null(strstr(refused("vm: A\nvm: B\ncommands: [{line: x}]\n"), "given twice"));
	assert_non_null(strstr(refused("vm: A\nvariables: {n: []}\ncommands: [{line: '{n}'}]\n"),
			       "empty cross-product"));
	assert_non_null(strstr(refused("vm: A\ncommands: [{line: '{nope}'}]\n"),
			       "{nope}: no such variable"));
	assert_non_null(strstr(refused("commands: [{line: x}]\n"), "job 1 has no vm"));
	assert_non_null(strstr(refused("vm: A\nmode: fast\ncommands: [{line: x}]\n"),
			       "mode 'fast' is not kvm, prep or sym"));
	assert_non_null(strstr(refused("vm: A\ntimeout: soon\ncommands: [{line: x}]\n"),
			       "timeout 'soon'"));
	assert_non_null(strstr(refused("vm: .hidden\ncommands: [{line: x}]\n"), "job 1"));
	assert_non_null(strstr(refused("vm: A\ncommands: [{expname: a/b}]\n"),
			       "not a valid experiment name"));
	assert_non_null(strstr(refused("vm: A\nvariables: {n: [1, 2]}\n"
				       "commands: [{line: '{n}', expname: same}]\n"),
			       "jobs 1 and 2 have the same experiment name 'same'"));
	assert_non_null(strstr(refused("vm: A\ncommands: [{line: x}]\n---\nvm: B\n"),
			       "only one YAML document"));
	assert_non_null(strstr(refused("vm: &a A\ncommands: [{line: x}]\n"), "anchors"));
	assert_non_null(strstr(refused("vm: A\nx: &a [1]\ncommands: [{line: *a}]\n"), "not allowed"));
	assert_non_null(strstr(refused("vm: !!python/object A\ncommands: [{line: x}]\n"), "tags"));
	assert_non_null(strstr(refused("vm: {a: b}\ncommands: [{line: x}]\n"), "single value"));
	assert_non_null(strstr(refused("vm: A\nvariables: {'a b': [1]}\ncommands: [{line: x}]\n"),
			       "variable name"));
	assert_non_null(strstr(refused("vm: A\nmonitor-port: 99999\ncommands: [{line: x}]\n"),
			       "monitor-port: must be a number up to"));
	assert_non_null(strstr(refused("vm: \"A\\0B\"\ncommands: [{line: x}]\n"), "NUL"));
	assert_non_null(strstr(refused("vm: A\ncommands: [[[[[[[[[[x]]]]]]]]]]\n"), "too deep"));
	assert_non_null(strstr(refused("vm: A\nvariables: {a: [1,2,3,4,5,6,7,8,9], b: [1,2,3,4,5,6,7,8],"
				       " c: [1,2,3,4,5,6,7,8], d: [1,2,3,4,5,6,7,8]}\n"
				       "commands: [{line: '{a}{b}{c}{d}'}]\n"),
			       "more than 4096 jobs"));
}

static void store_keys(void **state)
{
	static const char pin[] = "sha256-1m:"
				  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct s2e_batch b;
	char yaml[512];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "vm: A\nstore: /s\nvm-digest: %s\nstore-mismatch: local\ncommands: [{line: x}]\n",
		 pin);
	assert_int_equal(parse(yaml, &b), 0);
	assert_string_equal(b.store, "/s");
	assert_string_equal(b.vm_digest, pin);
	assert_int_equal(b.mismatch_local, 1);
	s2e_batch_free(&b);
	assert_int_equal(parse("vm: A\nstore: /s\ncommands: [{line: x}]\n", &b), 0);
	assert_null(b.vm_digest);
	assert_int_equal(b.mismatch_local, 0);
	s2e_batch_free(&b);
	assert_non_null(strstr(refused("vm: A\nstore: /s\nvm-digest: sha256-1m:ab\n"
				       "commands: [{line: x}]\n"),
			       "lab/sweep.yaml:3: vm-digest: 'sha256-1m:ab' is not a sha256-1m: digest"));
	assert_non_null(strstr(refused("vm: A\nstore: /s\nstore-mismatch: maybe\n"
				       "commands: [{line: x}]\n"),
			       "store-mismatch: 'maybe': refuse or local"));
	assert_non_null(strstr(refused("vm: A\nstore-mismatch: local\ncommands: [{line: x}]\n"),
			       "store-mismatch: needs a store:"));
	assert_non_null(strstr(refused("vm: A\nstore: [a, b]\ncommands: [{line: x}]\n"),
			       "store: must be a single value"));
}

static void env_of_a_job(void **state)
{
	struct s2e_batch b;
	struct s2e_batch_env env;

	(void)state;
	unsetenv(S2E_BATCH_ENV);
	assert_int_equal(s2e_batch_env_read(&env), 1);
	assert_int_equal(parse("vm: A\nvariables: {n: [1, 2, 3]}\ncommands: [{line: 'run {n}'}]\n",
			       &b), 0);
	assert_int_equal(s2e_batch_job_setenv(&b, &b.jobs[1], "/lab/sweep.yaml"), 0);
	unsetenv("SLURM_JOB_ID");
	unsetenv("SLURM_ARRAY_JOB_ID");
	unsetenv("SLURM_ARRAY_TASK_ID");
	setenv("PARALLEL_SEQ", "7", 1);
	assert_int_equal(s2e_batch_env_read(&env), 0);
	assert_string_equal(env.name, "sweep");
	assert_string_equal(env.job, "2");
	assert_string_equal(env.jobs, "3");
	assert_string_equal(env.engine, "parallel");
	assert_string_equal(env.engine_id, "7");
	assert_string_equal(env.file, "/lab/sweep.yaml");
	assert_string_equal(env.guest, "run 2");
	unsetenv("PARALLEL_SEQ");
	assert_int_equal(s2e_batch_env_read(&env), 0);
	assert_string_equal(env.engine, "local");
	assert_string_equal(env.engine_id, "");
	unsetenv(S2E_BATCH_ENV);
	s2e_batch_free(&b);
}

static void literal_braces(void **state)
{
	struct s2e_batch b;

	(void)state;
	assert_int_equal(parse("vm: A\ncommands: [{line: 'echo {} {1x} {'}]\n", &b), 0);
	assert_string_equal(b.jobs[0].line, "echo {} {1x} {");
	s2e_batch_free(&b);
}

static void engine_ids(void **state)
{
	char buf[64];

	(void)state;
	unsetenv("SLURM_JOB_ID");
	unsetenv("SLURM_ARRAY_JOB_ID");
	unsetenv("SLURM_ARRAY_TASK_ID");
	unsetenv("PARALLEL_SEQ");
	s2e_batch_engine_id(buf, sizeof(buf));
	assert_string_equal(buf, "local");
	setenv("PARALLEL_SEQ", "3", 1);
	s2e_batch_engine_id(buf, sizeof(buf));
	assert_string_equal(buf, "parallel 3");
	setenv("SLURM_ARRAY_JOB_ID", "41", 1);
	setenv("SLURM_ARRAY_TASK_ID", "2\n", 1);
	s2e_batch_engine_id(buf, sizeof(buf));
	assert_string_equal(buf, "slurm 41_2?");
}

static const char six[] = "vm: A\nvariables: {x: [a, b], y: [1, 2, 3]}\n"
			  "commands: [{line: '{x}{y}'}]\n";

static void note_done(const struct s2e_batch_job *job, int status, void *ctx)
{
	int *seen = ctx;

	seen[job->index] = 100 + status;
}

static void local_engine(void **state)
{
	struct s2e_batch b;
	const char *const prefix[] = {"sh", "-c", "exit $(($1 % 2))", "job", NULL};
	const char *const missing[] = {"/nonexistent/s2e", NULL};
	int seen[8] = {0};

	(void)state;
	assert_int_equal(parse(six, &b), 0);
	assert_int_equal(b.njobs, 6);
	assert_int_equal(s2e_batch_run_local(&b, prefix, 2, note_done, seen), 3);
	for (int i = 1; i <= 6; i++)
		assert_int_equal(seen[i], 100 + i % 2);
	assert_int_equal(s2e_batch_run_local(&b, missing, 2, NULL, NULL), -1);
	assert_int_equal(s2e_batch_spawn_wait(missing), -1);
	s2e_batch_free(&b);
}

static void parallel_words(void **state)
{
	struct s2e_batch b;
	struct s2e_strv argv = S2E_STRV_INIT;
	const char *const prefix[] = {"s2e", "vm", "run", "--batch", "/lab/b.yaml", "--job", NULL};
	const char *const logins[] = {"2/alpha", "beta"};
	const struct s2e_batch_parallel o = {logins, 2, "/tmp/log", 3};
	const char *want = "parallel --will-cite --halt never --sshlogin 2/alpha --sshlogin beta "
			   "--joblog /tmp/log -j 3 s2e vm run --batch /lab/b.yaml --job {} ::: "
			   "1 2 3 4 5 6";
	char *numbers, line[512] = "";

	(void)state;
	assert_int_equal(parse(six, &b), 0);
	assert_int_equal(s2e_batch_parallel_argv(&b, prefix, &o, &argv, &numbers), 0);
	for (size_t i = 0; i < argv.n; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "",
			 argv.v[i]);
	assert_string_equal(line, want);
	free(numbers);
	s2e_strv_clear(&argv);
	s2e_batch_free(&b);
}

static void sbatch_script(void **state)
{
	struct s2e_batch b;
	const char *const prefix[] = {"/usr/bin/s2e", "vm", "run", "--batch", "/lab/my b.yaml",
				      "--job", NULL};
	char *script;

	(void)state;
	assert_int_equal(parse(six, &b), 0);
	script = s2e_batch_sbatch_script(&b, prefix, 2, "/lab/out");
	assert_non_null(script);
	assert_non_null(strstr(script, "\n#SBATCH --array=1-6%2\n"));
	assert_non_null(strstr(script, "\n#SBATCH --output=/lab/out/slurm-%A_%a.out\n"));
	assert_non_null(strstr(script, "\nexec /usr/bin/s2e vm run --batch '/lab/my b.yaml' --job "
				       "\"$SLURM_ARRAY_TASK_ID\"\n"));
	free(script);
	assert_null(s2e_batch_sbatch_script(&b, prefix, 0, "/lab/with space"));
	s2e_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chef_cross_product),
		cmocka_unit_test(job_words),
		cmocka_unit_test(defaults_from_the_command_line),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(literal_braces),
		cmocka_unit_test(store_keys),
		cmocka_unit_test(env_of_a_job),
		cmocka_unit_test(engine_ids),
		cmocka_unit_test(local_engine),
		cmocka_unit_test(parallel_words),
		cmocka_unit_test(sbatch_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
