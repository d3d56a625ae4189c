/* The QEMU command line of SPEC §6, as S2E users know it:
 *
 *   sym   BUILD/qemu/ARCH-s2e-softmmu/qemu-system-ARCH
 *             -drive file=IMG,cache=writeback,format=s2e -cpu pentium
 *             -net nic,model=pcnet -net user [-loadvm SNAP]
 *             -s2e-config-file CFG -s2e-verbose -s2e-output-dir OUT
 *   prep  BUILD/qemu/ARCH-softmmu/qemu-system-ARCH, the same drive, CPU and
 *             network options, no -s2e-* options
 *   kvm   BUILD/qemu/ARCH-softmmu/qemu-system-ARCH
 *             -drive file=IMG,cache=writeback,if=virtio,format=raw
 *             -enable-kvm -smp N -net nic,model=virtio -net user
 *
 * where BUILD is S2EDIR/build/ARCH-TARGET-MODE.  QEMU reads the -drive value
 * as a key=value list, so the image path in it has its commas doubled
 * (QEMU's escape): a path can never add keys of its own.
 *
 * One builder serves `s2e-qemu-cmdline` and `s2e vm run`; it only computes
 * words (never looks at the file system unless asked to check) and returns
 * what it chose: the binary and its place, the output directory, the
 * experiment name and the config file.
 *
 * The options both commands take are one parse-options table fragment,
 * S2E_QEMU_OPTIONS(&opts), writing into struct s2e_qemu_opts.  Every field
 * starts "unset" (s2e_qemu_opts_init: NULL, 0, -1 or *_DEFAULT), so that
 * defaults from another source (a VM's stored settings) can later be filled
 * in for exactly the fields the command line left unset, before building. */
#ifndef S2E_QEMU_H
#define S2E_QEMU_H

#include <stddef.h>

#include "s2e/parse-options.h"
#include "s2e/strv.h"

enum s2e_qemu_mode {
	S2E_QEMU_KVM,
	S2E_QEMU_PREP,
	S2E_QEMU_SYM,
};

enum s2e_qemu_net {
	S2E_QEMU_NET_DEFAULT, /* user */
	S2E_QEMU_NET_NONE,
	S2E_QEMU_NET_USER,
	S2E_QEMU_NET_TAP,
};

enum s2e_qemu_accel {
	S2E_QEMU_ACCEL_DEFAULT, /* kvm in kvm mode */
	S2E_QEMU_ACCEL_KVM,
	S2E_QEMU_ACCEL_TCG,
};

#define S2E_QEMU_DEFAULT_BUILD	      "i386:release:normal"
#define S2E_QEMU_DEFAULT_MONITOR_PORT 4444
#define S2E_QEMU_DEFAULT_VNC_DISPLAY  0
#define S2E_QEMU_DEFAULT_CONFIG	      "src/config/default-config.lua"
#define S2E_QEMU_DEFAULT_KILL_AFTER   10.0

struct s2e_qemu_opts {
	enum s2e_qemu_mode mode;
	const char *root;     /* S2EDIR, absolute */
	const char *image;    /* the disk image path */
	const char *snapshot; /* NULL: boot */
	const char *build;    /* ARCH:TARGET:MODE, NULL: the default */
	const char *qemu;     /* the binary, NULL: see s2e_qemu_cmdline() */
	const char *memory;   /* as typed ("512", "512M", "2G"), NULL: QEMU's default */
	enum s2e_qemu_net net;
	const char *nic;      /* the NIC model, NULL: virtio (kvm) or pcnet */
	enum s2e_qemu_accel accel;
	int stock;		 /* a stock QEMU: format=raw instead of format=s2e */
	unsigned smp;		 /* kvm: 0 means the number of online CPUs */
	int headless;		 /* VNC and the monitor on TCP */
	int vnc_display;	 /* -1: default (with headless) or none */
	int monitor_port;	 /* -1: default (with headless) or none */
	int gdb;		 /* run QEMU under gdb --args */
	int strace;		 /* run QEMU under strace -f */
	const char *config_file; /* sym; NULL: S2EDIR/src/config/default-config.lua */
	const char *expname;	 /* sym; NULL: auto_ + local time */
	double timeout;		 /* >0: wrap in timeout(1) */
	double kill_after;	 /* grace before SIGKILL with timeout; <=0: 10 s */
	struct s2e_strv extra;	 /* -q words (borrowed), appended verbatim */
	struct s2e_strv args;	 /* words after `--` (borrowed), appended after them */
};

void s2e_qemu_opts_init(struct s2e_qemu_opts *o);
/* Free the word vectors (not the words). */
void s2e_qemu_opts_release(struct s2e_qemu_opts *o);

