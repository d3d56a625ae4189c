#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/qemu.h"
#include "s2e/quote.h"

static const char *const mode_names[] = {
    [S2E_QEMU_KVM] = "kvm",
    [S2E_QEMU_PREP] = "prep",
    [S2E_QEMU_SYM] = "sym",
};

int s2e_qemu_mode_parse(const char *text, enum s2e_qemu_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(text, mode_names[i])) {
			*mode = (enum s2e_qemu_mode)i;
			return 0;
		}
	}
	return s2e_error("unknown mode %s: expected kvm, prep or sym", s2e_q(text));
}

const char *s2e_qemu_mode_name(enum s2e_qemu_mode mode)
{
	return mode <= S2E_QEMU_SYM ? mode_names[mode] : "?";
}

int s2e_qemu_net_parse(const char *text, enum s2e_qemu_net *net)
{
	if (!strcmp(text, "none"))
		*net = S2E_QEMU_NET_NONE;
	else if (!strcmp(text, "user"))
		*net = S2E_QEMU_NET_USER;
	else if (!strcmp(text, "tap"))
		*net = S2E_QEMU_NET_TAP;
	else
		return s2e_error("unknown network %s: expected none, user or tap", s2e_q(text));
	return 0;
}

int s2e_qemu_accel_parse(const char *text, enum s2e_qemu_accel *accel)
{
	if (!strcmp(text, "kvm"))
		*accel = S2E_QEMU_ACCEL_KVM;
	else if (!strcmp(text, "tcg"))
		*accel = S2E_QEMU_ACCEL_TCG;
	else
		return s2e_error("unknown accelerator %s: expected kvm or tcg", s2e_q(text));
	return 0;
}

int s2e_qemu_build_parse(const char *text, char **arch, char **target, char **mode)
{
	char *part[3] = {NULL, NULL, NULL};
	const char *p = text;
	size_t n = 0;

	for (;;) {
		size_t len = strcspn(p, ":");
		if (n == 3) {
			s2e_error("invalid build %s: expected ARCH:TARGET:MODE (three parts)",
				  s2e_q(text));
			goto fail;
		}
		if (len == 0) {
			s2e_error("invalid build %s: expected ARCH:TARGET:MODE, part %zu is empty",
				  s2e_q(text), n + 1);
			goto fail;
		}
		for (size_t i = 0; i < len; i++) {
			if (!isalnum((unsigned char)p[i]) && p[i] != '_') {
				s2e_error("invalid build %s: only letters, digits and '_' may make "
					  "up ARCH, TARGET and MODE",
					  s2e_q(text));
				goto fail;
			}
		}
		part[n] = strndup(p, len);
		if (!part[n]) {
			s2e_error("out of memory");
			goto fail;
		}
		n++;
		p += len;
		if (!*p)
			break;
		p++;
	}
	if (n != 3) {
		s2e_error("invalid build %s: expected ARCH:TARGET:MODE (three parts), like %s",
			  s2e_q(text), S2E_QEMU_DEFAULT_BUILD);
		goto fail;
	}
	if (arch)
		*arch = part[0];
	else
		free(part[0]);
	if (target)
		*target = part[1];
	else
		free(part[1]);
	if (mode)
		*mode = part[2];
	else
		free(part[2]);
	return 0;
fail:
	for (size_t i = 0; i < 3; i++)
		free(part[i]);
	return -1;
}

int s2e_qemu_memory_parse(const char *text, unsigned long *mib)
{
	static const struct {
		const char *suffix;
		double mib;
	} units[] = {
	    {"", 1},	       {"M", 1},
	    {"MiB", 1},	       {"m", 1},
	    {"MB", 1},	       {"G", 1024},
	    {"GiB", 1024},     {"g", 1024},
	    {"GB", 1024},      {"T", 1048576},
	    {"TiB", 1048576},  {"t", 1048576},
	    {"K", 1.0 / 1024}, {"KiB", 1.0 / 1024},
	    {"k", 1.0 / 1024},
	};
	const char *p = text;
	char *end;
	double v;

	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (p == text || !isdigit((unsigned char)text[0]))
		return s2e_error("invalid memory size %s: expected a number of MiB or a size "
				 "like 512M or 2G",
				 s2e_q(text));
	errno = 0;
	v = strtod(text, &end);
	if (end != p || errno)
		return s2e_error("invalid memory size %s", s2e_q(text));
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix))
			continue;
		v *= units[i].mib;
		if (v <= 0)
			return s2e_error("invalid memory size %s: must be more than zero",
					 s2e_q(text));
		if (v > 16.0 * 1048576) /* 16 TiB: more than any guest we run */
			return s2e_error("invalid memory size %s: too large", s2e_q(text));
		if (v != floor(v))
			return s2e_error("invalid memory size %s: QEMU needs a whole number of MiB",
					 s2e_q(text));
		*mib = (unsigned long)v;
		return 0;
	}
	return s2e_error("invalid memory size %s: unknown unit %s (use M or G)", s2e_q(text),
			 s2e_q(p));
}

