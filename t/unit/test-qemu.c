/* Option-to-command-line table tests for lib/qemu.c (SPEC §6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* The table leaves unused fields out, and some rows override a BASE field. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Woverride-init"

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/quote.h"
#include "s2e/snapshot.h"
#include "s2e/supervise.h"
#include "s2e/qemu.h"

#define ROOT	"/S"
#define DISK	ROOT "/vm/Debian/disk.s2e"
#define BIN_S2E ROOT "/build/i386-release-normal/qemu/i386-s2e-softmmu/qemu-system-i386"
#define BIN	ROOT "/build/i386-release-normal/qemu/i386-softmmu/qemu-system-i386"
#define EXP	"auto_2015-08-19T15:06:25.383+0200"
#define SYM_TAIL                                                                                   \
	" -s2e-config-file " ROOT                                                                  \
	"/src/config/default-config.lua -s2e-verbose -s2e-output-dir " ROOT "/expdata/" EXP

static const char *const two_opts[] = {"-nographic", "-serial"};

struct row {
	const char *what;
	struct s2e_qemu_opts o;
	const char *want;  /* NULL: an error is expected */
	const char *error; /* a part of the message */
};

#define BASE .root = ROOT, .image = DISK, .vnc_display = -1, .monitor_port = -1, .expname = EXP

