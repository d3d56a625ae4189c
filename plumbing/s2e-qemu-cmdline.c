/* s2e-qemu-cmdline: print the QEMU command line for a VM or image and a mode
 * (SPEC §6), shell-quoted on one line, or NUL-separated with -z.  The line is
 * built by lib/qemu.c, the builder `s2e vm run` uses too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/parse-options.h"
#include "s2e/qemu.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

static const char *const usage[] = {
	"s2e-qemu-cmdline [OPTIONS] NAME[:SNAP]|IMAGE MODE [-- QEMU-ARG...]",
	NULL,
	"Print the QEMU command line that runs a VM (or a disk image, any argument",
	"with a '/') in MODE: kvm, prep or sym.  Options may come before or after",
	"the operands; words after -- are appended for QEMU.",
	NULL,
};

struct cli {
	struct s2e_qemu_opts o;
	const char *s2edir, *snap_opt, *ref;
	int null, check, verbose;
};

static const char *prog = "s2e-qemu-cmdline";

static int snapshot_opt(const struct s2e_option *opt, const char *value)
{
	if (s2e_snap_name_check(value))
		return -1;
	*(const char **)opt->value = value;
	return 0;
}

static int parse(struct cli *c, int argc, char **argv)
{
	const struct s2e_option options[] = {
		OPT_BOOL('z', "null", &c->null, "separate the words with NUL, not spaces (for xargs)"),
		S2E_QEMU_OPTIONS(&c->o),
		OPT_CALLBACK('s', "snapshot", &c->snap_opt, "SNAP",
			     "resume SNAP (for an IMAGE path; a VM takes NAME:SNAP)", snapshot_opt),
		OPT_BOOL(0, "check", &c->check, "fail unless the image, snapshot and binaries exist"),
		OPT_STRING(0, "s2edir", &c->s2edir, "DIR", "the S2E directory (default $S2EDIR, else ~/s2e)"),
		OPT_BOOL('v', "verbose", &c->verbose, "say on stderr what was chosen"),
		OPT_END(),
	};
	const struct s2e_command cmd = {.name = prog, .usage = usage, .options = options};
	int rc = s2e_qemu_parse(&cmd, &c->o, getenv("S2E_QEMU"), argc, argv, &c->ref, stdout,
				stderr);

	if (rc >= 0)
		return rc;
	if (c->o.expname && c->o.mode != S2E_QEMU_SYM)
		return s2e_usage_fail(&cmd, stderr, "--expname applies to sym mode only");
	return -1;
}

/* The image (and snapshot) the operand names.  2 for a usage error. */
static int resolve(struct cli *c, const char *root, char **vm, char **snap, char **image)
{
	if (strchr(c->ref, '/')) {
		*image = s2e_strdup(c->ref);
		c->o.snapshot = c->snap_opt;
		return *image ? 0 : 1;
	}
	if (s2e_vm_ref_parse(c->ref, vm, snap))
		return 2;
	if (*snap && c->snap_opt && strcmp(*snap, c->snap_opt))
		return s2e_error("two different snapshots given (%s and --snapshot)", c->ref), 2;
	*image = s2e_vm_file(root, *vm, NULL);
	c->o.snapshot = *snap ? *snap : c->snap_opt;
	return *image ? 0 : 1;
}

static int print(const struct cli *c, const struct s2e_qemu_cmdline *cmd)
{
	if (c->verbose) {
		fprintf(stderr, "%s: %s mode, binary %s", prog, s2e_qemu_mode_name(c->o.mode),
			s2e_q(cmd->binary));
		if (cmd->output_dir)
			fprintf(stderr, ", output %s", s2e_q(cmd->output_dir));
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < cmd->argc; i++) {
		if (c->null) {
			fputs(cmd->argv[i], stdout);
			fputc('\0', stdout);
		} else {
			if (i)
				fputc(' ', stdout);
			s2e_shell_quote(stdout, cmd->argv[i]);
		}
	}
	if (!c->null)
		fputc('\n', stdout);
	if (fflush(stdout) || ferror(stdout))
		return s2e_error_errno("cannot write the command line");
	return 0;
}

/* Build, check if asked, print.  The exit code. */
static int build(struct cli *c)
{
	struct s2e_qemu_cmdline cmd = {0};
	char *root = s2e_dir_resolve(c->s2edir), *vm = NULL, *snap = NULL, *image = NULL;
	int rc = root ? resolve(c, root, &vm, &snap, &image) : 1;

	if (rc == 0) {
		c->o.root = root;
		c->o.image = image;
		rc = s2e_qemu_cmdline(&c->o, &cmd) || (c->check && s2e_qemu_check(&c->o, &cmd)) ||
		     print(c, &cmd);
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, s2e_error_last());
	s2e_qemu_cmdline_free(&cmd);
	free(root);
	free(vm);
	free(snap);
	free(image);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = {.null = 0};
	int rc;

	if (s2e_std_fds_open())
		return 1;
	s2e_qemu_opts_init(&c.o);
	rc = parse(&c, argc, argv);
	if (rc < 0)
		rc = build(&c);
	s2e_qemu_opts_release(&c.o);
	return rc;
}
