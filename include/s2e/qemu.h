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
 * where BUILD is S2EDIR/build/ARCH-TARGET-MODE.  The builder only computes
 * words: it never looks at the file system unless asked to check. */
#ifndef S2E_QEMU_H
#define S2E_QEMU_H

#include <stddef.h>

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

struct s2e_qemu_opts {
	enum s2e_qemu_mode mode;
	const char *root;     /* S2EDIR, absolute */
	const char *image;    /* the disk image path */
	const char *snapshot; /* NULL: boot */
	const char *build;    /* ARCH:TARGET:MODE, NULL: the default */
	const char *qemu;     /* the binary, NULL: see s2e_qemu_cmdline() */
	const char *memory;   /* as typed ("512", "512M", "2G"), NULL: QEMU's default */
	enum s2e_qemu_net net;
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
	double timeout;		 /* >0: wrap in timeout(1) (plumbing only) */
	double kill_after;	 /* grace before SIGKILL with timeout; <=0: 10 s */
	const char **extra;	 /* words appended verbatim (-q OPT, after --) */
	size_t nextra;
};

/* The command line, a NULL-terminated malloc'd vector of malloc'd words. */
struct s2e_qemu_cmdline {
	char **argv;
	size_t argc;
	char *binary;	     /* the QEMU binary (argv[0] unless wrapped) */
	size_t binary_index; /* its place in argv: the words before wrap it */
	char *output_dir;    /* sym: S2EDIR/expdata/EXPNAME, else NULL */
	char *expname;	     /* sym: the experiment name used, else NULL */
};

/* "kvm", "prep", "sym". */
int s2e_qemu_mode_parse(const char *text, enum s2e_qemu_mode *mode);
const char *s2e_qemu_mode_name(enum s2e_qemu_mode mode);
int s2e_qemu_net_parse(const char *text, enum s2e_qemu_net *net);
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

/* The options that s2e-qemu-cmdline and `s2e vm run` share (SPEC §6), for
 * their getopt_long tables: S2E_QEMU_LONGOPTS goes into the option array,
 * S2E_QEMU_SHORTOPTS into the optstring. */
enum {
	S2E_QEMU_OPT_QEMU = 0x200,
	S2E_QEMU_OPT_STOCK,
	S2E_QEMU_OPT_FORMAT,
	S2E_QEMU_OPT_ACCEL,
	S2E_QEMU_OPT_SMP,
	S2E_QEMU_OPT_HEADLESS,
	S2E_QEMU_OPT_VNC,
	S2E_QEMU_OPT_MONITOR,
	S2E_QEMU_OPT_GDB,
	S2E_QEMU_OPT_STRACE,
	S2E_QEMU_OPT_EXPNAME,
	S2E_QEMU_OPT_KILL_AFTER,
};
#define S2E_QEMU_SHORTOPTS "b:m:n:q:f:t:"
#define S2E_QEMU_LONGOPTS                                                                          \
	{"build", required_argument, NULL, 'b'},                                                   \
	    {"qemu", required_argument, NULL, S2E_QEMU_OPT_QEMU},                                  \
	    {"stock", no_argument, NULL, S2E_QEMU_OPT_STOCK},                                      \
	    {"format", required_argument, NULL, S2E_QEMU_OPT_FORMAT},                              \
	    {"accel", required_argument, NULL, S2E_QEMU_OPT_ACCEL},                                \
	    {"smp", required_argument, NULL, S2E_QEMU_OPT_SMP},                                    \
	    {"memory", required_argument, NULL, 'm'}, {"network", required_argument, NULL, 'n'},   \
	    {"headless", no_argument, NULL, S2E_QEMU_OPT_HEADLESS},                                \
	    {"vnc-display", required_argument, NULL, S2E_QEMU_OPT_VNC},                            \
	    {"monitor-port", required_argument, NULL, S2E_QEMU_OPT_MONITOR},                       \
	    {"qemu-opt", required_argument, NULL, 'q'},                                            \
	    {"gdb", no_argument, NULL, S2E_QEMU_OPT_GDB},                                          \
	    {"strace", no_argument, NULL, S2E_QEMU_OPT_STRACE},                                    \
	    {"config-file", required_argument, NULL, 'f'},                                         \
	    {"expname", required_argument, NULL, S2E_QEMU_OPT_EXPNAME},                            \
	    {"timeout", required_argument, NULL, 't'},                                             \
	{                                                                                          \
		"kill-after", required_argument, NULL, S2E_QEMU_OPT_KILL_AFTER                     \
	}

/* Apply one option, as getopt_long returned it (c, and its value arg), to o.
 * 1: applied; 0: not one of these options; -1: a bad value (error set).
 * -q words are appended to o->extra, which must have room for them. */
int s2e_qemu_option(struct s2e_qemu_opts *o, int c, const char *arg);
/* The combinations that make no sense (a stock QEMU in sym mode, --accel
 * outside kvm mode, a config file outside sym mode, --gdb with --strace,
 * --kill-after without --timeout). */
int s2e_qemu_opts_check(const struct s2e_qemu_opts *o);

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

/* Find an executable: a name with '/' is checked as is, else searched in PATH.
 * malloc'd full path, or NULL with the error set. */
char *s2e_which(const char *name);

#endif