static const struct row rows[] = {
    {"sym defaults: the SPEC §6 line",
     {BASE, .mode = S2E_QEMU_SYM},
     BIN_S2E " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
	     "nic,model=pcnet -net user" SYM_TAIL},
    {"prep: the non-S2E binary with the s2e drive",
     {BASE, .mode = S2E_QEMU_PREP},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet "
	 "-net user"},
    {"kvm: virtio, raw, -enable-kvm, -smp",
     {BASE, .mode = S2E_QEMU_KVM, .smp = 4},
     BIN " -drive file=" DISK ",cache=writeback,if=virtio,format=raw -enable-kvm -smp 4 -net "
	 "nic,model=virtio -net user"},
    {"kvm --accel=tcg replaces -enable-kvm",
     {BASE, .mode = S2E_QEMU_KVM, .smp = 2, .accel = S2E_QEMU_ACCEL_TCG},
     BIN " -drive file=" DISK ",cache=writeback,if=virtio,format=raw -accel tcg -smp 2 -net "
	 "nic,model=virtio -net user"},
    {"kvm --accel=kvm is the default",
     {BASE, .mode = S2E_QEMU_KVM, .smp = 1, .accel = S2E_QEMU_ACCEL_KVM},
     BIN " -drive file=" DISK ",cache=writeback,if=virtio,format=raw -enable-kvm -smp 1 -net "
	 "nic,model=virtio -net user"},
    {"--accel in prep mode is refused",
     {BASE, .mode = S2E_QEMU_PREP, .accel = S2E_QEMU_ACCEL_TCG},
     NULL,
     "kvm mode only"},
    {"a snapshot adds -loadvm",
     {BASE, .mode = S2E_QEMU_SYM, .snapshot = "ready"},
     BIN_S2E " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
	     "nic,model=pcnet -net user -loadvm ready" SYM_TAIL},
    {"a snapshot in prep mode",
     {BASE, .mode = S2E_QEMU_PREP, .snapshot = "asdfölkj"},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet "
	 "-net user -loadvm asdfölkj"},
    {"--build picks the build directory",
     {BASE, .mode = S2E_QEMU_SYM, .build = "x86_64:debug:asan"},
     ROOT "/build/x86_64-debug-asan/qemu/x86_64-s2e-softmmu/qemu-system-x86_64 -drive file=" DISK
	  ",cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet -net user" SYM_TAIL},
    {"--build with two parts is refused",
     {BASE, .mode = S2E_QEMU_SYM, .build = "i386:release"},
     NULL,
     "three parts"},
    {"--build with an empty part is refused",
     {BASE, .mode = S2E_QEMU_SYM, .build = "i386::normal"},
     NULL,
     "empty"},
    {"--build with a slash is refused",
     {BASE, .mode = S2E_QEMU_SYM, .build = "../x:release:normal"},
     NULL,
     "only letters"},
    {"--build with four parts is refused",
     {BASE, .mode = S2E_QEMU_SYM, .build = "a:b:c:d"},
     NULL,
     "three parts"},
    {"--memory in MiB",
     {BASE, .mode = S2E_QEMU_PREP, .memory = "512"},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -m 512 -net "
	 "nic,model=pcnet -net user"},
    {"--memory with a unit",
     {BASE, .mode = S2E_QEMU_PREP, .memory = "1.5G"},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -m 1536 -net "
	 "nic,model=pcnet -net user"},
    {"--memory garbage is refused",
     {BASE, .mode = S2E_QEMU_PREP, .memory = "lots"},
     NULL,
     "invalid memory size 'lots'"},
    {"--memory zero is refused",
     {BASE, .mode = S2E_QEMU_PREP, .memory = "0M"},
     NULL,
     "more than zero"},
    {"--memory not whole MiB is refused",
     {BASE, .mode = S2E_QEMU_PREP, .memory = "100K"},
     NULL,
     "whole number"},
    {"--network none",
     {BASE, .mode = S2E_QEMU_PREP, .net = S2E_QEMU_NET_NONE},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net none"},
    {"--network tap",
     {BASE, .mode = S2E_QEMU_PREP, .net = S2E_QEMU_NET_TAP},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet "
	 "-net tap"},
    {"--network user is the default",
     {BASE, .mode = S2E_QEMU_PREP, .net = S2E_QEMU_NET_USER},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net nic,model=pcnet "
	 "-net user"},
    {"--headless: VNC :0 and the monitor on 4444",
     {BASE, .mode = S2E_QEMU_PREP, .headless = 1, .net = S2E_QEMU_NET_NONE},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net none -vnc :0 "
	 "-monitor tcp:127.0.0.1:4444,server=on,wait=off"},
    {"--headless with --vnc-display and --monitor-port",
     {BASE, .mode = S2E_QEMU_PREP, .headless = 1, .vnc_display = 7, .monitor_port = 5555,
      .net = S2E_QEMU_NET_NONE},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net none -vnc :7 "
	 "-monitor tcp:127.0.0.1:5555,server=on,wait=off"},
    {"--monitor-port alone",
     {BASE, .mode = S2E_QEMU_PREP, .monitor_port = 1234, .net = S2E_QEMU_NET_NONE},
     BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net none -monitor "
	 "tcp:127.0.0.1:1234,server=on,wait=off"},
    {"--qemu-opt words go last",
     {BASE, .mode = S2E_QEMU_SYM, .extra = {(const char **)two_opts, 2, 0}},
     BIN_S2E " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
	     "nic,model=pcnet -net user" SYM_TAIL " -nographic -serial"},
    {"--gdb wraps QEMU in gdb --args",
     {BASE, .mode = S2E_QEMU_PREP, .gdb = 1, .net = S2E_QEMU_NET_NONE},
     "gdb --args " BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
     "none"},
    {"--strace wraps QEMU in strace -f",
     {BASE, .mode = S2E_QEMU_PREP, .strace = 1, .net = S2E_QEMU_NET_NONE},
     "strace -f " BIN " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
     "none"},
    {"--gdb with --strace is refused",
     {BASE, .mode = S2E_QEMU_PREP, .strace = 1, .gdb = 1},
     NULL,
     "together"},
    {"--qemu replaces the binary",
     {BASE, .mode = S2E_QEMU_SYM, .qemu = "/opt/q"},
     "/opt/q -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
     "nic,model=pcnet -net user" SYM_TAIL},
    {"--stock in prep: format=raw and qemu-system-ARCH",
     {BASE, .mode = S2E_QEMU_PREP, .stock = 1},
     "qemu-system-i386 -drive file=" DISK ",cache=writeback,format=raw -cpu pentium -net "
     "nic,model=pcnet -net user"},
    {"--stock with --qemu keeps the given binary",
     {BASE, .mode = S2E_QEMU_PREP, .stock = 1, .qemu = "/usr/bin/qemu-system-i386"},
     "/usr/bin/qemu-system-i386 -drive file=" DISK ",cache=writeback,format=raw -cpu pentium "
     "-net nic,model=pcnet -net user"},
    {"--stock in sym mode is refused",
     {BASE, .mode = S2E_QEMU_SYM, .stock = 1},
     NULL,
     "stock QEMU"},
    {"sym: --config-file",
     {BASE, .mode = S2E_QEMU_SYM, .config_file = "/etc/my.lua"},
     BIN_S2E " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
	     "nic,model=pcnet -net user -s2e-config-file /etc/my.lua -s2e-verbose "
	     "-s2e-output-dir " ROOT "/expdata/" EXP},
    {"--config-file in kvm mode is refused",
     {BASE, .mode = S2E_QEMU_KVM, .config_file = "/etc/my.lua"},
     NULL,
     "sym mode only"},
    {"sym: --expname",
     {.root = ROOT,
      .image = DISK,
      .vnc_display = -1,
      .monitor_port = -1,
      .expname = "trial1",
      .mode = S2E_QEMU_SYM},
     BIN_S2E " -drive file=" DISK ",cache=writeback,format=s2e -cpu pentium -net "
	     "nic,model=pcnet -net user -s2e-config-file " ROOT
	     "/src/config/default-config.lua -s2e-verbose -s2e-output-dir " ROOT "/expdata/trial1"},
    {"sym: a bad --expname is refused",
     {.root = ROOT,
      .image = DISK,
      .vnc_display = -1,
      .monitor_port = -1,
      .expname = "../up",
      .mode = S2E_QEMU_SYM},
     NULL,
     "invalid experiment name"},
    {"sym: an image not ending in .s2e is refused",
     {.root = ROOT,
      .image = "/images/disk.raw",
      .vnc_display = -1,
      .monitor_port = -1,
      .mode = S2E_QEMU_SYM},
     NULL,
     "does not end in .s2e"},
    {"prep: any image name is fine",
     {.root = ROOT,
      .image = "/images/disk.raw",
      .vnc_display = -1,
      .monitor_port = -1,
      .mode = S2E_QEMU_PREP,
      .net = S2E_QEMU_NET_NONE},
     BIN " -drive file=/images/disk.raw,cache=writeback,format=s2e -cpu pentium -net none"},
    {"--timeout wraps the line in timeout(1)",
     {BASE, .mode = S2E_QEMU_PREP, .timeout = 60, .net = S2E_QEMU_NET_NONE},
     "timeout --foreground -s INT -k 10 60 " BIN " -drive file=" DISK
     ",cache=writeback,format=s2e -cpu pentium -net none"},
    {"--timeout with --kill-after",
     {BASE, .mode = S2E_QEMU_PREP, .timeout = 1.5, .kill_after = 0.25, .net = S2E_QEMU_NET_NONE},
     "timeout --foreground -s INT -k 0.25 1.5 " BIN " -drive file=" DISK
     ",cache=writeback,format=s2e -cpu pentium -net none"},
};

static char *join(const struct s2e_qemu_cmdline *cmd)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < cmd->argc; i++)
		len += strlen(cmd->argv[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 0; i < cmd->argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, cmd->argv[i]);
	}
	return s;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct s2e_qemu_cmdline cmd;
		int rc = s2e_qemu_cmdline(&rows[i].o, &cmd);
		print_message("# %s\n", rows[i].what);
		if (rows[i].want) {
			if (rc)
				print_error("%s: %s\n", rows[i].what, s2e_error_last());
			assert_int_equal(rc, 0);
			char *got = join(&cmd);
			assert_string_equal(got, rows[i].want);
			assert_null(cmd.argv[cmd.argc]);
			free(got);
			s2e_qemu_cmdline_free(&cmd);
		} else {
			assert_int_equal(rc, -1);
			if (!strstr(s2e_error_last(), rows[i].error))
				print_error("%s: message %s\n", rows[i].what, s2e_error_last());
			assert_non_null(strstr(s2e_error_last(), rows[i].error));
			assert_null(cmd.argv);
		}
	}
}

