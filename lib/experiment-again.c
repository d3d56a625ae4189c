/* Running an experiment again (`s2e vm run --again EXP`, see
 * include/s2e/experiment.h): its record gives the options, the VM or image,
 * the mode and the S2E config copy. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/quote.h"

int s2e_experiment_load(const char *root, const char *name, struct s2e_experiment *e)
{
	char *path;
	struct stat st;
	int rc;

	s2e_experiment_init(e);
	if (s2e_expname_check(name))
		return s2e_error_set(S2E_EINVALID, "%s", s2e_error_last());
	path = s2e_asprintf("%s/" S2E_EXPERIMENTS_DIR "/%s/" S2E_EXPERIMENT_RECORD, root, name);
	if (!path)
		return -1;
	if (stat(path, &st)) {
		free(path);
		return s2e_error_set(S2E_ENOTFOUND,
				     "no experiment %s (see 's2e log --experiments')", s2e_q(name));
	}
	rc = s2e_experiment_read(path, e);
	free(path);
	if (rc)
		s2e_error_prefix("experiment %s", s2e_q(name));
	return rc;
}

/* Does argv name a config file (-c, --config-file, any unique prefix)? */
static int names_config(int argc, char *const *argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strncmp(argv[i], "-c", 2) || !strncmp(argv[i], "--con", 5))
			return 1;
	return 0;
}

static int add_ref(const struct s2e_experiment *e, struct s2e_strv *out)
{
	char *ref;

	if (!e->vm)
		return s2e_strv_add_dup(out, e->image);
	ref = e->snapshot ? s2e_asprintf("%s:%s", e->vm, e->snapshot) : s2e_strdup(e->vm);
	if (!ref || s2e_strv_add(out, ref)) {
		free(ref);
		return -1;
	}
	return 0;
}

int s2e_experiment_again_words(const char *root, const char *name, int argc,
			       char *const *argv, struct s2e_strv *out)
{
	struct s2e_experiment e;
	size_t dashdash;
	int rc = s2e_experiment_load(root, name, &e);

	if (rc)
		return rc;
	if (!e.invocation.n || !e.mode || (!e.vm && !e.image)) {
		s2e_experiment_free(&e);
		return s2e_error("experiment %s was recorded without its options (by an older "
				 "s2e): it cannot be run again; its command line is in "
				 "'s2e log show %s'",
				 s2e_q(name), name);
	}
	for (dashdash = 0; dashdash < e.invocation.n; dashdash++)
		if (!strcmp(e.invocation.v[dashdash], "--"))
			break;
	for (size_t i = 0; rc == 0 && i < dashdash; i++)
		rc = s2e_strv_add_dup(out, e.invocation.v[i]);
	for (int i = 0; rc == 0 && i < argc; i++)
		rc = s2e_strv_add_dup(out, argv[i]);
	if (rc == 0 && e.config_file && !names_config(argc, argv)) {
		char *copy = s2e_asprintf("%s/" S2E_EXPERIMENTS_DIR "/%s/" S2E_EXPERIMENT_CONFIG,
					  root, name);
		rc = copy && s2e_strv_add_dup(out, "--config-file") == 0 ? s2e_strv_add(out, copy)
									   : -1;
		if (rc)
			free(copy);
	}
	if (rc == 0)
		rc = add_ref(&e, out) || s2e_strv_add_dup(out, e.mode) ? -1 : 0;
	for (size_t i = dashdash; rc == 0 && i < e.invocation.n; i++)
		rc = s2e_strv_add_dup(out, e.invocation.v[i]);
	s2e_experiment_free(&e);
	return rc;
}