static int parse_int(const char *what, const char *text, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (!isdigit((unsigned char)*text))
		return s2e_error("invalid %s %s: not a number", what, s2e_q(text));
	v = strtol(text, &end, 10);
	if (*end)
		return s2e_error("invalid %s %s: not a number", what, s2e_q(text));
	if (errno || v < lo || v > hi)
		return s2e_error("invalid %s %s: must be between %ld and %ld", what, s2e_q(text),
				 lo, hi);
	*out = v;
	return 0;
}

int s2e_qemu_port_parse(const char *text, int *port)
{
	long v;

	if (parse_int("port", text, 1, 65535, &v))
		return -1;
	*port = (int)v;
	return 0;
}

int s2e_qemu_display_parse(const char *text, int *display)
{
	long v;

	if (parse_int("VNC display", text, 0, 65535 - 5900, &v))
		return -1;
	*display = (int)v;
	return 0;
}

int s2e_qemu_seconds_parse(const char *what, const char *text, double *seconds)
{
	char *end;
	double v;

	errno = 0;
	if (!isdigit((unsigned char)*text) && *text != '.')
		return s2e_error("invalid %s %s: expected a number of seconds", what, s2e_q(text));
	v = strtod(text, &end);
	if (*end || errno || !isfinite(v))
		return s2e_error("invalid %s %s: expected a number of seconds", what, s2e_q(text));
	if (v <= 0)
		return s2e_error("invalid %s %s: must be more than zero", what, s2e_q(text));
	if (v > 100.0 * 365 * 24 * 3600)
		return s2e_error("invalid %s %s: too large", what, s2e_q(text));
	*seconds = v;
	return 0;
}

int s2e_expname_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return s2e_error("invalid experiment name '': a name cannot be empty");
	if (name[0] == '.')
		return s2e_error("invalid experiment name %s: a name cannot start with '.'",
				 s2e_q(name));
	if (len > 128)
		return s2e_error("invalid experiment name %s: longer than 128 bytes", s2e_q(name));
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return s2e_error("invalid experiment name %s: '/' and control characters "
					 "are not allowed",
					 s2e_q(name));
	/* The rest of the rules (valid UTF-8) are those of snapshot names. */
	if (s2e_snap_name_check(name))
		return s2e_error("invalid experiment name %s: not valid UTF-8", s2e_q(name));
	return 0;
}

void s2e_expname_auto(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char date[32], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "auto_%s.%03ld%s", date, ts.tv_nsec / 1000000, zone);
}

/* A growing word vector. */
struct words {
	char **v;
	size_t n, cap;
	int oom;
};

static void add(struct words *w, const char *word)
{
	char *copy;

	if (w->oom)
		return;
	if (w->n + 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		char **v = realloc(w->v, cap * sizeof(*v));
		if (!v) {
			w->oom = 1;
			return;
		}
		w->v = v;
		w->cap = cap;
	}
	copy = strdup(word);
	if (!copy) {
		w->oom = 1;
		return;
	}
	w->v[w->n++] = copy;
	w->v[w->n] = NULL;
}

static void addf(struct words *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct words *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		w->oom = 1;
		s = NULL;
	}
	va_end(ap);
	if (s) {
		add(w, s);
		free(s);
	}
}

/* An absolute form of a path (relative to the working directory). */
static char *absolute(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return s2e_strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd) {
		s2e_error_errno("cannot find the working directory");
		return NULL;
	}
	abs = s2e_path_join(cwd, path);
	free(cwd);
	return abs;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static void format_seconds(char *buf, size_t len, double s)
{
	snprintf(buf, len, "%.3f", s);
	/* 60.000 -> 60, 0.500 -> 0.5 */
	char *dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf) - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
	}
}

void s2e_qemu_opts_init(struct s2e_qemu_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->vnc_display = -1;
	o->monitor_port = -1;
}