static void test_binary_and_output_dir(void **state)
{
	struct s2e_qemu_opts o = {BASE, .mode = S2E_QEMU_SYM, .strace = 1};
	struct s2e_qemu_cmdline cmd;

	(void)state;
	assert_int_equal(s2e_qemu_cmdline(&o, &cmd), 0);
	assert_string_equal(cmd.binary, BIN_S2E);
	assert_int_equal(cmd.binary_index, 2);
	assert_string_equal(cmd.argv[cmd.binary_index], BIN_S2E);
	assert_string_equal(cmd.output_dir, ROOT "/expdata/" EXP);
	assert_string_equal(cmd.expname, EXP);
	s2e_qemu_cmdline_free(&cmd);

	o.mode = S2E_QEMU_KVM;
	o.smp = 1;
	assert_int_equal(s2e_qemu_cmdline(&o, &cmd), 0);
	assert_null(cmd.output_dir);
	assert_null(cmd.expname);
	s2e_qemu_cmdline_free(&cmd);
}

static void test_relative_paths_become_absolute(void **state)
{
	struct s2e_qemu_opts o = {.root = ROOT,
				  .image = "img/disk.s2e",
				  .vnc_display = -1,
				  .monitor_port = -1,
				  .mode = S2E_QEMU_SYM,
				  .expname = "e",
				  .config_file = "c.lua"};
	struct s2e_qemu_cmdline cmd;
	char *cwd = getcwd(NULL, 0), want[4096];

	(void)state;
	assert_int_equal(s2e_qemu_cmdline(&o, &cmd), 0);
	snprintf(want, sizeof(want), "file=%s/img/disk.s2e,cache=writeback,format=s2e", cwd);
	assert_string_equal(cmd.argv[2], want);
	snprintf(want, sizeof(want), "%s/c.lua", cwd);
	assert_string_equal(cmd.argv[10], want);
	s2e_qemu_cmdline_free(&cmd);
	free(cwd);
}

