/* Files in git-config syntax (`git config -f FILE --list` reads them): the
 * VM metadata vm.config, the package manifest s2e-package.conf, experiment
 * records.  One reader, one writer, one quoting rule.
 *
 * A parsed file is an ordered list of entries, in file order.  An entry is
 * (section, subsection, key, value); a section header with no keys after it
 * is kept as an entry whose key is NULL, so that `[snapshot "x"]` alone still
 * names snapshot x.  Section and key names compare case-insensitively (as in
 * git) and keep the case they were written in; subsections are exact.  A key
 * written without `= value` has value NULL (git's boolean true).
 *
 * The reader treats its input as untrusted and accepts a strict subset of
 * git's syntax, so that nothing it accepts means something else to git or
 * libgit2:
 *   - `[name]` or `[name "sub"]`, name of ASCII letters, digits and '-', then
 *     only blanks or a comment up to the end of the line;
 *   - `key = value` or `key`, key a letter then letters, digits and '-';
 *     value with git's quoting (`"…"`, escapes \\ \" \n \t \b), comments
 *     after `#` or `;` outside quotes, no line continuation;
 *   - no section called include or includeIf (in any case), anywhere;
 *   - no NUL or control characters other than tab in the text (CR only as
 *     part of a CRLF line end); lines up to S2E_CONFIG_LINE_MAX bytes and
 *     files up to the bound given.
 * Errors name the file and the line: "vm.config line 3: …".
 *
 * The writer quotes a value when git would otherwise change it (empty,
 * leading or trailing blanks, `#`, `;`) and always escapes \ " newline, tab
 * and backspace, so `git config --list` reads back exactly the value
 * written.  Other control characters cannot be written in git-config syntax
 * and are refused; so are newlines and control characters in subsections,
 * and names that are not valid section or key names. */
#ifndef S2E_CONFIG_H
#define S2E_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define S2E_CONFIG_LINE_MAX (64 * 1024)
#define S2E_CONFIG_FILE_MAX (16 * 1024 * 1024)

struct s2e_config_entry {
	char *section;
	char *subsection; /* NULL: none */
	char *key;	  /* NULL: a section header with no key (yet) */
	char *value;	  /* NULL: a key without '=' */
	int line;	  /* 0 for entries not read from a file */
};

struct s2e_config {
	struct s2e_config_entry *entries;
	size_t n, cap;
};

/* Parse text (not NUL-terminated, may hold anything) into cfg, which is
 * initialised here.  what names the text in messages.  max: 0 means
 * S2E_CONFIG_FILE_MAX. */
int s2e_config_parse(const char *text, size_t len, const char *what, size_t max,
		     struct s2e_config *cfg);
/* Read and parse a file; a missing file is not an error: cfg is left empty
 * and 1 is returned. */
int s2e_config_read_file(const char *path, struct s2e_config *cfg);
void s2e_config_free(struct s2e_config *cfg);

/* Append an entry (copies of the strings).  key NULL adds a bare header. */
int s2e_config_add(struct s2e_config *cfg, const char *section, const char *subsection,
		   const char *key, const char *value);
/* Does entry e belong to [section "subsection"] (subsection NULL: none)? */
int s2e_config_in(const struct s2e_config_entry *e, const char *section,
		  const char *subsection);
/* The last value of section[.subsection].key, NULL when absent or a bare key. */
const char *s2e_config_get(const struct s2e_config *cfg, const char *section,
			   const char *subsection, const char *key);
/* The distinct subsections of section, in the order they first appear. */
int s2e_config_subsections_of(const struct s2e_config *cfg, const char *section, char ***subs,
			      size_t *n);

/* A value that must be a decimal number of 0..INT64_MAX (sizes): digits
 * only, no sign, blanks or suffix.  -1 (no message) when it is not. */
int s2e_config_u64(const char *value, uint64_t *out);

/* Writing.  Each returns -1 with the error set when the name or value cannot
 * be written (see above); the stream is then left partly written. */
int s2e_config_put_section(FILE *out, const char *section, const char *subsection);
int s2e_config_put(FILE *out, const char *key, const char *value);
/* The whole config, a header line each time the section changes. */
int s2e_config_write(FILE *out, const struct s2e_config *cfg);
/* Is value writable (no control characters other than newline, tab, BS)? */
int s2e_config_value_ok(const char *value);

/* Text made by put(f, arg) on a memory stream: malloc'd, its length in
 * *len; NULL with the error set when put fails or memory runs out. */
char *s2e_config_text(int (*put)(FILE *f, const void *arg), const void *arg, size_t *len);

#endif
