/* The command-line layer: see include/s2e/parse-options.h for the rules.
 * Parsing never prints; s2e_parse_options_exit() and s2e_usage_fail() write only to the
 * streams they are given. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "s2e/error.h"
#include "s2e/parse-options.h"

struct parser {
	const struct s2e_command *cmd;
	int argc, i;
	char **argv;
	const char *opt_word; /* the option as typed, for messages */
};

static int is_value_type(const struct s2e_option *o)
{
	if (o->type == S2E_OPTION_STRING)
		return 1;
	return o->type == S2E_OPTION_CALLBACK && !(o->flags & S2E_OPT_NOARG);
}

/* The option as the user would name it: "--long" or "-s". */
static const char *optname(const struct s2e_option *o, char buf[4])
{
	if (o->long_name)
		return o->long_name;
	buf[0] = '-';
	buf[1] = (char)o->short_name;
	buf[2] = '\0';
	return buf;
}

static int apply(struct parser *p, const struct s2e_option *o, const char *value)
{
	char buf[4];

	switch (o->type) {
	case S2E_OPTION_BOOL:
		*(int *)o->value = 1;
		return 0;
	case S2E_OPTION_COUNT:
		(*(int *)o->value)++;
		return 0;
	case S2E_OPTION_SET_INT:
		*(int *)o->value = (int)o->defval;
		return 0;
	case S2E_OPTION_STRING:
		*(const char **)o->value = value;
		return 0;
	case S2E_OPTION_CALLBACK:
		if (!o->callback(o, value))
			return 0;
		if (o->long_name)
			return s2e_error_prefix("--%s", optname(o, buf));
		return s2e_error_prefix("%s", optname(o, buf));
	default:
		(void)p;
		return s2e_error("internal error: bad option table");
	}
}

/* The value that follows an option needing one: attached, or the next word. */
static int take_value(struct parser *p, const struct s2e_option *o, const char *attached,
		      const char **value)
{
	char buf[4];

	if (attached) {
		*value = attached;
		return 0;
	}
	if (o->flags & S2E_OPT_OPTARG) {
		*value = NULL;
		return 0;
	}
	if (p->i + 1 >= p->argc) {
		if (o->long_name)
			return s2e_error("option --%s needs a value (%s)", o->long_name, o->argh);
		return s2e_error("option %s needs a value (%s)", optname(o, buf), o->argh);
	}
	*value = p->argv[++p->i];
	return 0;
}

static const struct s2e_option *find_long(const struct s2e_option *opts, const char *name,
					  size_t len)
{
	const struct s2e_option *found = NULL;
	int ambiguous = 0;

	for (const struct s2e_option *o = opts; o->type != S2E_OPTION_END; o++) {
		if (!o->long_name || strncmp(o->long_name, name, len))
			continue;
		if (strlen(o->long_name) == len)
			return o; /* exact */
		if (found)
			ambiguous = 1;
		found = o;
	}
	if (ambiguous) {
		s2e_error("option --%.*s is ambiguous", (int)len, name);
		return NULL;
	}
	if (!found)
		s2e_error("unknown option --%.*s", (int)len, name);
	return found;
}

static int parse_long(struct parser *p, const char *arg)
{
	const char *eq = strchr(arg, '='), *value = NULL;
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct s2e_option *o = find_long(p->cmd->options, arg, len);

	if (!o)
		return -1;
	if (!is_value_type(o)) {
		if (eq)
			return s2e_error("option --%s takes no value", o->long_name);
		return apply(p, o, NULL);
	}
	if (take_value(p, o, eq ? eq + 1 : NULL, &value))
		return -1;
	return apply(p, o, value);
}

static const struct s2e_option *find_short(const struct s2e_option *opts, int c)
{
	for (const struct s2e_option *o = opts; o->type != S2E_OPTION_END; o++)
		if (o->short_name == c)
			return o;
	s2e_error("unknown option -%c", c);
	return NULL;
}

/* A bundle of short options: "-yf", "-j4", "-oFILE". */
static int parse_short(struct parser *p, const char *arg)
{
	for (const char *s = arg; *s; s++) {
		const struct s2e_option *o = find_short(p->cmd->options, (unsigned char)*s);
		const char *value = NULL;

		if (!o)
			return -1;
		if (!is_value_type(o)) {
			if (apply(p, o, NULL))
				return -1;
			continue;
		}
		if (take_value(p, o, s[1] ? s + 1 : NULL, &value))
			return -1;
		return apply(p, o, value);
	}
	return 0;
}

/* "-1" is a (negative) operand unless the table has a -1 option, so that a
 * bad size or number is reported as such rather than as an unknown option. */
