/* s2e store list|verify|gc: look after a store (SPEC §8.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/quote.h"
#include "s2e/size.h"
#include "s2e/store.h"
#include "s2e/storevm.h"

/* Parse, then open the store named by the first operand: 0 go on, else the
 * exit code. */
/* Parse and open STORE: -1 to go on, else the exit code (0 after --help). */
static int store_start(const struct s2e_command *cmd, int *argc, char **argv,
		       struct s2e_store **st, struct s2e_store_conn **c)
{
	*st = NULL;
	*argc = s2e_parse_options(cmd, *argc, argv, 0);
	if (*argc < 0)
		return s2e_parse_options_exit(cmd, *argc, stdout, stderr);
	if (!(*st = s2e_store_open(argv[0], NULL)) || (c && !(*c = s2e_store_conn_new(*st)))) {
		fprintf(stderr, "[FAIL] %s: %s\n", cmd->name, s2e_error_last());
		if (*st)
			s2e_store_close(*st);
		return 1;
	}
	return -1;
}

static int store_end(const struct s2e_command *cmd, int rc, struct s2e_store *st,
		     struct s2e_store_conn *c)
{
	if (rc)
		fprintf(stderr, "[FAIL] %s: %s\n", cmd->name, s2e_error_last());
	if (c)
		s2e_store_conn_free(c);
	s2e_store_close(st);
	return rc ? 1 : 0;
}

static void list_one(const struct s2e_store_manifest *m, int json, int first)
{
	char size[32];

	if (!json) {
		s2e_size_human(m->files[0].size, size, sizeof(size));
		printf("%s\n  Size: %s\n  Digest: %s\n", m->name, size, m->files[0].digest);
		for (size_t i = 1; i < m->nfiles; i++)
			printf("  Snapshot: %s %s\n", m->files[i].name + 9, m->files[i].digest);
		printf("  Pushed by: %s\n  Pushed at: %s\n",
		       m->pushed_by ? s2e_printable(m->pushed_by) : "-",
		       m->pushed_at ? s2e_printable(m->pushed_at) : "-");
		return;
	}
	fputs(first ? "{\"name\": " : ", {\"name\": ", stdout);
	s2e_json_string(stdout, m->name);
	printf(", \"size\": %llu, \"digest\": \"%s\", \"pushed_by\": ",
	       (unsigned long long)m->files[0].size, m->files[0].digest);
	s2e_json_string(stdout, m->pushed_by ? m->pushed_by : "");
	fputs(", \"pushed_at\": ", stdout);
	s2e_json_string(stdout, m->pushed_at ? m->pushed_at : "");
	fputs(", \"snapshots\": [", stdout);
	for (size_t i = 1; i < m->nfiles; i++) {
		printf("%s{\"name\": ", i > 1 ? ", " : "");
		s2e_json_string(stdout, m->files[i].name + 9);
		printf(", \"digest\": \"%s\"}", m->files[i].digest);
	}
	fputs("]}", stdout);
}

static const char *const list_usage[] = {
	"s2e store list [--json] STORE",
	NULL,
	"List the VMs of STORE with their size, digests, pusher and push time.",
	NULL,
};

