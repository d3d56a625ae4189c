/* Unit tests for the git-config module: what the reader refuses (issue 11
 * item 2 among it), file order, and that `git config -f FILE --list` reads
 * back exactly what the writer wrote, whatever the value holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "s2e/config.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/manifest.h"
#include "s2e/meta.h"

static char dir[] = "/tmp/s2e-test-config.XXXXXX";

static int parse(const char *text, struct s2e_config *cfg)
{
	return s2e_config_parse(text, strlen(text), "f.conf", 0, cfg);
}

static void refuses(const char *text, const char *why)
{
	struct s2e_config cfg;

	s2e_error_clear();
	if (parse(text, &cfg) != -1) {
		s2e_config_free(&cfg);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(s2e_error_last(), why))
		fail_msg("%s: message %s lacks %s", text, s2e_error_last(), why);
}

/* Issue 11 item 2: text after ']' hid an include from the old parser. */
static void include_ban_not_bypassed(void **state)
{
	(void)state;
	refuses("[x] [include]\n\tpath = /etc/passwd\n", "line 1: text after the section header");
	refuses("[x][include]\n\tpath = /etc/passwd\n", "line 1: text after the section header");
	refuses("[x \"y\"][include]\n", "line 1: text after the section header");
	refuses("[x]garbage\n", "line 1: text after the section header");
	refuses("[include]\npath=/x\n", "line 1: include sections are not allowed");
	refuses("[a]\n[InClUdE]\npath=/x\n", "line 2: include sections are not allowed");
	refuses("[includeIf \"gitdir:/\"]\npath=/x\n", "include sections are not allowed");
	refuses("[INCLUDEIF \"onbranch:x\"]\npath=/x\n", "include sections are not allowed");
	refuses("[package]\nversion=1\n[x] [include]\npath=/etc/passwd\n", "line 3");
}

static void malformed(void **state)
{
	struct s2e_config cfg;
	char *big;

	(void)state;
	refuses("key = 1\n", "line 1: key before any section");
	refuses("[a\nk=1\n", "line 1: malformed section header");
	refuses("[a.b]\n", "malformed section header");
	refuses("[]\n", "malformed section header");
	refuses("[a \"x]\n", "malformed subsection");
	refuses("[a \"x\" ]\n", "malformed section header");
	refuses("[a \"x\\q\"]\n", "malformed subsection");
	refuses("[a]\n1k = v\n", "line 2: invalid key");
	refuses("[a]\nk.x = v\n", "invalid key");
	refuses("[a]\nk v\n", "expected '='");
	refuses("[a]\nk = \"open\n", "line 2: unterminated quote");
	refuses("[a]\nk = a\\\n b\n", "line continuations");
	refuses("[a]\nk = \\q\n", "unknown escape");
	refuses("[a]\nk = a\033[2Jb\n", "line 2: control character");
	refuses("[a]\nk = a\rb\n", "control character");
	assert_int_equal(s2e_config_parse("[a]\nk=\0", 7, "f.conf", 0, &cfg), -1);
	assert_non_null(strstr(s2e_error_last(), "NUL"));
	assert_int_equal(s2e_config_parse("[a]\n", 4, "f.conf", 3, &cfg), -1);
	assert_non_null(strstr(s2e_error_last(), "too large"));
	big = malloc(S2E_CONFIG_LINE_MAX + 16);
	strcpy(big, "[a]\nk = ");
	memset(big + 8, 'x', S2E_CONFIG_LINE_MAX);
	big[S2E_CONFIG_LINE_MAX + 8] = '\0';
	refuses(big, "line 2: line too long");
	free(big);
}

