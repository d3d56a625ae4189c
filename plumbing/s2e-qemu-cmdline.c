/* s2e-qemu-cmdline: print the QEMU command line for a VM or image and a mode
 * (SPEC §6), shell-quoted on one line, or NUL-separated with -z. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/qemu.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

static const char *prog = "s2e-qemu-cmdline";

static const char usage_text[] =
    "usage: s2e-qemu-cmdline [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]\n"
    "\n"
    "Print the QEMU command line that runs a VM (or a disk image, any argument\n"
    "with a '/') in MODE: kvm, prep or sym.\n"
    "\n"
    "  -z, --null               separate the words with NUL, not spaces (xargs -0)\n"
    "  -b, --build A:T:M        QEMU build under S2EDIR/build (default i386:release:normal)\n"
    "      --qemu PATH          the QEMU binary to run (default $S2E_QEMU, else the build's)\n"
    "      --stock              a stock QEMU: format=raw, qemu-system-ARCH from PATH\n"
    "      --accel kvm|tcg      kvm mode: -enable-kvm (default) or software emulation\n"
    "      --smp N              kvm mode: virtual CPUs (default: the host's CPUs)\n"
    "  -m, --memory SIZE        guest memory, in MiB or with a unit (512M, 2G)\n"
    "  -n, --network none|user|tap   guest network (default user)\n"
    "      --headless           VNC display and the monitor on TCP, no window\n"
    "      --vnc-display N      VNC display number (default 0 with --headless)\n"
    "      --monitor-port P     monitor on TCP port P of 127.0.0.1 (default 4444)\n"
    "  -q, --qemu-opt OPT       append one word to the command line (repeatable)\n"
    "      --gdb                run QEMU under gdb --args\n"
    "      --strace             run QEMU under strace -f\n"
    "  -s, --snapshot SNAP      resume SNAP (for an IMAGE path; a VM takes NAME:SNAP)\n"
    "  -f, --config-file FILE   sym: S2E config (default S2EDIR/src/config/default-config.lua)\n"
    "      --expname NAME       sym: experiment name (default auto_ + local time)\n"
    "  -t, --timeout SECONDS    wrap the line in timeout(1): SIGINT after SECONDS,\n"
    "      --kill-after SECONDS   then SIGKILL after this grace (default 10)\n"
    "      --check              fail unless the image, snapshot and binaries exist\n"
    "      --s2edir DIR         the S2E directory (default $S2EDIR, else ~/s2e)\n"
    "  -v, --verbose            say on stderr what was chosen\n"
    "  -h, --help               show this help\n";

enum {
	OPT_S2EDIR = 0x100,
	OPT_CHECK,
};

static int usage(const char *fmt, const char *arg)
{
	if (fmt) {
		fprintf(stderr, "%s: ", prog);
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
	fputs(usage_text, stderr);
	return 2;
}

static int bad(void)
{
	fprintf(stderr, "%s: %s\n", prog, s2e_error_last());
	return 2;
}

static int fail(void)
{
	fprintf(stderr, "%s: %s\n", prog, s2e_error_last());
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    S2E_QEMU_LONGOPTS,
	    {"null", no_argument, NULL, 'z'},
	    {"snapshot", required_argument, NULL, 's'},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"s2edir", required_argument, NULL, OPT_S2EDIR},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *extra[argc + 1];
	struct s2e_qemu_opts o = {.vnc_display = -1, .monitor_port = -1, .extra = extra};
	struct s2e_qemu_cmdline cmd;
	const char *s2edir = NULL, *snap_opt = NULL;
	char *root = NULL, *vm = NULL, *snap = NULL, *image = NULL;
	int c, null = 0, check = 0, verbose = 0, rc = 1;

	if (s2e_std_fds_open())
		return 1;

	while ((c = getopt_long(argc, argv, "+zs:vh" S2E_QEMU_SHORTOPTS, options, NULL)) != -1) {
		switch (s2e_qemu_option(&o, c, optarg)) {
		case 1:
			continue;
		case -1:
			return bad();
		}
		switch (c) {
		case 'z':
			null = 1;
			break;
		case 's':
			if (s2e_snap_name_check(optarg))
				return bad();
			snap_opt = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_S2EDIR:
			s2edir = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		return usage("expected NAME[:SNAP]|IMAGE and MODE%s", "");
	if (argc > 2 && strcmp(argv[2], "--"))
		return usage("unexpected argument '%s' (QEMU arguments go after --)", argv[2]);
	for (int i = 3; i < argc; i++)
		extra[o.nextra++] = argv[i];
	if (s2e_qemu_mode_parse(argv[1], &o.mode) || s2e_qemu_opts_check(&o))
		return bad();
	if (o.expname && o.mode != S2E_QEMU_SYM)
		return usage("--expname applies to sym mode only%s", "");
	if (!o.qemu) {
		const char *env = getenv("S2E_QEMU");
		if (env && *env)
			o.qemu = env;
	}

	root = s2e_dir_resolve(s2edir);
	if (!root)
		goto out;
	if (strchr(argv[0], '/')) {
		image = s2e_strdup(argv[0]);
		if (!image)
			goto out;
		o.snapshot = snap_opt;
	} else {
		if (s2e_vm_ref_parse(argv[0], &vm, &snap)) {
			rc = bad();
			goto out_quiet;
		}
		if (snap && snap_opt && strcmp(snap, snap_opt)) {
			rc = usage("two different snapshots given (%s and --snapshot)", argv[0]);
			goto out_quiet;
		}
		image = s2e_asprintf("%s/vm/%s/%s", root, vm, S2E_VM_DISK);
		if (!image)
			goto out;
		o.snapshot = snap ? snap : snap_opt;
	}
	o.root = root;
	o.image = image;
	if (s2e_qemu_cmdline(&o, &cmd))
		goto out;
	if (check && s2e_qemu_check(&o, &cmd)) {
		s2e_qemu_cmdline_free(&cmd);
		goto out;
	}
	if (verbose) {
		fprintf(stderr, "%s: %s mode, binary %s", prog, s2e_qemu_mode_name(o.mode),
			s2e_q(cmd.binary));
		if (cmd.output_dir)
			fprintf(stderr, ", output %s", s2e_q(cmd.output_dir));
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < cmd.argc; i++) {
		if (null) {
			fputs(cmd.argv[i], stdout);
			fputc('\0', stdout);
		} else {
			if (i)
				fputc(' ', stdout);
			s2e_shell_quote(stdout, cmd.argv[i]);
		}
	}
	if (!null)
		fputc('\n', stdout);
	s2e_qemu_cmdline_free(&cmd);
	if (fflush(stdout) || ferror(stdout)) {
		s2e_error_errno("cannot write the command line");
		goto out;
	}
	rc = 0;
	goto out_quiet;
out:
	rc = fail();
out_quiet:
	free(root);
	free(vm);
	free(snap);
	free(image);
	return rc;
}