static int cmd_store_list(int argc, char **argv)
{
	int json = 0, rc;
	const struct s2e_option options[] = {
		OPT_BOOL(0, "json", &json, "print a JSON array"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e store list", list_usage, options, "takes a STORE", 1, 1};
	struct s2e_store *st;
	struct s2e_store_conn *c = NULL;
	char **names = NULL;
	size_t n = 0;

	if ((rc = store_start(&cmd, &argc, argv, &st, &c)) >= 0)
		return rc;
	rc = s2e_store_list_vms(c, &names, &n);
	if (json && !rc)
		fputs("[", stdout);
	for (size_t i = 0; !rc && i < n; i++) {
		struct s2e_store_manifest m = {0};
		if ((rc = s2e_store_vm_read(c, names[i], &m)) == 1)
			rc = 0, list_one(&m, json, i == 0);
		else if (rc == 0)
			rc = -1;
		s2e_store_manifest_free(&m);
	}
	if (json && !rc)
		fputs("]\n", stdout);
	s2e_store_names_free(names, n);
	return store_end(&cmd, rc, st, c);
}

static const char *const verify_usage[] = {
	"s2e store verify [-j N] STORE [NAME...]",
	NULL,
	"Check the VMs NAME (default: all) of STORE: every index against its",
	"manifest, every chunk present, intact and matching its ID.",
	NULL,
};

static int cmd_store_verify(int argc, char **argv)
{
	unsigned jobs = 0;
	const struct s2e_option options[] = {
		OPT_JOBS_DEFAULT(&jobs, "all cores, twice that for HTTP and S3"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e store verify", verify_usage, options,
					"takes a STORE and optional NAMEs", 1, -1};
	struct s2e_store *st;
	struct s2e_store_conn *c = NULL;
	struct s2e_chunk_stats total;
	char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_start(&cmd, &argc, argv, &st, &c)) >= 0)
		return rc;
	rc = argc == 1 ? s2e_store_list_vms(c, &names, &n) : 0;
	for (size_t i = 0; !rc && i < (argc == 1 ? n : (size_t)argc - 1); i++) {
		const char *vm = argc == 1 ? names[i] : argv[i + 1];
		memset(&total, 0, sizeof(total));
		if (!(rc = s2e_store_vm_verify(st, vm, jobs, &total)))
			printf("%s: ok, %llu chunks\n", vm, (unsigned long long)total.chunks);
	}
	s2e_store_names_free(names, n);
	return store_end(&cmd, rc, st, c);
}

static const char *const gc_usage[] = {
	"s2e store gc [--grace SECONDS] [--dry-run] STORE",
	NULL,
	"Remove the chunks of STORE that no index references and that are older",
	"than the grace period (default 86400 seconds), and stale temporaries.",
	NULL,
};

static int cmd_store_gc(int argc, char **argv)
{
	const char *grace = "86400";
	int dry = 0, rc;
	const struct s2e_option options[] = {
		OPT_STRING(0, "grace", &grace, "SECONDS", "keep chunks newer than this"),
		OPT_BOOL('n', "dry-run", &dry, "only say what would be removed"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e store gc", gc_usage, options, "takes a STORE", 1, 1};
	struct s2e_store *st;
	struct s2e_store_gc_stats s = {0};
	char *end, size[32];
	unsigned long long g;

	if ((rc = store_start(&cmd, &argc, argv, &st, NULL)) >= 0)
		return rc;
	g = strtoull(grace, &end, 10);
	if (!*grace || *end || grace[0] == '-') {
		s2e_store_close(st);
		return s2e_usage_fail(&cmd, stderr, "--grace takes a number of seconds");
	}
	if (!(rc = s2e_store_gc(st, (time_t)g, dry, &s))) {
		s2e_size_human(s.removed_bytes, size, sizeof(size));
		printf("%s %llu of %llu chunks, %s; %llu referenced, %llu recent kept\n",
		       dry ? "would remove" : "removed", (unsigned long long)s.removed,
		       (unsigned long long)s.chunks, size, (unsigned long long)s.referenced,
		       (unsigned long long)s.recent);
	}
	return store_end(&cmd, rc, st, NULL);
}

static const struct porcelain_cmd store_commands[] = {
	{"list", cmd_store_list, "list the VMs of a store"},
	{"verify", cmd_store_verify, "check a store's VMs and chunks"},
	{"gc", cmd_store_gc, "remove unreferenced chunks"},
	{NULL, NULL, NULL},
};

static const char *const usage[] = {
	"s2e store COMMAND [ARGS]",
	NULL,
	"Commands (each has --help and a page s2e-store-COMMAND(1)):",
	"",
	"   list     s2e store list [--json] STORE",
	"   verify   s2e store verify [-j N] STORE [NAME...]",
	"   gc       s2e store gc [--grace SECONDS] [--dry-run] STORE",
	NULL,
};

int cmd_store(int argc, char **argv)
{
	return porcelain_group("s2e store", usage, store_commands, argc, argv);
}