static int is_negative_number(const struct s2e_option *opts, const char *arg)
{
	if (arg[0] != '-' || arg[1] < '0' || arg[1] > '9')
		return 0;
	for (const struct s2e_option *o = opts; o->type != S2E_OPTION_END; o++)
		if (o->short_name == arg[1])
			return 0;
	return 1;
}

static int is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int s2e_parse_options(const struct s2e_command *cmd, int argc, char **argv, int flags)
{
	struct parser p = {cmd, argc, 1, argv, NULL};
	int nops = 0, rc;

	for (; p.i < argc; p.i++) {
		const char *arg = argv[p.i];

		if (!strcmp(arg, "--")) {
			if (flags & S2E_PARSE_KEEP_DASHDASH)
				argv[nops++] = argv[p.i];
			while (++p.i < argc)
				argv[nops++] = argv[p.i];
			break;
		}
		if (arg[0] != '-' || !arg[1] || is_negative_number(cmd->options, arg)) {
			argv[nops++] = argv[p.i];
			if (flags & S2E_PARSE_STOP_AT_OPERAND) {
				while (++p.i < argc)
					argv[nops++] = argv[p.i];
				break;
			}
			continue;
		}
		if (is_help(arg))
			return S2E_PARSE_HELP;
		if (!strcmp(arg, S2E_COMPLETION_HELPER))
			return S2E_PARSE_COMPLETION;
		rc = arg[1] == '-' ? parse_long(&p, arg + 2) : parse_short(&p, arg + 1);
		if (rc)
			return S2E_PARSE_ERROR;
	}
	argv[nops] = NULL;
	if (cmd->operands &&
	    (nops < cmd->min_operands || (cmd->max_operands >= 0 && nops > cmd->max_operands))) {
		s2e_error("%s", cmd->operands);
		return S2E_PARSE_ERROR;
	}
	return nops;
}

/* "  -f, --force          help" with the help column at 26, as git does. */
static void write_option(FILE *out, const struct s2e_option *o)
{
	int n = fprintf(out, "    ");

	if (o->short_name)
		n += fprintf(out, "-%c%s", o->short_name, o->long_name ? ", " : "");
	if (o->long_name)
		n += fprintf(out, "--%s", o->long_name);
	if (o->argh && (o->type == S2E_OPTION_STRING || o->type == S2E_OPTION_CALLBACK) &&
	    !(o->flags & S2E_OPT_NOARG)) {
		if (o->flags & S2E_OPT_OPTARG)
			n += fprintf(out, o->long_name ? "[=%s]" : "[%s]", o->argh);
		else
			n += fprintf(out, o->long_name ? " %s" : " %s", o->argh);
	}
	if (n >= 26) {
		fputc('\n', out);
		n = 0;
	}
	fprintf(out, "%*s%s\n", 26 - n, "", o->help ? o->help : "");
}

void s2e_usage_write(FILE *out, const struct s2e_command *cmd)
{
	const char *const *u = cmd->usage;
	const char *lead = "usage: ";

	for (; *u; u++, lead = "   or: ")
		fprintf(out, "%s%s\n", lead, *u);
	/* The description: lines as given, "" for a blank line. */
	if (u[1])
		fputc('\n', out);
	for (u++; *u; u++)
		fprintf(out, "%s\n", *u);
	fputc('\n', out);
	for (const struct s2e_option *o = cmd->options; o->type != S2E_OPTION_END; o++) {
		if (o->type == S2E_OPTION_GROUP) {
			fprintf(out, "\n%s\n", o->help);
			continue;
		}
		if (!(o->flags & S2E_OPT_HIDDEN))
			write_option(out, o);
	}
	fprintf(out, "    -h, --help            show this help\n");
}

/* Whether option word `w` ("--again", "-j") takes the next word as its value;
 * one the table lacks (another table's: "--batch FILE") when that word is
 * a value's name in capitals. */
static int takes_next(const struct s2e_option *opts, const char *w, size_t len)
{
	const char *next = w + len + (w[len] == ' ');

	for (const struct s2e_option *o = opts; o->type != S2E_OPTION_END; o++) {
		int match = w[1] == '-' ? o->long_name && strlen(o->long_name) == len - 2 &&
					      !strncmp(o->long_name, w + 2, len - 2)
					: len == 2 && o->short_name == w[1];
		if (match)
			return is_value_type(o) && !(o->flags & S2E_OPT_OPTARG);
	}
	return *next >= 'A' && *next <= 'Z';
}