void s2e_qemu_opts_release(struct s2e_qemu_opts *o)
{
	s2e_strv_clear(&o->extra);
	s2e_strv_clear(&o->args);
}

#define OPTS(opt) ((struct s2e_qemu_opts *)(opt)->value)

int s2e_qemu_opt_build(const struct s2e_option *opt, const char *value)
{
	if (s2e_qemu_build_parse(value, NULL, NULL, NULL))
		return -1;
	OPTS(opt)->build = value;
	return 0;
}

int s2e_qemu_opt_qemu(const struct s2e_option *opt, const char *value)
{
	if (!*value)
		return s2e_error("needs the path of a QEMU binary");
	OPTS(opt)->qemu = value;
	return 0;
}

int s2e_qemu_opt_format(const struct s2e_option *opt, const char *value)
{
	if (strcmp(value, "raw") && strcmp(value, "s2e"))
		return s2e_error("unknown format %s: expected s2e or raw", s2e_q(value));
	OPTS(opt)->stock = !strcmp(value, "raw");
	return 0;
}

int s2e_qemu_opt_accel(const struct s2e_option *opt, const char *value)
{
	return s2e_qemu_accel_parse(value, &OPTS(opt)->accel);
}

int s2e_qemu_opt_smp(const struct s2e_option *opt, const char *value)
{
	long smp;

	if (parse_int("CPU count", value, 1, 1024, &smp))
		return -1;
	OPTS(opt)->smp = (unsigned)smp;
	return 0;
}

int s2e_qemu_opt_memory(const struct s2e_option *opt, const char *value)
{
	unsigned long mib;

	if (s2e_qemu_memory_parse(value, &mib))
		return -1;
	OPTS(opt)->memory = value;
	return 0;
}

int s2e_qemu_opt_network(const struct s2e_option *opt, const char *value)
{
	return s2e_qemu_net_parse(value, &OPTS(opt)->net);
}

int s2e_qemu_opt_vnc(const struct s2e_option *opt, const char *value)
{
	return s2e_qemu_display_parse(value, &OPTS(opt)->vnc_display);
}

int s2e_qemu_opt_monitor(const struct s2e_option *opt, const char *value)
{
	return s2e_qemu_port_parse(value, &OPTS(opt)->monitor_port);
}

int s2e_qemu_opt_extra(const struct s2e_option *opt, const char *value)
{
	return s2e_strv_add(&OPTS(opt)->extra, value);
}

int s2e_qemu_opt_config(const struct s2e_option *opt, const char *value)
{
	if (!*value)
		return s2e_error("needs a path");
	OPTS(opt)->config_file = value;
	return 0;
}

int s2e_qemu_opt_expname(const struct s2e_option *opt, const char *value)
{
	if (s2e_expname_check(value))
		return -1;
	OPTS(opt)->expname = value;
	return 0;
}

int s2e_qemu_opt_timeout(const struct s2e_option *opt, const char *value)
{
	return s2e_qemu_seconds_parse("timeout", value, &OPTS(opt)->timeout);
}

int s2e_qemu_opt_kill_after(const struct s2e_option *opt, const char *value)
{
	return s2e_qemu_seconds_parse("--kill-after", value, &OPTS(opt)->kill_after);
}

#undef OPTS

int s2e_qemu_operands(struct s2e_qemu_opts *o, int argc, char **argv, const char **ref)
{
	int n = 0;

	while (n < argc && strcmp(argv[n], "--"))
		n++;
	if (n > 2)
		return s2e_error("unexpected argument '%s' (QEMU arguments go after --)", argv[2]);
	if (n != 2)
		return s2e_error("expected NAME[:SNAP]|IMAGE and MODE");
	for (int i = n + 1; i < argc; i++)
		if (s2e_strv_add(&o->args, argv[i]))
			return -1;
	*ref = argv[0];
	if (s2e_qemu_mode_parse(argv[1], &o->mode))
		return -1;
	return s2e_qemu_opts_check(o);
}

int s2e_qemu_parse(const struct s2e_command *cmd, struct s2e_qemu_opts *o,
		   const char *qemu_default, int argc, char **argv, const char **ref, FILE *out,
		   FILE *err)
{
	argc = s2e_parse_options(cmd, argc, argv, S2E_PARSE_KEEP_DASHDASH);
	if (argc < 0)
		return s2e_parse_options_exit(cmd, argc, out, err);
	if (!o->qemu && qemu_default && *qemu_default)
		o->qemu = qemu_default;
	if (s2e_qemu_operands(o, argc, argv, ref))
		return s2e_usage_fail(cmd, err, "%s", s2e_error_last());
	return -1;
}

