/* The lab side of s2e log: the host columns of `s2e log --all`, and
 * `s2e log show [HOSTID/]EXP`, an experiment's record from any host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/hostid.h"
#include "s2e/lab.h"
#include "s2e/log.h"
#include "s2e/quote.h"

int log_host(const struct s2e_log_entry *e, struct s2e_host *h)
{
	char *message = s2e_asprintf("%s\n\n%s", e->subject, e->body);
	int rc;

	if (!message)
		return -1;
	rc = s2e_host_parse(message, h);
	free(message);
	if (rc == 1) { /* made before host ids, or elsewhere */
		snprintf(h->name, sizeof(h->name), "-");
		snprintf(h->user, sizeof(h->user), "-");
	}
	return rc < 0 ? -1 : 0;
}

void log_lab_text(const struct s2e_log_entry *e, const char *date)
{
	struct s2e_host h;
	const char *digest = NULL;

	if (log_host(e, &h))
		memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < e->nexperiments && !digest; i++)
		digest = e->experiments[i].disk_before;
	printf("%.7s %s %s/%.8s %s ", e->oid, date, h.name, h.id[0] ? h.id : "-", h.user);
	s2e_put_untrusted(stdout, e->subject);
	if (digest) {
		fputs(" [disk ", stdout);
		s2e_put_untrusted(stdout, digest);
		putchar(']');
	}
	putchar('\n');
}

static const char *const show_usage[] = {
	"s2e log show [HOSTID/]EXP",
	NULL,
	"Print experiment EXP's record (git-config syntax) and the S2E config file it",
	"ran with, as this host's history has it, or as host HOSTID's does (after",
	"'s2e history pull').",
	NULL,
};

/* Untrusted text from another host, made safe to show: line by line, tabs
 * kept, everything else escaped. */
static void put_lines(const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "\t\n");
		char *piece = strndup(text, len);
		if (piece)
			s2e_put_untrusted(stdout, piece);
		free(piece);
		if (text[len])
			putchar(text[len]);
		text += len + (text[len] != '\0');
	}
}

/* HOSTID/EXP, or this host's id before EXP; malloc'd. */
static char *lab_key(const char *root, const char *key)
{
	char id[S2E_HOSTID_MAX + 1];
	int rc;

	if (strchr(key, '/'))
		return s2e_strdup(key);
	rc = s2e_hostid_get(root, 0, id);
	if (rc == 1)
		s2e_error("this S2EDIR has no history yet");
	return rc ? NULL : s2e_asprintf("%s/%s", id, key);
}

int cmd_log_show_host(int argc, char **argv)
{
	const struct s2e_option options[] = {OPT_S2EDIR(), OPT_END()};
	const struct s2e_command cmd = {.name = "s2e log show", .usage = show_usage, .options = options};
	struct s2e_experiment exp;
	char *root, *key = NULL, *record = NULL, *config = NULL;
	int rc = -1;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (argc != 1)
		return s2e_usage_fail(&cmd, stderr, "takes one [HOSTID/]EXP");
	root = porcelain_root(NULL);
	if (root && (key = lab_key(root, argv[0])) &&
	    s2e_lab_record(root, key, &record, &config) == 0) {
		/* Read by the one record parser first: a malformed record is an error. */
		rc = s2e_experiment_parse(record, &exp);
		if (rc == 0) {
			put_lines(record);
			if (config) {
				printf("# %s\n", S2E_EXPERIMENT_CONFIG);
				put_lines(config);
			}
			s2e_experiment_free(&exp);
		} else {
			s2e_error_prefix("record %s", s2e_q(key));
		}
	}
	free(record);
	free(config);
	free(key);
	free(root);
	return rc ? fail("log show") : 0;
}
