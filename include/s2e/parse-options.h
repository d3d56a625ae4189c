/* The command-line layer shared by every plumbing binary and porcelain
 * command, on the model of git's parse-options: one table per command drives
 * both the parsing and the help text, so they cannot drift apart.
 *
 *   static const char *const usage[] = {
 *           "s2e vm create [-f] NAME [SIZE]",
 *           NULL, // then optional description lines
 *           "Create VM NAME with an empty sparse raw disk image.",
 *           NULL,
 *   };
 *   struct s2e_option options[] = {
 *           OPT_BOOL('f', "force", &force, "replace an existing VM"),
 *           OPT_S2EDIR(&s2edir),
 *           OPT_END(),
 *   };
 *   struct s2e_command cmd = {"s2e vm create", usage, options};
 *   argc = s2e_parse_options(&cmd, argc, argv, 0);
 *   if (argc < 0)
 *           return s2e_parse_options_exit(&cmd, argc);
 *
 * Rules (the same everywhere):
 *   - options may come before or after operands; `--` ends the options;
 *     a lone `-` is an operand (standard input or output);
 *   - short options bundle (`-yf`, `-j4`, `-j 4`); long ones take `--x=V` or
 *     `--x V`; an optional value (`--progress[=FD]`) only with `=`;
 *   - a long option may be abbreviated to any unique prefix;
 *   - `-h` and `--help` print the help on stdout and exit 0; every other
 *     mistake, a bad option value included, prints "PROG: reason" and the
 *     usage lines on stderr and exits 2.
 *
 * Operands are returned in argv[0..argc) in their order; the option words
 * are removed.  With S2E_PARSE_STOP_AT_OPERAND (dispatchers such as `s2e` and
 * `s2e vm`) parsing stops at the first operand, which stays argv[0], so that
 * the sub-command sees its own options. */
#ifndef S2E_PARSE_OPTIONS_H
#define S2E_PARSE_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "s2e/strv.h"

enum s2e_option_type {
	S2E_OPTION_END,
	S2E_OPTION_GROUP,     /* a heading in the help, no option */
	S2E_OPTION_BOOL,      /* int *: set to 1 */
	S2E_OPTION_COUNT,     /* int *: incremented (-v -v) */
	S2E_OPTION_SET_INT,   /* int *: set to defval */
	S2E_OPTION_STRING,    /* const char **: the value as typed */
	S2E_OPTION_CALLBACK,  /* callback(opt, value, ...) */
	S2E_OPTION_WORDS,     /* no option: the words an operand may be, for completion */
};

enum {
	S2E_OPT_OPTARG = 1 << 0, /* the value is optional (long: only as --x=V) */
	S2E_OPT_HIDDEN = 1 << 1, /* not shown by --help */
	S2E_OPT_NOARG = 1 << 2,	 /* a callback that takes no value */
};

struct s2e_option;
/* Return 0, or -1 with the error set (a usage error: exit 2).  value is
 * NULL for S2E_OPT_NOARG callbacks and for an absent optional value. */
typedef int (*s2e_option_cb)(const struct s2e_option *opt, const char *value);

struct s2e_option {
	enum s2e_option_type type;
	int short_name;	       /* 0: none */
	const char *long_name; /* NULL: none */
	void *value;
	const char *argh; /* the value's name in the help ("DIR"), NULL: no value */
	const char *help;
	int flags;
	s2e_option_cb callback;
	intptr_t defval;
};

#define OPT_END() {S2E_OPTION_END, 0, NULL, NULL, NULL, NULL, 0, NULL, 0}
#define OPT_GROUP(h) {S2E_OPTION_GROUP, 0, NULL, NULL, NULL, (h), 0, NULL, 0}
#define OPT_BOOL(s, l, v, h) {S2E_OPTION_BOOL, (s), (l), (v), NULL, (h), 0, NULL, 0}
#define OPT_COUNT(s, l, v, h) {S2E_OPTION_COUNT, (s), (l), (v), NULL, (h), 0, NULL, 0}
#define OPT_SET_INT(s, l, v, h, i) {S2E_OPTION_SET_INT, (s), (l), (v), NULL, (h), 0, NULL, (i)}
#define OPT_STRING(s, l, v, a, h) {S2E_OPTION_STRING, (s), (l), (v), (a), (h), 0, NULL, 0}
#define OPT_CALLBACK(s, l, v, a, h, cb) {S2E_OPTION_CALLBACK, (s), (l), (v), (a), (h), 0, (cb), 0}
#define OPT_CALLBACK_F(s, l, v, a, h, f, cb)                                                      \
	{S2E_OPTION_CALLBACK, (s), (l), (v), (a), (h), (f), (cb), 0}
#define OPT_HIDDEN_BOOL(s, l, v) {S2E_OPTION_BOOL, (s), (l), (v), NULL, NULL, S2E_OPT_HIDDEN, NULL, 0}
/* Operand NAME of the usage is one of WORDS ("kvm|prep|sym"): for shell
 * completion only, neither parsed nor shown by --help. */