int s2e_qemu_opts_check(const struct s2e_qemu_opts *o)
{
	if (o->mode == S2E_QEMU_SYM && o->stock)
		return s2e_error("a stock QEMU cannot run in sym mode: sym needs S2E's QEMU");
	if (o->accel != S2E_QEMU_ACCEL_DEFAULT && o->mode != S2E_QEMU_KVM)
		return s2e_error("--accel applies to kvm mode only (%s mode runs without KVM)",
				 s2e_qemu_mode_name(o->mode));
	if (o->config_file && o->mode != S2E_QEMU_SYM)
		return s2e_error("an S2E config file applies to sym mode only");
	if (o->gdb && o->strace)
		return s2e_error("--gdb and --strace cannot be used together");
	if (o->kill_after > 0 && !(o->timeout > 0))
		return s2e_error("--kill-after needs --timeout");
	return 0;
}

char *s2e_qemu_escape_comma(const char *path)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = path; *p; p++)
		n += *p == ',' ? 2 : 1;
	out = malloc(n + 1);
	if (!out) {
		s2e_error("out of memory");
		return NULL;
	}
	for (o = out; *path; path++) {
		*o++ = *path;
		if (*path == ',')
			*o++ = ',';
	}
	*o = '\0';
	return out;
}

/* timeout(1), gdb or strace before the binary. */
static void add_wrappers(struct words *w, const struct s2e_qemu_opts *o)
{
	if (o->timeout > 0) {
		char t[32], k[32];
		format_seconds(t, sizeof(t), o->timeout);
		format_seconds(k, sizeof(k),
			       o->kill_after > 0 ? o->kill_after : S2E_QEMU_DEFAULT_KILL_AFTER);
		add(w, "timeout");
		add(w, "--foreground");
		add(w, "-s");
		add(w, "INT");
		add(w, "-k");
		add(w, k);
		add(w, t);
	}
	if (o->gdb) {
		add(w, "gdb");
		add(w, "--args");
	}
	if (o->strace) {
		add(w, "strace");
		add(w, "-f");
	}
}

static void add_binary(struct words *w, const struct s2e_qemu_opts *o, const char *arch,
		       const char *target, const char *bmode)
{
	if (o->qemu)
		add(w, o->qemu);
	else if (o->stock)
		addf(w, "qemu-system-%s", arch);
	else
		addf(w, "%s/build/%s-%s-%s/qemu/%s-%ssoftmmu/qemu-system-%s", o->root, arch, target,
		     bmode, arch, o->mode == S2E_QEMU_SYM ? "s2e-" : "", arch);
}

/* The drive, the CPU (or KVM) and the memory. */
static int add_machine(struct words *w, const struct s2e_qemu_opts *o, const char *image)
{
	char *escaped = s2e_qemu_escape_comma(image);
	unsigned long mib;

	if (!escaped)
		return -1;
	add(w, "-drive");
	if (o->mode == S2E_QEMU_KVM)
		addf(w, "file=%s,cache=writeback,if=virtio,format=raw", escaped);
	else
		addf(w, "file=%s,cache=writeback,format=%s", escaped, o->stock ? "raw" : "s2e");
	free(escaped);
	if (o->mode == S2E_QEMU_KVM) {
		long cpus = o->smp ? (long)o->smp : sysconf(_SC_NPROCESSORS_ONLN);
		if (o->accel == S2E_QEMU_ACCEL_TCG) {
			add(w, "-accel");
			add(w, "tcg");
		} else {
			add(w, "-enable-kvm");
		}
		add(w, "-smp");
		addf(w, "%ld", cpus > 0 ? cpus : 1);
	} else {
		add(w, "-cpu");
		add(w, "pentium");
	}
	if (o->memory) {
		if (s2e_qemu_memory_parse(o->memory, &mib))
			return -1;
		add(w, "-m");
		addf(w, "%lu", mib);
	}
	return 0;
}