/* The command line, a NULL-terminated malloc'd vector of malloc'd words. */
struct s2e_qemu_cmdline {
	char **argv;
	size_t argc;
	char *binary;	     /* the QEMU binary (argv[binary_index]) */
	size_t binary_index; /* its place in argv: the words before wrap it */
	char *output_dir;    /* sym: S2EDIR/expdata/EXPNAME, else NULL */
	char *expname;	     /* sym: the experiment name used, else NULL */
	char *config_file;   /* sym: the S2E config file (absolute), else NULL */
};

/* "kvm", "prep", "sym". */
#define S2E_QEMU_MODE_WORDS "kvm|prep|sym" /* for completion; t1660 checks it */
int s2e_qemu_mode_parse(const char *text, enum s2e_qemu_mode *mode);
const char *s2e_qemu_mode_name(enum s2e_qemu_mode mode);
int s2e_qemu_net_parse(const char *text, enum s2e_qemu_net *net);
/* A NIC model for -net nic,model=M: [A-Za-z0-9_.-]+, at most 64 bytes. */
int s2e_qemu_nic_check(const char *text);
int s2e_qemu_accel_parse(const char *text, enum s2e_qemu_accel *accel);
/* ARCH:TARGET:MODE, each part [A-Za-z0-9_]+; the parts are malloc'd (may be NULL). */
int s2e_qemu_build_parse(const char *text, char **arch, char **target, char **mode);
/* QEMU's -m: a whole number of MiB, "512", "512M", "2G", "1.5G", "512MiB".
 * The result is in MiB. */
int s2e_qemu_memory_parse(const char *text, unsigned long *mib);
/* A TCP port 1-65535 / a VNC display 0-59635 (5900 + display <= 65535). */
int s2e_qemu_port_parse(const char *text, int *port);
int s2e_qemu_display_parse(const char *text, int *display);
/* Seconds, > 0, decimals allowed. */
int s2e_qemu_seconds_parse(const char *what, const char *text, double *seconds);
/* An experiment name: as a VM name (1-128 bytes of UTF-8, no '/', no control
 * characters, no leading '.'), ':' allowed. */
int s2e_expname_check(const char *name);
/* "auto_" + local time "YYYY-MM-DDTHH:MM:SS.mmm+hhmm". */
void s2e_expname_auto(char *buf, size_t len);
/* A path as QEMU's key=value option lists need it: every ',' doubled.
 * malloc'd. */
char *s2e_qemu_escape_comma(const char *path);

/* The option callbacks of S2E_QEMU_OPTIONS; each checks its value (a bad
 * one is a usage error) and writes it into the struct s2e_qemu_opts. */