static void test_auto_expname(void **state)
{
	struct s2e_qemu_opts o = {.root = ROOT,
				  .image = DISK,
				  .vnc_display = -1,
				  .monitor_port = -1,
				  .mode = S2E_QEMU_SYM};
	struct s2e_qemu_cmdline cmd;
	char buf[64];
	const char *e;

	(void)state;
	setenv("TZ", "Europe/Zurich", 1);
	s2e_expname_auto(buf, sizeof(buf));
	/* auto_YYYY-MM-DDTHH:MM:SS.mmm+hhmm */
	assert_int_equal(strlen(buf), strlen("auto_2015-08-19T15:06:25.383+0200"));
	assert_memory_equal(buf, "auto_", 5);
	for (size_t i = 5; buf[i]; i++) {
		const char *shape = "auto_0000-00-00T00:00:00.000+0000";
		if (shape[i] == '0')
			assert_true(buf[i] >= '0' && buf[i] <= '9');
		else if (shape[i] == '+')
			assert_true(buf[i] == '+' || buf[i] == '-');
		else
			assert_int_equal(buf[i], shape[i]);
	}
	assert_true(!strcmp(buf + 28, "+0100") || !strcmp(buf + 28, "+0200"));
	assert_int_equal(s2e_qemu_cmdline(&o, &cmd), 0);
	e = cmd.expname;
	assert_memory_equal(e, "auto_", 5);
	assert_int_equal(strlen(e), strlen(buf));
	s2e_qemu_cmdline_free(&cmd);
}