/* Network, snapshot, display and monitor. */
static void add_devices(struct words *w, const struct s2e_qemu_opts *o)
{
	if (o->net == S2E_QEMU_NET_NONE) {
		add(w, "-net");
		add(w, "none");
	} else {
		add(w, "-net");
		add(w, o->mode == S2E_QEMU_KVM ? "nic,model=virtio" : "nic,model=pcnet");
		add(w, "-net");
		add(w, o->net == S2E_QEMU_NET_TAP ? "tap" : "user");
	}
	if (o->snapshot) {
		add(w, "-loadvm");
		add(w, o->snapshot);
	}
	if (o->headless || o->vnc_display >= 0) {
		add(w, "-vnc");
		addf(w, ":%d", o->vnc_display >= 0 ? o->vnc_display : S2E_QEMU_DEFAULT_VNC_DISPLAY);
	}
	if (o->headless || o->monitor_port >= 0) {
		add(w, "-monitor");
		addf(w, "tcp:127.0.0.1:%d,server=on,wait=off",
		     o->monitor_port >= 0 ? o->monitor_port : S2E_QEMU_DEFAULT_MONITOR_PORT);
	}
}

/* sym: the experiment name, config file and output directory. */
static int add_sym(struct words *w, const struct s2e_qemu_opts *o, struct s2e_qemu_cmdline *out)
{
	char buf[64];

	if (o->expname) {
		if (s2e_expname_check(o->expname))
			return -1;
		out->expname = s2e_strdup(o->expname);
	} else {
		s2e_expname_auto(buf, sizeof(buf));
		out->expname = s2e_strdup(buf);
	}
	if (!out->expname)
		return -1;
	out->config_file = o->config_file ? absolute(o->config_file)
					  : s2e_path_join(o->root, S2E_QEMU_DEFAULT_CONFIG);
	out->output_dir = s2e_asprintf("%s/" S2E_EXPDATA_DIR "/%s", o->root, out->expname);
	if (!out->config_file || !out->output_dir)
		return -1;
	add(w, "-s2e-config-file");
	add(w, out->config_file);
	add(w, "-s2e-verbose");
	add(w, "-s2e-output-dir");
	add(w, out->output_dir);
	return 0;
}

static int check_request(const struct s2e_qemu_opts *o)
{
	if (!o->root || !o->image)
		return s2e_error("no S2EDIR or image given");
	if (o->mode > S2E_QEMU_SYM)
		return s2e_error("unknown mode");
	if (o->snapshot && s2e_snap_name_check(o->snapshot))
		return -1;
	if (s2e_qemu_opts_check(o))
		return -1;
	if (o->mode == S2E_QEMU_SYM && !ends_with(o->image, ".s2e"))
		return s2e_error("disk image %s does not end in .s2e: S2E refuses any other name in "
				 "sym mode, to protect the image (rename it to end in .s2e)",
				 s2e_q(o->image));
	return 0;
}

int s2e_qemu_cmdline(const struct s2e_qemu_opts *o, struct s2e_qemu_cmdline *out)
{
	struct words w = {0};
	char *arch = NULL, *target = NULL, *bmode = NULL, *image = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_request(o) ||
	    s2e_qemu_build_parse(o->build ? o->build : S2E_QEMU_DEFAULT_BUILD, &arch, &target,
				 &bmode))
		return -1;
	image = absolute(o->image);
	if (!image)
		goto out;
	add_wrappers(&w, o);
	out->binary_index = w.n;
	add_binary(&w, o, arch, target, bmode);
	if (add_machine(&w, o, image))
		goto out;
	add_devices(&w, o);
	if (o->mode == S2E_QEMU_SYM && add_sym(&w, o, out))
		goto out;
	for (size_t i = 0; i < o->extra.n; i++)
		add(&w, o->extra.v[i]);
	for (size_t i = 0; i < o->args.n; i++)
		add(&w, o->args.v[i]);
	if (w.oom) {
		s2e_error("out of memory");
		goto out;
	}
	out->binary = s2e_strdup(w.v[out->binary_index]);
	if (!out->binary)
		goto out;
	out->argv = w.v;
	out->argc = w.n;
	w.v = NULL;
	w.n = 0;
	rc = 0;
out:
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i]);
	free(w.v);
	free(arch);
	free(target);
	free(bmode);
	free(image);
	if (rc)
		s2e_qemu_cmdline_free(out);
	return rc;
}

void s2e_qemu_cmdline_free(struct s2e_qemu_cmdline *cmd)
{
	if (cmd->argv)
		for (size_t i = 0; i < cmd->argc; i++)
			free(cmd->argv[i]);
	free(cmd->argv);
	free(cmd->binary);
	free(cmd->output_dir);
	free(cmd->expname);
	free(cmd->config_file);
	memset(cmd, 0, sizeof(*cmd));
}