static void entries_in_order(void **state)
{
	const char *text = "# c\n[vm]\r\n\tsize = 1 ; c\n\tBare\n[snapshot \"b \\\"q\\\"\"]\n"
			   "\ttaken = \" x \" y\n[Other]\n[snapshot \"a\"]\nk=\"#\"\\t\\n\n";
	struct s2e_config cfg;
	char **subs;
	size_t n;

	(void)state;
	assert_int_equal(parse(text, &cfg), 0);
	assert_int_equal(cfg.n, 8);
	assert_string_equal(cfg.entries[1].key, "size");
	assert_string_equal(cfg.entries[1].value, "1");
	assert_int_equal(cfg.entries[1].line, 3);
	assert_string_equal(cfg.entries[2].key, "Bare");
	assert_null(cfg.entries[2].value);
	assert_string_equal(cfg.entries[3].subsection, "b \"q\"");
	assert_null(cfg.entries[3].key);
	assert_string_equal(cfg.entries[4].value, " x  y");
	assert_string_equal(cfg.entries[7].value, "#\t\n");
	assert_string_equal(s2e_config_get(&cfg, "VM", NULL, "SIZE"), "1");
	assert_null(s2e_config_get(&cfg, "vm", NULL, "bare"));
	assert_int_equal(s2e_config_subsections_of(&cfg, "snapshot", &subs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(subs[0], "b \"q\"");
	assert_string_equal(subs[1], "a");
	free(subs[0]);
	free(subs[1]);
	free(subs);
	s2e_config_free(&cfg);
}

/* Each value is written, then read back by git and by the reader. */
static void git_reads_what_we_write(void **state)
{
	static const char *const values[] = {
		"plain", "", " lead", "trail ", "\ttab", "a\nb\nc", "q\"uo\"te", "back\\slash",
		"#hash", ";semi", "a # b", "  both  ", "\\n literal", "x\by", "asdf\xc3\xb6lkj",
		"\"", "\\",
	};
	const size_t n = sizeof(values) / sizeof(values[0]);
	char *path = s2e_path_join(dir, "w.config"), *cmd, line[4096];
	FILE *f = fopen(path, "w"), *git;
	struct s2e_config back;

	(void)state;
	assert_int_equal(s2e_config_put_section(f, "s", "sub \"x\" \\ y"), 0);
	for (size_t i = 0; i < n; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(s2e_config_put(f, key, values[i]), 0);
	}
	assert_int_equal(s2e_config_put(f, "bad", "esc\033"), -1);
	assert_int_equal(s2e_config_put(f, "1bad", "x"), -1);
	assert_int_equal(s2e_config_put_section(f, "s", "new\nline"), -1);
	assert_int_equal(s2e_config_put_section(f, "include", NULL), -1);
	fclose(f);
	assert_int_equal(s2e_config_read_file(path, &back), 0);
	assert_int_equal(back.n, n + 1);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(back.entries[i + 1].value, values[i]);
	s2e_config_free(&back);
	/* git: NUL-separated "name\nvalue" records. */
	cmd = s2e_asprintf("git config -f '%s' --list -z", path);
	git = popen(cmd, "r");
	assert_non_null(git);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		int c;
		char want[64];
		while ((c = fgetc(git)) != EOF && c != '\0' && len < sizeof(line) - 1)
			line[len++] = (char)c;
		line[len] = '\0';
		snprintf(want, sizeof(want), "s.sub \"x\" \\ y.k%zu\n", i);
		assert_memory_equal(line, want, strlen(want));
		assert_string_equal(line + strlen(want), values[i]);
	}
	assert_int_equal(pclose(git), 0);
	free(cmd);
	unlink(path);
	free(path);
}

/* vm.config keys s2e does not know survive a rewrite, in their sections. */
static void meta_keeps_unknown_keys(void **state)
{
	const char *text = "[vm]\n\tsize = 1024\n\tcolor = blue\n[snapshot \"ready\"]\n"
			   "\ttaken = t\n\tnote = \"keep me; please\"\n[settings]\n\tmemory = 4G\n"
			   "[settings \"net\"]\n\tmode = user\n[snapshot \"b\"]\n";
	char *path = s2e_path_join(dir, "vm.config"), *cmd, *out;
	struct s2e_meta meta;
	FILE *p;
	size_t len;

	(void)state;
	assert_int_equal(s2e_write_file_atomic(path, text, strlen(text), 0644), 0);
	assert_int_equal(s2e_meta_read(path, &meta), 0);
	assert_int_equal(meta.nsnaps, 2);
	assert_int_equal(s2e_meta_add_snap(&meta, "c", "t2", NULL), 0);
	assert_int_equal(s2e_meta_remove_snap(&meta, "b"), 1);
	assert_int_equal(s2e_meta_write(path, &meta), 0);
	s2e_meta_free(&meta);
	cmd = s2e_asprintf("git config -f '%s' --list", path);
	p = popen(cmd, "r");
	out = calloc(1, 4096);
	len = fread(out, 1, 4095, p);
	out[len] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "vm.size=1024\nvm.color=blue\nsnapshot.ready.taken=t\n"
				 "snapshot.ready.note=keep me; please\nsnapshot.c.taken=t2\n"
				 "settings.memory=4G\nsettings.net.mode=user\n");
	free(out);
	free(cmd);
	unlink(path);
	free(path);
}

static void meta_refuses_bad_snapshot_names(void **state)
{
	char *path = s2e_path_join(dir, "vm.config");
	const char *text = "[vm]\n\tsize = 1\n[snapshot \"a/b\"]\n";
	struct s2e_meta meta = {0};

	(void)state;
	assert_int_equal(s2e_write_file_atomic(path, text, strlen(text), 0644), 0);
	assert_int_equal(s2e_meta_read(path, &meta), -1);
	assert_non_null(strstr(s2e_error_last(), "line 3"));
	/* Issue 11 item 3: a name found on disk is never written raw. */
	assert_int_equal(s2e_meta_add_snap(&meta, "new\nline", "t", NULL), 0);
	assert_int_equal(s2e_meta_write(path, &meta), -1);
	assert_non_null(strstr(s2e_error_last(), "invalid snapshot name"));
	s2e_meta_free(&meta);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(include_ban_not_bypassed),
		cmocka_unit_test(malformed),
		cmocka_unit_test(entries_in_order),
		cmocka_unit_test(git_reads_what_we_write),
		cmocka_unit_test(meta_keeps_unknown_keys),
		cmocka_unit_test(meta_refuses_bad_snapshot_names),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