int s2e_qemu_opt_build(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_qemu(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_format(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_accel(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_smp(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_memory(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_network(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_nic(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_vnc(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_monitor(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_extra(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_config(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_expname(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_timeout(const struct s2e_option *opt, const char *value);
int s2e_qemu_opt_kill_after(const struct s2e_option *opt, const char *value);

/* The options s2e-qemu-cmdline and `s2e vm run` share (SPEC §6), as entries
 * of a parse-options table; o is a struct s2e_qemu_opts *. */
#define S2E_QEMU_OPTIONS(o)                                                                        \
	OPT_CALLBACK('b', "build", (o), "A:T:M",                                                  \
		     "QEMU build under S2EDIR/build (default " S2E_QEMU_DEFAULT_BUILD ")",         \
		     s2e_qemu_opt_build),                                                          \
	    OPT_CALLBACK(0, "qemu", (o), "PATH",                                                  \
			 "the QEMU binary (default $S2E_QEMU, else the build's)",                 \
			 s2e_qemu_opt_qemu),                                                       \
	    OPT_BOOL(0, "stock", &(o)->stock, "a stock QEMU: format=raw, qemu-system-ARCH"),      \
	    OPT_CALLBACK(0, "format", (o), "s2e|raw", "the drive format (raw is --stock)",        \
			 s2e_qemu_opt_format),                                                     \
	    OPT_CALLBACK(0, "accel", (o), "kvm|tcg",                                              \
			 "kvm mode: KVM (default) or software emulation",                 \
			 s2e_qemu_opt_accel),                                                      \
	    OPT_CALLBACK(0, "smp", (o), "N", "kvm mode: virtual CPUs (default: the host's)",      \
			 s2e_qemu_opt_smp),                                                        \
	    OPT_CALLBACK('m', "memory", (o), "SIZE", "guest memory (512, 512M, 2G)",              \
			 s2e_qemu_opt_memory),                                                     \
	    OPT_CALLBACK('n', "network", (o), "none|user|tap", "guest network (default user)",    \
			 s2e_qemu_opt_network),                                                    \
	    OPT_CALLBACK(0, "nic", (o), "MODEL",                                                  \
			 "guest network card (default virtio for kvm, else pcnet)",               \
			 s2e_qemu_opt_nic),                                                        \
	    OPT_BOOL(0, "headless", &(o)->headless, "VNC display and monitor on TCP, no window"), \
	    OPT_CALLBACK(0, "vnc-display", (o), "N", "VNC display number (default 0)",            \
			 s2e_qemu_opt_vnc),                                                        \
	    OPT_CALLBACK(0, "monitor-port", (o), "P",                                             \
			 "monitor on TCP port P of 127.0.0.1 (default 4444)",                     \
			 s2e_qemu_opt_monitor),                                                    \
	    OPT_CALLBACK('q', "qemu-opt", (o), "OPT", "append one word for QEMU (repeatable)",    \
			 s2e_qemu_opt_extra),                                                      \
	    OPT_BOOL(0, "gdb", &(o)->gdb, "run QEMU under gdb --args"),                           \
	    OPT_BOOL(0, "strace", &(o)->strace, "run QEMU under strace, following forks"),       \
	    OPT_CALLBACK('c', "config-file", (o), "FILE",                                         \
			 "sym: S2E config (default S2EDIR/" S2E_QEMU_DEFAULT_CONFIG ")",          \
			 s2e_qemu_opt_config),                                                     \
	    OPT_CALLBACK(0, "expname", (o), "NAME",                                               \
			 "sym: experiment name (default auto_ + local time)",                     \
			 s2e_qemu_opt_expname),                                                    \
	    OPT_CALLBACK('t', "timeout", (o), "SECONDS", "SIGINT to QEMU after SECONDS",          \
			 s2e_qemu_opt_timeout),                                                    \
	    OPT_CALLBACK(0, "kill-after", (o), "SECONDS",                                         \
			 "then SIGKILL after this grace (default 10)", s2e_qemu_opt_kill_after)

/* The operands both commands take, as parse-options left them (with
 * S2E_PARSE_KEEP_DASHDASH): NAME[:SNAP]|IMAGE, MODE, then `--` and the QEMU
 * arguments, which go to o->args.  Sets *ref and o->mode and checks the
 * combination (s2e_qemu_opts_check); -1 with the error set is a usage
 * error. */
int s2e_qemu_operands(struct s2e_qemu_opts *o, int argc, char **argv, const char **ref);

/* Parse a command line with cmd, whose table holds S2E_QEMU_OPTIONS(o):
 * the options anywhere, then s2e_qemu_operands().  qemu_default (the
 * caller's $S2E_QEMU; NULL or "" for none) is the binary when --qemu is not
 * given.  Returns -1 to go on, else the exit code after the help (on out)
 * or the usage error (on err). */
int s2e_qemu_parse(const struct s2e_command *cmd, struct s2e_qemu_opts *o,
		   const char *qemu_default, int argc, char **argv, const char **ref, FILE *out,
		   FILE *err);

/* The combinations that make no sense (a stock QEMU in sym mode, --accel
 * outside kvm mode, a config file outside sym mode, --gdb with --strace,
 * --kill-after without --timeout). */
int s2e_qemu_opts_check(const struct s2e_qemu_opts *o);

/* The options of o as s2e-qemu-cmdline words (--build X, --memory Y, ...,
 * --qemu-opt W...), in a canonical order: with the operands and then "--"
 * and o->args, the words that make s2e-qemu-cmdline build the same line.
 * Appended to words as malloc'd strings (free with s2e_strv_clear_owned);
 * the root, image, snapshot and o->args are not among them. */
int s2e_qemu_opts_words(const struct s2e_qemu_opts *o, struct s2e_strv *words);

/* Build the command line.  When opts->qemu is NULL the binary is the build's
 * (ARCH-s2e-softmmu for sym, ARCH-softmmu otherwise), or with stock the bare
 * name qemu-system-ARCH, looked up in PATH when run.  (The callers give
 * $S2E_QEMU as opts->qemu; lib reads no environment here.) */
int s2e_qemu_cmdline(const struct s2e_qemu_opts *opts, struct s2e_qemu_cmdline *out);
void s2e_qemu_cmdline_free(struct s2e_qemu_cmdline *cmd);

/* Check what a real run needs: the image (and the snapshot file next to it)
 * exist, /dev/kvm can be used (kvm mode without --accel=tcg), and the QEMU
 * binary (and gdb/strace/timeout) can be executed. */
int s2e_qemu_check(const struct s2e_qemu_opts *opts, const struct s2e_qemu_cmdline *cmd);

#endif
