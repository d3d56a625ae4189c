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

int s2e_qemu_option(struct s2e_qemu_opts *o, int c, const char *arg)
{
	unsigned long mib;
	char *end;
	long smp;

	switch (c) {
	case 'b':
		if (s2e_qemu_build_parse(arg, NULL, NULL, NULL))
			return -1;
		o->build = arg;
		return 1;
	case S2E_QEMU_OPT_QEMU:
		if (!*arg)
			return s2e_error("--qemu needs the path of a QEMU binary");
		o->qemu = arg;
		return 1;
	case S2E_QEMU_OPT_STOCK:
		o->stock = 1;
		return 1;
	case S2E_QEMU_OPT_FORMAT:
		if (strcmp(arg, "raw") && strcmp(arg, "s2e"))
			return s2e_error("unknown format %s: expected s2e or raw", s2e_q(arg));
		o->stock = !strcmp(arg, "raw");
		return 1;
	case S2E_QEMU_OPT_ACCEL:
		return s2e_qemu_accel_parse(arg, &o->accel) ? -1 : 1;
	case S2E_QEMU_OPT_SMP:
		errno = 0;
		smp = strtol(arg, &end, 10);
		if (!isdigit((unsigned char)*arg) || *end || errno || smp < 1 || smp > 1024)
			return s2e_error("invalid CPU count %s: expected 1 to 1024", s2e_q(arg));
		o->smp = (unsigned)smp;
		return 1;
	case 'm':
		if (s2e_qemu_memory_parse(arg, &mib))
			return -1;
		o->memory = arg;
		return 1;
	case 'n':
		return s2e_qemu_net_parse(arg, &o->net) ? -1 : 1;
	case S2E_QEMU_OPT_HEADLESS:
		o->headless = 1;
		return 1;
	case S2E_QEMU_OPT_VNC:
		return s2e_qemu_display_parse(arg, &o->vnc_display) ? -1 : 1;
	case S2E_QEMU_OPT_MONITOR:
		return s2e_qemu_port_parse(arg, &o->monitor_port) ? -1 : 1;
	case 'q':
		o->extra[o->nextra++] = arg;
		return 1;
	case S2E_QEMU_OPT_GDB:
		o->gdb = 1;
		return 1;
	case S2E_QEMU_OPT_STRACE:
		o->strace = 1;
		return 1;
	case 'f':
		if (!*arg)
			return s2e_error("--config-file needs a path");
		o->config_file = arg;
		return 1;
	case S2E_QEMU_OPT_EXPNAME:
		if (s2e_expname_check(arg))
			return -1;
		o->expname = arg;
		return 1;
	case 't':
		return s2e_qemu_seconds_parse("timeout", arg, &o->timeout) ? -1 : 1;
	case S2E_QEMU_OPT_KILL_AFTER:
		return s2e_qemu_seconds_parse("--kill-after", arg, &o->kill_after) ? -1 : 1;
	}
	return 0;
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

int s2e_qemu_cmdline(const struct s2e_qemu_opts *o, struct s2e_qemu_cmdline *out)
{
	struct words w = {0};
	char *arch = NULL, *target = NULL, *bmode = NULL, *image = NULL, *config = NULL;
	const char *fmt;
	char buf[64];
	size_t bin_index;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!o->root || !o->image)
		return s2e_error("no S2EDIR or image given");
	if (o->mode > S2E_QEMU_SYM)
		return s2e_error("unknown mode");
	if (s2e_qemu_build_parse(o->build ? o->build : S2E_QEMU_DEFAULT_BUILD, &arch, &target,
				 &bmode))
		return -1;
	if (o->snapshot && s2e_snap_name_check(o->snapshot))
		goto out;
	if (s2e_qemu_opts_check(o))
		goto out;
	if (o->mode == S2E_QEMU_SYM && !ends_with(o->image, ".s2e")) {
		s2e_error("disk image %s does not end in .s2e: S2E refuses any other name in sym "
			  "mode, to protect the image (rename it to end in .s2e)",
			  s2e_q(o->image));
		goto out;
	}
	image = absolute(o->image);
	if (!image)
		goto out;

	if (o->timeout > 0) {
		char t[32], k[32];
		format_seconds(t, sizeof(t), o->timeout);
		format_seconds(k, sizeof(k), o->kill_after > 0 ? o->kill_after : 10);
		add(&w, "timeout");
		add(&w, "--foreground");
		add(&w, "-s");
		add(&w, "INT");
		add(&w, "-k");
		add(&w, k);
		add(&w, t);
	}
	if (o->gdb) {
		add(&w, "gdb");
		add(&w, "--args");
	}
	if (o->strace) {
		add(&w, "strace");
		add(&w, "-f");
	}
	bin_index = w.n;
	if (o->qemu)
		add(&w, o->qemu);
	else if (o->stock)
		addf(&w, "qemu-system-%s", arch);
	else
		addf(&w, "%s/build/%s-%s-%s/qemu/%s-%ssoftmmu/qemu-system-%s", o->root, arch,
		     target, bmode, arch, o->mode == S2E_QEMU_SYM ? "s2e-" : "", arch);

	add(&w, "-drive");
	if (o->mode == S2E_QEMU_KVM) {
		addf(&w, "file=%s,cache=writeback,if=virtio,format=raw", image);
	} else {
		fmt = o->stock ? "raw" : "s2e";
		addf(&w, "file=%s,cache=writeback,format=%s", image, fmt);
	}
	if (o->mode == S2E_QEMU_KVM) {
		long cpus = o->smp ? (long)o->smp : sysconf(_SC_NPROCESSORS_ONLN);
		if (o->accel == S2E_QEMU_ACCEL_TCG) {
			add(&w, "-accel");
			add(&w, "tcg");
		} else {
			add(&w, "-enable-kvm");
		}
		add(&w, "-smp");
		addf(&w, "%ld", cpus > 0 ? cpus : 1);
	} else {
		add(&w, "-cpu");
		add(&w, "pentium");
	}
	if (o->memory) {
		unsigned long mib;
		if (s2e_qemu_memory_parse(o->memory, &mib))
			goto out;
		add(&w, "-m");
		addf(&w, "%lu", mib);
	}
	switch (o->net) {
	case S2E_QEMU_NET_NONE:
		add(&w, "-net");
		add(&w, "none");
		break;
	case S2E_QEMU_NET_DEFAULT:
	case S2E_QEMU_NET_USER:
	case S2E_QEMU_NET_TAP:
		add(&w, "-net");
		add(&w, o->mode == S2E_QEMU_KVM ? "nic,model=virtio" : "nic,model=pcnet");
		add(&w, "-net");
		add(&w, o->net == S2E_QEMU_NET_TAP ? "tap" : "user");
		break;
	}
	if (o->snapshot) {
		add(&w, "-loadvm");
		add(&w, o->snapshot);
	}
	if (o->headless || o->vnc_display >= 0) {
		add(&w, "-vnc");
		addf(&w, ":%d",
		     o->vnc_display >= 0 ? o->vnc_display : S2E_QEMU_DEFAULT_VNC_DISPLAY);
	}
	if (o->headless || o->monitor_port >= 0) {
		add(&w, "-monitor");
		addf(&w, "tcp:127.0.0.1:%d,server=on,wait=off",
		     o->monitor_port >= 0 ? o->monitor_port : S2E_QEMU_DEFAULT_MONITOR_PORT);
	}
	if (o->mode == S2E_QEMU_SYM) {
		if (o->expname) {
			if (s2e_expname_check(o->expname))
				goto out;
			out->expname = s2e_strdup(o->expname);
		} else {
			s2e_expname_auto(buf, sizeof(buf));
			out->expname = s2e_strdup(buf);
		}
		config = o->config_file ? absolute(o->config_file)
					: s2e_path_join(o->root, S2E_QEMU_DEFAULT_CONFIG);
		out->output_dir =
		    s2e_asprintf("%s/expdata/%s", o->root, out->expname ? out->expname : "");
		if (!out->expname || !config || !out->output_dir)
			goto out;
		add(&w, "-s2e-config-file");
		add(&w, config);
		add(&w, "-s2e-verbose");
		add(&w, "-s2e-output-dir");
		add(&w, out->output_dir);
	}
	for (size_t i = 0; i < o->nextra; i++)
		add(&w, o->extra[i]);
	if (w.oom) {
		s2e_error("out of memory");
		goto out;
	}
	out->binary = s2e_strdup(w.v[bin_index]);
	if (!out->binary)
		goto out;
	out->binary_index = bin_index;
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
	free(config);
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
	memset(cmd, 0, sizeof(*cmd));
}

char *s2e_which(const char *name)
{
	const char *path, *p;

	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st)) {
			s2e_error_errno("cannot run %s", s2e_q(name));
			return NULL;
		}
		if (!S_ISREG(st.st_mode) || access(name, X_OK)) {
			s2e_error("cannot run %s: not an executable file", s2e_q(name));
			return NULL;
		}
		return s2e_strdup(name);
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;;) {
		size_t len = strcspn(p, ":");
		char *cand = s2e_asprintf("%.*s/%s", (int)len, len ? p : ".", name);
		struct stat st;
		if (!cand)
			return NULL;
		if (!stat(cand, &st) && S_ISREG(st.st_mode) && !access(cand, X_OK))
			return cand;
		free(cand);
		p += len;
		if (!*p)
			break;
		p++;
	}
	s2e_error("cannot run %s: not found in PATH", s2e_q(name));
	return NULL;
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