#define OPT_OPERAND_WORDS(name, words)                                                            \
	{S2E_OPTION_WORDS, 0, NULL, NULL, (name), (words), S2E_OPT_HIDDEN, NULL, 0}
#define OPT_VERBOSE(v) OPT_COUNT('v', "verbose", (v), "say more about what is done")

/* Common value parsers, for OPT_CALLBACK tables: */
int s2e_opt_jobs(const struct s2e_option *opt, const char *value);	  /* unsigned * 1..1024 */
int s2e_opt_fd(const struct s2e_option *opt, const char *value);	  /* int *, >= 0 */
int s2e_opt_string_list(const struct s2e_option *opt, const char *value); /* struct s2e_strv *, repeatable */

/* -j/--jobs N, in one spelling for every binary; the _DEFAULT form names a
 * default other than all cores (a string literal). */
#define OPT_JOBS_DEFAULT(v, dflt)                                                                  \
	OPT_CALLBACK('j', "jobs", (v), "N", "use N threads (default: " dflt ")", s2e_opt_jobs)
#define OPT_JOBS(v) OPT_JOBS_DEFAULT(v, "all cores")
/* --progress[=FD]: a progress bar on stderr, or progress records on FD. */
#define OPT_PROGRESS(v)                                                                            \
	OPT_CALLBACK_F(0, "progress", (v), "FD",                                                  \
		       "show a progress bar (or write progress records to FD)", S2E_OPT_OPTARG,   \
		       s2e_opt_progress)
int s2e_opt_progress(const struct s2e_option *opt, const char *value); /* int *: -1 none, -2 bar */
#define S2E_PROGRESS_NONE -1
#define S2E_PROGRESS_BAR  -2
/* --status-fd FD: machine-readable status lines on FD. */
#define OPT_STATUS_FD(v)                                                                           \
	OPT_CALLBACK(0, "status-fd", (v), "FD", "write status records to FD", s2e_opt_fd)

/* One command: its full name as errors show it ("s2e vm create"), its usage
 * (synopsis lines, then NULL, then optional description lines, then NULL),
 * its option table, and what operands it takes. */
struct s2e_command {
	const char *name;
	const char *const *usage;
	const struct s2e_option *options;
	/* When set, the operand count must be within [min_operands,
	 * max_operands] (max < 0: no limit), else a usage error saying this. */
	const char *operands;
	int min_operands, max_operands;
};

enum {
	S2E_PARSE_STOP_AT_OPERAND = 1 << 0,
	S2E_PARSE_KEEP_DASHDASH = 1 << 1, /* leave `--` among the operands */
};

/* Returned instead of an operand count: */
#define S2E_PARSE_HELP	(-1) /* -h or --help was given */
#define S2E_PARSE_ERROR (-2) /* a usage error; s2e_error_last() says which */
#define S2E_PARSE_COMPLETION (-3) /* --s2e-completion-helper was given */

/* The hidden option every table accepts without listing it: given anywhere
 * (before `--`), s2e_parse_options() returns S2E_PARSE_COMPLETION and
 * s2e_parse_options_exit() prints on `out` what shell completion needs,
 * one item a line (contrib/completion/ reads it; keep it stable):
 *   option WORD [ARGH]   -x or --long; ARGH: it takes a value (ARGH as in
 *                        the help, e.g. DIR, kvm|tcg)
 *   option --long= ARGH  a long option whose value is optional (only --x=V)
 *   operand K WORD       WORD is operand K (from 0) of a usage line:
 *                        NAME, NAME:SNAP, FILE|-, NAME... (repeatable)
 *   words NAME CHOICES   operand NAME of the usage is one of CHOICES (a|b|c),
 *                        from OPT_OPERAND_WORDS
 * The dispatchers (`s2e`, `s2e vm`, ...) add "command NAME" lines. */
#define S2E_COMPLETION_HELPER "--s2e-completion-helper"

/* Parse argv[1..argc) (argv[0] is the command word and is dropped).  Returns
 * the operand count, with the operands moved to argv[0..), or one of the
 * codes above.  Never prints. */
int s2e_parse_options(const struct s2e_command *cmd, int argc, char **argv, int flags);

/* The help (--help) as text: synopsis, description, options. */
void s2e_usage_write(FILE *out, const struct s2e_command *cmd);
/* Finish a command after a usage problem: for S2E_PARSE_HELP the help on
 * `out`, exit code 0; otherwise "NAME: reason" and the synopsis on `err`,
 * exit code 2.  Use it for operand-count mistakes too:
 *   return s2e_usage_fail(&cmd, stderr, "'vm create' takes a NAME");  */
int s2e_parse_options_exit(const struct s2e_command *cmd, int code, FILE *out, FILE *err);
int s2e_usage_fail(const struct s2e_command *cmd, FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