static void test_parsers(void **state)
{
	enum s2e_qemu_mode mode;
	enum s2e_qemu_net net;
	enum s2e_qemu_accel accel;
	unsigned long mib;
	int port;
	double s;
	char *a, *t, *m;

	(void)state;
	assert_int_equal(s2e_qemu_mode_parse("sym", &mode), 0);
	assert_int_equal(mode, S2E_QEMU_SYM);
	assert_int_equal(s2e_qemu_mode_parse("kvm", &mode), 0);
	assert_int_equal(mode, S2E_QEMU_KVM);
	assert_int_equal(s2e_qemu_mode_parse("SYM", &mode), -1);
	assert_non_null(strstr(s2e_error_last(), "unknown mode 'SYM'"));
	assert_int_equal(s2e_qemu_net_parse("tap", &net), 0);
	assert_int_equal(net, S2E_QEMU_NET_TAP);
	assert_int_equal(s2e_qemu_net_parse("bridge", &net), -1);
	assert_int_equal(s2e_qemu_accel_parse("tcg", &accel), 0);
	assert_int_equal(accel, S2E_QEMU_ACCEL_TCG);
	assert_int_equal(s2e_qemu_accel_parse("hvf", &accel), -1);

	assert_int_equal(s2e_qemu_build_parse("i386:release:normal", &a, &t, &m), 0);
	assert_string_equal(a, "i386");
	assert_string_equal(t, "release");
	assert_string_equal(m, "normal");
	free(a);
	free(t);
	free(m);
	assert_int_equal(s2e_qemu_build_parse("i386:release:", NULL, NULL, NULL), -1);
	assert_int_equal(s2e_qemu_build_parse("", NULL, NULL, NULL), -1);
	assert_int_equal(s2e_qemu_build_parse("i386 :release:normal", NULL, NULL, NULL), -1);

	assert_int_equal(s2e_qemu_memory_parse("2G", &mib), 0);
	assert_int_equal(mib, 2048);
	assert_int_equal(s2e_qemu_memory_parse("256MiB", &mib), 0);
	assert_int_equal(mib, 256);
	assert_int_equal(s2e_qemu_memory_parse("1048576K", &mib), 0);
	assert_int_equal(mib, 1024);
	assert_int_equal(s2e_qemu_memory_parse("-5", &mib), -1);
	assert_int_equal(s2e_qemu_memory_parse("", &mib), -1);
	assert_int_equal(s2e_qemu_memory_parse("5X", &mib), -1);
	assert_int_equal(s2e_qemu_memory_parse("99999T", &mib), -1);

	assert_int_equal(s2e_qemu_port_parse("4444", &port), 0);
	assert_int_equal(port, 4444);
	assert_int_equal(s2e_qemu_port_parse("0", &port), -1);
	assert_int_equal(s2e_qemu_port_parse("65536", &port), -1);
	assert_int_equal(s2e_qemu_port_parse("12ab", &port), -1);
	assert_int_equal(s2e_qemu_port_parse("-1", &port), -1);
	assert_int_equal(s2e_qemu_display_parse("0", &port), 0);
	assert_int_equal(s2e_qemu_display_parse("59636", &port), -1);

	assert_int_equal(s2e_qemu_seconds_parse("timeout", "2.5", &s), 0);
	assert_true(s == 2.5);
	assert_int_equal(s2e_qemu_seconds_parse("timeout", "0", &s), -1);
	assert_int_equal(s2e_qemu_seconds_parse("timeout", "soon", &s), -1);
	assert_int_equal(s2e_qemu_seconds_parse("timeout", "inf", &s), -1);

	assert_int_equal(s2e_expname_check("auto_2015-08-19T15:06:25.383+0200"), 0);
	assert_int_equal(s2e_expname_check(".hidden"), -1);
	assert_int_equal(s2e_expname_check("a/b"), -1);
	assert_int_equal(s2e_expname_check(""), -1);
	assert_int_equal(s2e_expname_check("tab\there"), -1);
}

