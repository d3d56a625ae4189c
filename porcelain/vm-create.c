/* s2e vm create [-f] NAME [SIZE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/size.h"
#include "s2e/vm.h"

#define DEFAULT_SIZE "5120M"

static const char *const usage[] = {
	"s2e vm create [-f] NAME [SIZE]",
	NULL,
	"Create VM NAME with an empty sparse raw disk image of SIZE (default " DEFAULT_SIZE ").",
	NULL,
};

/* Fill the staging directory: metadata first, then the image from plumbing. */
static int build(struct s2e_status *st, const char *staging, const char *size_text, uint64_t size,
		 const char *label)
{
	struct s2e_meta meta = {.size = size};
	char created[64], *path;
	int rc;

	s2e_time_utc(created, sizeof(created));
	meta.size_label = (char *)label;
	meta.created = created;
	meta.updated = created;
	meta.origin = "created";
	path = s2e_path_join(staging, S2E_VM_META);
	rc = path ? s2e_meta_write(path, &meta) : -1;
	free(path);
	if (rc)
		return -1;
	s2e_status_ok(st, "initialise VM");

	path = s2e_path_join(staging, S2E_VM_DISK);
	if (!path)
		return -1;
	rc = s2e_run((const char *const[]){"s2e-mkimage", path, size_text, NULL},
		     S2E_RUN_CAPTURE_STDERR);
	free(path);
	if (rc)
		return -1;
	s2e_status_ok(st, "create %s image", label);
	return 0;
}

static int record(const char *root, const char *name, const char *size_text, uint64_t size,
		  const char *label, int replaced)
{
	char *path = s2e_asprintf("vm/%s", name), *subject, *body;
	int rc = -1;

	subject = s2e_asprintf("vm create %s%s %s", replaced ? "-f " : "", s2e_sq(name),
			       s2e_sq(size_text));
	body = s2e_asprintf("VM: %s\nSize: %llu bytes (%s)\nOrigin: created\n%s", name,
			    (unsigned long long)size, label,
			    replaced ? "Replaces: the previous VM of that name\n" : "");
	if (path && subject && body)
		rc = s2e_history_commit(root, (const char *const[]){path}, 1, subject, body, NULL);
	free(path);
	free(subject);
	free(body);
	return rc;
}

int cmd_vm_create(int argc, char **argv)
{
	int force = 0, exists, rc = 1;
	const struct s2e_option options[] = {
		OPT_BOOL('f', "force", &force, "replace an existing VM NAME, once the new one is complete"),
		OPT_S2EDIR(),
		OPT_END(),
	};
	const struct s2e_command cmd = {"s2e vm create", usage, options};
	const char *name, *size_text = DEFAULT_SIZE;
	char label[64], *root = NULL, *staging = NULL;
	struct s2e_status st;
	struct s2e_lock lock = {-1};
	uint64_t size;

	argc = s2e_parse_options(&cmd, argc, argv, 0);
	if (argc < 0)
		return s2e_parse_options_exit(&cmd, argc, stdout, stderr);
	if (argc < 1 || argc > 2)
		return s2e_usage_fail(&cmd, stderr, "takes a NAME and an optional SIZE");
	name = argv[0];
	if (argc == 2)
		size_text = argv[1];
	if (s2e_size_parse(size_text, &size) || s2e_size_label(size_text, label, sizeof(label)))
		return s2e_usage_fail(&cmd, stderr, "%s", s2e_error_last());

	/* Everything the user typed is checked before anything is touched. */
	if (s2e_vm_name_check(name))
		return fail("vm create");

	s2e_status_init(&st, stdout);
	if (porcelain_lock(NULL, &root, &lock))
		return fail("vm create");
	exists = s2e_vm_exists(root, name);
	if (exists < 0)
		goto out;
	if (exists && !force) {
		s2e_error("VM %s already exists (use -f to replace it)", s2e_q(name));
		goto out;
	}
	staging = s2e_staging_create(root);
	if (!staging || build(&st, staging, size_text, size, label) ||
	    s2e_staging_commit(root, staging, name, force))
		goto out;
	free(staging);
	staging = NULL;
	if (record(root, name, size_text, size, label, exists))
		goto out;
	rc = 0;
out:
	if (staging)
		s2e_remove_tree(staging);
	s2e_unlock(&lock);
	free(staging);
	free(root);
	return rc ? fail("vm create") : 0;
}