/* The operands of one usage line (the command name dropped), as "operand K
 * WORD" lines: option words and their values, "[OPTIONS]" and bracketed
 * options ("[-f]", "[--json | --short]", "[-- QEMU-ARG...]") are skipped,
 * brackets dropped ("[NAME[:SNAP]" is NAME:SNAP); "NAME..." keeps its dots. */
static void write_operands(FILE *out, const struct s2e_command *cmd, const char *line)
{
	int k = 0, in_option = 0, skip_value = 0;

	for (const char *t = line; *t;) {
		size_t len = strcspn(t, " ");
		int closes =
		    (len && t[len - 1] == ']') || (len > 3 && !strncmp(t + len - 4, "]...", 4));

		if (!len) {
			t++;
			continue;
		}
		if (in_option || skip_value) {
			in_option = in_option && !closes;
			skip_value = 0;
		} else if (!strncmp(t, "[-", 2)) {
			in_option = !closes;
		} else if (t[0] == '-') {
			skip_value = takes_next(cmd->options, t, len);
		} else if (!(len > 8 && !strncmp(t + len - 8, "OPTIONS]", 8))) {
			fprintf(out, "operand %d ", k++);
			for (size_t i = 0; i < len; i++)
				if (t[i] != '[' && t[i] != ']')
					fputc(t[i], out);
			fputc('\n', out);
		}
		t += len;
	}
}

/* The completion helper's lines: see S2E_COMPLETION_HELPER. */
static void write_completion(FILE *out, const struct s2e_command *cmd)
{
	size_t skip = strlen(cmd->name);

	for (const struct s2e_option *o = cmd->options; o->type != S2E_OPTION_END; o++) {
		const char *argh = is_value_type(o) ? (o->argh ? o->argh : "VALUE") : NULL;
		int optarg = argh && (o->flags & S2E_OPT_OPTARG);

		if (o->type == S2E_OPTION_WORDS)
			fprintf(out, "words %s %s\n", o->argh, o->help);
		if (o->type == S2E_OPTION_GROUP || (o->flags & S2E_OPT_HIDDEN))
			continue;
		if (o->short_name && !optarg)
			fprintf(out, "option -%c%s%s\n", o->short_name, argh ? " " : "",
				argh ? argh : "");
		if (o->long_name)
			fprintf(out, "option --%s%s%s%s\n", o->long_name, optarg ? "=" : "",
				argh ? " " : "", argh ? argh : "");
	}
	fprintf(out, "option -h\noption --help\n");
	for (const char *const *u = cmd->usage; *u; u++)
		write_operands(out, cmd, strncmp(*u, cmd->name, skip) ? *u : *u + skip);
}

static void write_synopsis(FILE *err, const struct s2e_command *cmd)
{
	const char *lead = "usage: ";

	for (const char *const *u = cmd->usage; *u; u++, lead = "   or: ")
		fprintf(err, "%s%s\n", lead, *u);
	fprintf(err, "See '%s --help'.\n", cmd->name);
}

int s2e_parse_options_exit(const struct s2e_command *cmd, int code, FILE *out, FILE *err)
{
	if (code == S2E_PARSE_HELP) {
		s2e_usage_write(out, cmd);
		return 0;
	}
	if (code == S2E_PARSE_COMPLETION) {
		write_completion(out, cmd);
		return 0;
	}
	fprintf(err, "%s: %s\n", cmd->name, s2e_error_last());
	write_synopsis(err, cmd);
	return 2;
}

int s2e_usage_fail(const struct s2e_command *cmd, FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	write_synopsis(err, cmd);
	return 2;
}

/* Value parsers. */

static int parse_uint(const char *text, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	errno = 0;
	if (*text < '0' || *text > '9')
		return -1;
	*out = strtoul(text, &end, 10);
	return (*end || errno || *out < lo || *out > hi) ? -1 : 0;
}

int s2e_opt_jobs(const struct s2e_option *opt, const char *value)
{
	unsigned long n;

	if (parse_uint(value, 1, 1024, &n))
		return s2e_error("invalid job count '%s': expected 1 to 1024", value);
	*(unsigned *)opt->value = (unsigned)n;
	return 0;
}

int s2e_opt_fd(const struct s2e_option *opt, const char *value)
{
	unsigned long n;

	if (parse_uint(value, 0, 1 << 20, &n))
		return s2e_error("invalid file descriptor '%s'", value);
	*(int *)opt->value = (int)n;
	return 0;
}

int s2e_opt_progress(const struct s2e_option *opt, const char *value)
{
	if (!value) {
		*(int *)opt->value = S2E_PROGRESS_BAR;
		return 0;
	}
	return s2e_opt_fd(opt, value);
}

int s2e_opt_string_list(const struct s2e_option *opt, const char *value)
{
	return s2e_strv_add(opt->value, value);
}