static const char *const net_names[] = {
    [S2E_QEMU_NET_NONE] = "none",
    [S2E_QEMU_NET_USER] = "user",
    [S2E_QEMU_NET_TAP] = "tap",
};

/* "--name" and, when value is not NULL, the value: two owned words. */
static int opt_word(struct s2e_strv *words, const char *name, const char *value)
{
	if (s2e_strv_add_dup(words, name))
		return -1;
	return value ? s2e_strv_add_dup(words, value) : 0;
}

static int opt_wordf(struct s2e_strv *words, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int opt_wordf(struct s2e_strv *words, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *value;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return s2e_error("out of memory");
	rc = opt_word(words, name, value);
	free(value);
	return rc;
}

static int seconds_word(struct s2e_strv *words, const char *name, double s)
{
	char buf[32];

	format_seconds(buf, sizeof(buf), s);
	return opt_word(words, name, buf);
}

int s2e_qemu_opts_words(const struct s2e_qemu_opts *o, struct s2e_strv *words)
{
	int rc = 0;

	rc |= o->build ? opt_word(words, "--build", o->build) : 0;
	rc |= o->qemu ? opt_word(words, "--qemu", o->qemu) : 0;
	rc |= o->stock ? opt_word(words, "--stock", NULL) : 0;
	rc |= o->accel ? opt_word(words, "--accel",
				  o->accel == S2E_QEMU_ACCEL_TCG ? "tcg" : "kvm")
		       : 0;
	rc |= o->smp ? opt_wordf(words, "--smp", "%u", o->smp) : 0;
	rc |= o->memory ? opt_word(words, "--memory", o->memory) : 0;
	rc |= o->net ? opt_word(words, "--network", net_names[o->net]) : 0;
	rc |= o->headless ? opt_word(words, "--headless", NULL) : 0;
	rc |= o->vnc_display >= 0 ? opt_wordf(words, "--vnc-display", "%d", o->vnc_display) : 0;
	rc |= o->monitor_port >= 0 ? opt_wordf(words, "--monitor-port", "%d", o->monitor_port)
				   : 0;
	rc |= o->gdb ? opt_word(words, "--gdb", NULL) : 0;
	rc |= o->strace ? opt_word(words, "--strace", NULL) : 0;
	rc |= o->config_file ? opt_word(words, "--config-file", o->config_file) : 0;
	rc |= o->expname ? opt_word(words, "--expname", o->expname) : 0;
	rc |= o->timeout > 0 ? seconds_word(words, "--timeout", o->timeout) : 0;
	rc |= o->kill_after > 0 ? seconds_word(words, "--kill-after", o->kill_after) : 0;
	for (size_t i = 0; i < o->extra.n; i++)
		rc |= opt_word(words, "--qemu-opt", o->extra.v[i]);
	return rc ? -1 : 0;
}

int s2e_qemu_check(const struct s2e_qemu_opts *o, const struct s2e_qemu_cmdline *cmd)
{
	struct stat st;
	char *p;

	if (stat(o->image, &st))
		return s2e_error_errno("disk image %s", s2e_q(o->image));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return s2e_error("disk image %s is not a file", s2e_q(o->image));
	if (o->snapshot) {
		char *snap = s2e_asprintf("%s.%s", o->image, o->snapshot);
		if (!snap)
			return -1;
		if (stat(snap, &st)) {
			s2e_error_errno("snapshot %s: no file %s", s2e_q(o->snapshot), s2e_q(snap));
			free(snap);
			return -1;
		}
		free(snap);
	}
	if (o->mode == S2E_QEMU_KVM && o->accel != S2E_QEMU_ACCEL_TCG &&
	    access("/dev/kvm", R_OK | W_OK))
		return s2e_error_errno("KVM is not available (use --accel=tcg for software "
				       "emulation): /dev/kvm");
	p = s2e_which(cmd->binary);
	if (!p)
		return s2e_error_prefix("QEMU binary");
	free(p);
	for (size_t i = 0; i < cmd->binary_index; i++) {
		const char *w = cmd->argv[i];
		if (strcmp(w, "timeout") && strcmp(w, "gdb") && strcmp(w, "strace"))
			continue;
		p = s2e_which(w);
		if (!p)
			return -1;
		free(p);
	}
	return 0;
}