static void test_which(void **state)
{
	char *p;

	(void)state;
	p = s2e_which("sh");
	assert_non_null(p);
	assert_true(p[0] == '/');
	free(p);
	assert_null(s2e_which("/nonexistent/qemu"));
	assert_non_null(strstr(s2e_error_last(), "/nonexistent/qemu"));
	assert_null(s2e_which("no-such-program-s2e-test"));
	assert_non_null(strstr(s2e_error_last(), "not found in PATH"));
	assert_null(s2e_which("/etc/passwd"));
	assert_non_null(strstr(s2e_error_last(), "not an executable"));
}

/* The experiment record (lib/experiment.c), which carries the command line:
 * awkward values survive a round trip, and git reads what we write. */
static void test_record_round_trip(void **state)
{
	struct s2e_experiment e, back;
	char *text;
	char *args[] = {"/q",	 "-append",   "a \"quoted\" \\ back#slash; x",
			" lead", "tab\there", "new\nline"};

	(void)state;
	s2e_experiment_init(&e);
	e.name = "auto_2015-08-19T15:06:25.383+0200";
	e.vm = "MyBox";
	e.snapshot = "asdf\xc3\xb6lkj";
	e.mode = "sym";
	e.build = "i386:release:normal";
	e.state = "timed-out";
	e.duration = 1.5;
	e.exit_status = -1;
	e.signal = 9;
	e.timeout = 2;
	e.timed_out = 1;
	e.forced = 1;
	e.disk_changed = -1;
	e.argv = (struct s2e_strv){(const char **)args, 6, 0};
	e.cmdline = s2e_shell_join((const char *const *)args, 6);
	assert_string_equal(e.cmdline, "/q -append 'a \"quoted\" \\ back#slash; x' ' lead' "
				       "'tab\there' 'new\nline'");
	text = s2e_experiment_format(&e);
	assert_non_null(text);
	assert_int_equal(s2e_experiment_parse(text, &back), 0);
	assert_string_equal(back.name, e.name);
	assert_string_equal(back.vm, "MyBox");
	assert_string_equal(back.snapshot, e.snapshot);
	assert_string_equal(back.state, "timed-out");
	assert_true(back.duration == 1.5);
	assert_int_equal(back.exit_status, -1);
	assert_int_equal(back.signal, 9);
	assert_int_equal(back.timed_out, 1);
	assert_int_equal(back.forced, 1);
	assert_int_equal(back.disk_changed, -1);
	assert_int_equal(back.argv.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(back.argv.v[i], args[i]);
	assert_string_equal(back.cmdline, e.cmdline);
	s2e_experiment_free(&back);

	/* git config reads the same values */
	char path[] = "/tmp/s2e-test-record-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "git config -f %s --get-all qemu.arg | sed -n 3p", path);
	FILE *p = popen(cmd, "r");
	char line[256] = "";
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	assert_string_equal(line, "a \"quoted\" \\ back#slash; x\n");
	unlink(path);
	free(text);
	free(e.cmdline);

	/* Records written before (every value quoted) read the same; an include
	 * section is refused by the one config reader. */
	assert_int_equal(s2e_experiment_parse("[experiment]\n\tname = \"old\"\n\tstate = "
					      "\"running\"\n[qemu]\n\targ = \" x\"\n",
					      &back),
			 0);
	assert_string_equal(back.name, "old");
	assert_string_equal(back.state, "running");
	assert_string_equal(back.argv.v[0], " x");
	s2e_experiment_free(&back);
	assert_int_equal(s2e_experiment_parse("[include]\n\tpath = /etc/passwd\n", &back), -1);
	assert_non_null(strstr(s2e_error_last(), "include"));
}

/* s2e_supervise: exit status, signals, the timeout, a program that is missing. */
static void test_supervise(void **state)
{
	struct s2e_exit how;
	char *exit3[] = {"sh", "-c", "exit 3", NULL};
	char *hang[] = {"sleep", "30", NULL};
	char *stubborn[] = {"sh", "-c", "trap '' INT; while :; do sleep 0.05; done", NULL};
	char *missing[] = {"no-such-program-s2e-test", NULL};
	char *selfkill[] = {"sh", "-c", "kill -SEGV $$", NULL};

	(void)state;
	assert_int_equal(s2e_supervise(exit3, 0, 0, &how), 0);
	assert_int_equal(how.exit_status, 3);
	assert_int_equal(how.timed_out, 0);
	assert_int_equal(s2e_exit_code(&how), 3);

	assert_int_equal(s2e_supervise(hang, 0.2, 5, &how), 0);
	assert_int_equal(how.timed_out, 1);
	assert_int_equal(how.signal, SIGINT);
	assert_true(how.duration >= 0.2 && how.duration < 5);
	assert_int_equal(s2e_exit_code(&how), 124);

	assert_int_equal(s2e_supervise(stubborn, 0.2, 0.2, &how), 0);
	assert_int_equal(how.timed_out, 1);
	assert_int_equal(how.signal, SIGKILL);
	assert_true(how.duration >= 0.4);

	assert_int_equal(s2e_supervise(selfkill, 0, 0, &how), 0);
	assert_int_equal(how.signal, SIGSEGV);
	assert_int_equal(how.exit_status, -1);
	assert_int_equal(s2e_exit_code(&how), 128 + SIGSEGV);

	assert_int_equal(s2e_supervise(missing, 0, 0, &how), -1);
	assert_non_null(strstr(s2e_error_last(), "no-such-program-s2e-test"));
}

/* A signal that arrives while the child is being started (here: already
 * pending when s2e_supervise begins) still reaches the child. */
static void test_supervise_signal_at_start(void **state)
{
	struct s2e_exit how;
	char *hang[] = {"sleep", "5", NULL};
	sigset_t term, old;

	(void)state;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	raise(SIGTERM);
	assert_int_equal(s2e_supervise(hang, 0, 0, &how), 0);
	assert_int_equal(how.signal, SIGTERM);
	assert_true(how.duration < 4);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The child gets the dispositions s2e had: an ignored SIGINT stays ignored. */
static void test_supervise_keeps_ignored_signals(void **state)
{
	struct s2e_exit how;
	char *self_int[] = {"sh", "-c", "kill -INT $$; exit 3", NULL};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;

	(void)state;
	sigaction(SIGINT, &ign, &old);
	assert_int_equal(s2e_supervise(self_int, 0, 0, &how), 0);
	assert_int_equal(how.exit_status, 3);
	sigaction(SIGINT, &old, NULL);
}

static void test_escape_comma(void **state)
{
	char *s;

	(void)state;
	s = s2e_qemu_escape_comma("/a,b/x,file.filename=/disk.s2e");
	assert_string_equal(s, "/a,,b/x,,file.filename=/disk.s2e");
	free(s);
	s = s2e_qemu_escape_comma("plain");
	assert_string_equal(s, "plain");
	free(s);
}

static void touch_at(const char *dir, const char *name, time_t when)
{
	char path[4096];
	struct timespec t[2] = {{when, 0}, {when, 0}};
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* One scanner, one rule: recorded snapshots in their recorded order,
 * hand-made ones merged in by modification time (a recorded one counts as
 * taken at its recorded time, else its file's); bad names kept apart,
 * symlinks left out. */
static void test_snapfiles_order(void **state)
{
	char dir[] = "/tmp/s2e-test-snaps-XXXXXX", path[4096];
	const struct s2e_snaprec recorded[] = {
	    {"zz", NULL}, {"c", "1970-01-01T00:10:00.000000000Z"}, {"gone", NULL}};
	struct s2e_snapfiles files;

	(void)state;
	assert_non_null(mkdtemp(dir));
	touch_at(dir, "disk.s2e", 100);
	touch_at(dir, "disk.s2e.a", 300);
	touch_at(dir, "disk.s2e.b", 100);
	touch_at(dir, "disk.s2e.c", 500); /* recorded as taken at 600 */
	touch_at(dir, "disk.s2e.zz", 200);
	touch_at(dir, "disk.s2e.late", 700);
	touch_at(dir, "disk.s2e.bad\nname", 50);
	snprintf(path, sizeof(path), "%s/disk.s2e.link", dir);
	assert_int_equal(symlink("disk.s2e.a", path), 0);
	assert_int_equal(s2e_snapfiles_scan(dir, recorded, 3, &files), 0);
	assert_int_equal(files.n, 5);
	assert_int_equal(files.nbad, 1);
	assert_string_equal(files.bad[0], "disk.s2e.bad\nname");
	assert_string_equal(files.v[0].name, "b");  /* 100, before zz (200) */
	assert_string_equal(files.v[1].name, "zz"); /* recorded first */
	assert_string_equal(files.v[2].name, "a");  /* 300, before c (taken 600) */
	assert_string_equal(files.v[3].name, "c");
	assert_string_equal(files.v[4].name, "late"); /* 700: after everything */
	assert_int_equal(files.v[0].rank, (size_t)-1);
	assert_int_equal(files.v[3].rank, 1);
	assert_non_null(s2e_snapfiles_find(&files, "a"));
	assert_null(s2e_snapfiles_find(&files, "link"));
	s2e_snapfiles_free(&files);
	/* With nothing recorded: by time, then name. */
	touch_at(dir, "disk.s2e.b2", 100);
	assert_int_equal(s2e_snapfiles_scan(dir, NULL, 0, &files), 0);
	assert_int_equal(files.n, 6);
	assert_string_equal(files.v[0].name, "b");
	assert_string_equal(files.v[1].name, "b2");
	assert_string_equal(files.v[2].name, "zz");
	s2e_snapfiles_free(&files);
	assert_int_equal(s2e_remove_tree(dir), 0);
	assert_int_equal(s2e_snapfiles_scan(dir, NULL, 0, &files), -1);
	assert_non_null(strstr(s2e_error_last(), "cannot read VM directory"));
}

/* The records follow the files: moved, made for hand-made ones (taken
 * = mtime), dropped for vanished ones. */
static void test_meta_snaps_match(void **state)
{
	struct s2e_meta meta = {0};
	struct s2e_snapfile files[2] = {
	    {.name = (char *)"hand", .mtime = {60, 5}, .rank = (size_t)-1},
	    {.name = (char *)"rec", .mtime = {1, 0}, .rank = 1},
	};

	(void)state;
	assert_int_equal(s2e_meta_add_snap(&meta, "gone", NULL, NULL), 0);
	assert_int_equal(s2e_meta_add_snap(&meta, "rec", "T", "sha256-1m:x"), 0);
	assert_int_equal(s2e_meta_snaps_match(&meta, files, 2), 0);
	assert_int_equal(meta.nsnaps, 2);
	assert_string_equal(meta.snaps[0].name, "hand");
	assert_string_equal(meta.snaps[0].taken, "1970-01-01T00:01:00.000000005Z");
	assert_null(meta.snaps[0].disk_digest);
	assert_string_equal(meta.snaps[1].name, "rec");
	assert_string_equal(meta.snaps[1].taken, "T");
	assert_string_equal(meta.snaps[1].disk_digest, "sha256-1m:x");
	assert_null(s2e_meta_find_snap(&meta, "gone"));
	assert_int_equal(s2e_meta_add_snap(&meta, "more", NULL, NULL), 0);
	assert_int_equal(meta.nsnaps, 3);
	s2e_meta_free(&meta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_binary_and_output_dir),
	    cmocka_unit_test(test_relative_paths_become_absolute),
	    cmocka_unit_test(test_auto_expname),
	    cmocka_unit_test(test_parsers),
	    cmocka_unit_test(test_which),
	    cmocka_unit_test(test_record_round_trip),
	    cmocka_unit_test(test_supervise),
	    cmocka_unit_test(test_supervise_signal_at_start),
	    cmocka_unit_test(test_supervise_keeps_ignored_signals),
	    cmocka_unit_test(test_escape_comma),
	    cmocka_unit_test(test_snapfiles_order),
	    cmocka_unit_test(test_meta_snaps_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
