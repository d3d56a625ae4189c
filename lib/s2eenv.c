/* Importing an s2e-env image directory (see include/s2e/s2eenv.h). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/copy.h"
#include "s2e/digest-cache.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/image.h"
#include "s2e/json.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/qemu.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/s2eenv.h"
#include "s2e/snapshot.h"
#include "s2e/strv.h"
#include "s2e/vm.h"
#include "s2e/vmops.h"
#include "s2e/vmtx.h"

#define PREFIX S2E_ENV_DISK "."

struct env {
	const char *dir;
	struct s2e_json json; /* type NULL when there is no image.json */
	struct s2e_snapfiles snaps; /* image.raw.s2e.SNAP, by modification time */
	char memory_mib[32]; /* "" when image.json gives none (or a bad one) */
	char *nic;	     /* from qemu_extra_flags, may be NULL */
};


/* image.raw.s2e.SNAP files with valid snapshot names, by modification time. */
static int scan(struct env *e)
{
	return s2e_snapfiles_scan_disk(e->dir, S2E_ENV_DISK, &e->snaps);
}

/* image.json, if there is one; the memory in MiB and the NIC model. */
static int read_json(struct env *e)
{
	char *path = s2e_path_join(e->dir, S2E_ENV_JSON), *text = NULL;
	const char *memory, *flags;
	unsigned long mib;
	size_t len;
	struct stat st;
	int rc = -1;

	if (!path)
		return -1;
	if (stat(path, &st)) {
		free(path);
		return 0;
	}
	if (st.st_size > S2E_JSON_MAX_BYTES)
		rc = s2e_error("%s is larger than %d bytes", s2e_q(path), S2E_JSON_MAX_BYTES);
	else if (s2e_read_file(path, &text, &len) == 0 &&
		 s2e_json_parse(text, len, S2E_ENV_JSON, &e->json) == 0)
		rc = e->json.type == S2E_JSON_OBJECT
			 ? 0
			 : s2e_error("%s: not a JSON object", S2E_ENV_JSON);
	free(text);
	free(path);
	if (rc)
		return rc;
	memory = s2e_json_text(&e->json, "memory");
	if (memory && s2e_qemu_memory_parse(memory, &mib) == 0)
		snprintf(e->memory_mib, sizeof(e->memory_mib), "%lu", mib);
	flags = s2e_json_text(&e->json, "qemu_extra_flags");
	if (flags && (flags = strstr(flags, "nic,model=")) != NULL) {
		flags += strlen("nic,model=");
		e->nic = strndup(flags, strcspn(flags, ", \t\n"));
		if (e->nic && s2e_qemu_nic_check(e->nic)) {
			s2e_error_clear();
			free(e->nic);
			e->nic = NULL;
		}
	}
	return 0;
}

static int set(struct s2e_config *c, const char *section, const char *key, const char *value)
{
	if (!value || !s2e_config_value_ok(value))
		return 0; /* absent, or not writable: left out */
	return s2e_config_add(c, section, NULL, key, value);
}

/* qemu_extra_flags as run.qemuArg words, but for "-net none" and "-net
 * nic,model=M", which run.nic says (vm run adds the NIC and a user network
 * backend, which the guest cannot tell from none). */
static int map_flags(const char *flags, struct s2e_config *c)
{
	struct s2e_strv words = S2E_STRV_INIT;
	int rc = 0;

	for (const char *p = flags; !rc && p && *p;) {
		size_t n;
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n) {
			char *word = strndup(p, n);
			rc = word ? s2e_strv_add(&words, word) : s2e_error("out of memory");
			if (rc)
				free(word);
		}
		p += n;
	}
	for (size_t i = 0; !rc && i < words.n; i++) {
		if (!strcmp(words.v[i], "-net") && i + 1 < words.n &&
		    (!strcmp(words.v[i + 1], "none") || !strncmp(words.v[i + 1], "nic,model=", 10))) {
			i++;
			continue;
		}
		rc = set(c, "run", "qemuArg", words.v[i]);
	}
	s2e_strv_clear_owned(&words);
	return rc;
}

/* The whole of image.json (normalised), for an export to give back the
 * fields s2e does not map. */
static int keep_json(const struct s2e_json *j, struct s2e_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return s2e_error("out of memory");
	rc = s2e_json_write(f, j, 0);
	if (fclose(f) || rc) {
		free(text);
		return rc ? rc : s2e_error("out of memory");
	}
	rc = len < S2E_CONFIG_LINE_MAX / 2 ? set(c, "s2e-env", "imageJson", text) : 0;
	free(text);
	return rc;
}

/* image.json into vm.config's settings (see the header). */
static int map_settings(const struct env *e, struct s2e_config *c)
{
	const struct s2e_json *j = &e->json, *os = s2e_json_member(j, "os");
	const char *flags = s2e_json_text(j, "qemu_extra_flags");

	if ((*e->memory_mib && set(c, "run", "memory", s2e_json_text(j, "memory"))) ||
	    set(c, "run", "nic", e->nic) || map_flags(e->nic ? flags : NULL, c))
		return -1;
	if (!e->nic && map_flags(flags, c))
		return -1;
	if (j->type == S2E_JSON_OBJECT && keep_json(j, c))
		return -1;
	return set(c, "image", "os", s2e_json_text(os, "name")) ||
		       set(c, "image", "version", s2e_json_text(os, "version")) ||
		       set(c, "image", "arch", s2e_json_text(os, "arch")) ||
		       set(c, "image", "build", s2e_json_text(os, "build")) ||
		       set(c, "image", "description", s2e_json_text(j, "description")) ||
		       set(c, "s2e-env", "name", s2e_json_text(j, "name")) ||
		       set(c, "s2e-env", "imageGroup", s2e_json_text(j, "image_group")) ||
		       set(c, "s2e-env", "qemuBuild", s2e_json_text(j, "qemu_build")) ||
		       set(c, "s2e-env", "qemuExtraFlags", flags) ||
		       set(c, "s2e-env", "snapshot", s2e_json_text(j, "snapshot")) ||
		       set(c, "s2e-env", "version", s2e_json_text(j, "version"))
		   ? -1
		   : 0;
}

static int copy(const char *from_dir, const char *leaf, const char *to_dir, const char *to_leaf)
{
	struct s2e_copy_options opt;
	char *from = s2e_path_join(from_dir, leaf), *to = s2e_path_join(to_dir, to_leaf);
	int rc;

	s2e_copy_options_init(&opt);
	rc = from && to ? s2e_copy_file(from, to, &opt, NULL) : -1;
	free(from);
	free(to);
	return rc;
}

/* image.json into meta: the settings, and what each snapshot was taken
 * with (s2e-env takes them of the disk as it is: digest). */
static int apply(const struct env *e, const char *digest, struct s2e_meta *meta)
{
	for (size_t i = 0; i < meta->nsnaps; i++) {
		struct s2e_meta_snap *snap = &meta->snaps[i];
		if ((!snap->disk_digest && digest && s2e_meta_set(&snap->disk_digest, digest)) ||
		    (*e->memory_mib && s2e_config_add(&snap->extra, "snapshot", snap->name,
						      "memory", e->memory_mib)) ||
		    (e->nic && s2e_config_add(&snap->extra, "snapshot", snap->name, "nic", e->nic)))
			return -1;
	}
	return map_settings(e, &meta->extra);
}

static void env_free(struct env *e);

int s2e_env_json_apply(const char *dir, const char *digest, struct s2e_meta *meta)
{
	struct env e = {.dir = dir};
	int rc = read_json(&e);

	if (!rc)
		rc = apply(&e, digest, meta);
	env_free(&e);
	return rc;
}

/* The files into staging, then vm.config. */
static int build(struct env *e, struct s2e_vmtx *tx, const struct s2e_vm_report *r)
{
	struct s2e_meta meta = {0};
	char digest[S2E_DIGEST_LEN], now[64], taken[64], *disk = NULL, *origin = NULL;
	struct stat st;
	int rc = -1;

	if (copy(e->dir, S2E_ENV_DISK, tx->staging, S2E_VM_DISK))
		goto out;
	s2e_vm_step(r, "copy disk image");
	for (size_t i = 0; i < e->snaps.n; i++) {
		char leaf[300], to[300];
		snprintf(leaf, sizeof(leaf), PREFIX "%s", e->snaps.v[i].name);
		snprintf(to, sizeof(to), S2E_VM_DISK ".%s", e->snaps.v[i].name);
		if (copy(e->dir, leaf, tx->staging, to))
			goto out;
		s2e_vm_step(r, "copy snapshot: %s", e->snaps.v[i].name);
	}
	disk = s2e_path_join(tx->staging, S2E_VM_DISK);
	origin = s2e_asprintf("s2e-env import of %s", e->dir);
	if (!disk || !origin || stat(disk, &st) ||
	    s2e_digest_cached(tx->root, disk, 0, NULL, digest, NULL))
		goto out;
	s2e_time_utc(now, sizeof(now));
	meta.size = (uint64_t)st.st_size;
	if (s2e_meta_set(&meta.created, now) || s2e_meta_set(&meta.updated, now) ||
	    s2e_meta_set(&meta.origin, origin) || s2e_meta_set(&meta.digest, digest))
		goto out;
	for (size_t i = 0; i < e->snaps.n; i++) {
		s2e_time_utc_of(&e->snaps.v[i].mtime, taken, sizeof(taken));
		if (s2e_meta_add_snap(&meta, e->snaps.v[i].name, taken, digest))
			goto out;
	}
	if (apply(e, digest, &meta))
		goto out;
	free(disk);
	disk = s2e_path_join(tx->staging, S2E_VM_META);
	rc = disk ? s2e_meta_write(disk, &meta) : -1;
out:
	s2e_meta_free(&meta);
	free(disk);
	free(origin);
	return rc;
}

/* The VM's name: given, image.json's, or the directory's. */
static char *choose_name(const struct env *e, const char *name)
{
	const char *base;

	if (!name)
		name = s2e_json_text(&e->json, "name");
	if (!name) {
		base = strrchr(e->dir, '/');
		name = base && base[1] ? base + 1 : e->dir;
	}
	if (s2e_vm_name_check(name)) {
		s2e_error_set(S2E_EINVALID, "%s (give the VM a NAME)", s2e_error_last());
		return NULL;
	}
	return s2e_strdup(name);
}

static void env_free(struct env *e)
{
	s2e_snapfiles_free(&e->snaps);
	free(e->nic);
	s2e_json_free(&e->json);
}

int s2e_vm_import_s2e_env(const char *root, const char *dir, const char *name, int flags,
			  const struct s2e_vm_report *r, char **used)
{
	struct env e = {.dir = dir};
	struct s2e_vmtx tx;
	char *disk = s2e_path_join(dir, S2E_ENV_DISK), *vm = NULL, *subject = NULL;
	struct stat st;
	int rc = -1;

	if (!disk)
		return -1;
	if (stat(disk, &st) || !S_ISREG(st.st_mode))
		rc = s2e_error_set(S2E_ENOTFOUND, "%s is no s2e-env image directory: no %s",
				   s2e_q(dir), S2E_ENV_DISK);
	else if (s2e_image_check_raw(disk) == 0 && read_json(&e) == 0 && scan(&e) == 0 &&
		 (vm = choose_name(&e, name)))
		rc = s2e_vmtx_begin(&tx, root, vm, (flags & S2E_VMOP_FORCE) ? S2E_VMTX_FORCE : 0);
	if (rc == 0) {
		s2e_vm_step(r, "initialise VM");
		subject = s2e_asprintf("vm import --s2e-env %s %s", s2e_sq(dir), s2e_sq(vm));
		rc = subject ? build(&e, &tx, r) : -1;
		if (rc == 0)
			rc = s2e_vmtx_commit(&tx, subject, "Imported from an s2e-env image directory.\n",
					     NULL, 0);
		s2e_vmtx_end(&tx);
	}
	if (rc == 0 && used)
		*used = vm;
	else
		free(vm);
	free(subject);
	free(disk);
	env_free(&e);
	return rc;
}

/* --- export ------------------------------------------------------------ */

/* run.qemuArg words, as qemu_extra_flags (after the NIC), words that hold
 * blanks refused: s2e-env's launch script splits the flags on blanks. */
static char *extra_flags(const struct s2e_config *c)
{
	const char *nic = s2e_config_get(c, "run", NULL, "nic");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int bad = 0;

	if (!f)
		return NULL;
	if (nic)
		fprintf(f, "-net none -net nic,model=%s ", nic);
	for (size_t i = 0; i < c->n; i++) {
		const struct s2e_config_entry *e = &c->entries[i];
		if (!e->key || !e->value || !s2e_config_in(e, "run", NULL) ||
		    strcasecmp(e->key, "qemuArg"))
			continue;
		if (!*e->value || e->value[strcspn(e->value, " \t\n")])
			bad = 1;
		fprintf(f, "%s ", e->value);
	}
	if (fclose(f) || bad) {
		if (bad)
			s2e_error("run.qemuArg has a word with blanks (or an empty one), which "
				  "s2e-env's qemu_extra_flags cannot hold");
		free(buf);
		return NULL;
	}
	return buf;
}

static int json_from(struct s2e_json *j, const char *key, const struct s2e_config *c,
		     const char *section, const char *ckey)
{
	const char *v = s2e_config_get(c, section, NULL, ckey);

	return v ? s2e_json_set_string(j, key, v) : 0;
}

/* image.json: the one imported (if any) with the settings of now. */
static int make_json(const char *vm, const struct s2e_config *c, const struct s2e_meta *meta,
		     struct s2e_json *j)
{
	const char *kept = s2e_config_get(c, "s2e-env", NULL, "imageJson"),
		   *snap = s2e_config_get(c, "s2e-env", NULL, "snapshot");
	char *flags = extra_flags(c);
	struct s2e_json *os;
	int rc;

	memset(j, 0, sizeof(*j));
	if (!flags)
		return -1;
	if (kept && s2e_json_parse(kept, strlen(kept), "s2e-env.imageJson", j) == 0 &&
	    j->type != S2E_JSON_OBJECT)
		s2e_json_free(j);
	if (j->type != S2E_JSON_OBJECT)
		j->type = S2E_JSON_OBJECT;
	if (!snap || !s2e_meta_find_snap((struct s2e_meta *)meta, snap))
		snap = meta->nsnaps ? meta->snaps[meta->nsnaps - 1].name : NULL;
	rc = (s2e_json_text(j, "name") ? 0 : s2e_json_set_string(j, "name", vm)) ||
	     json_from(j, "description", c, "image", "description") ||
	     json_from(j, "memory", c, "run", "memory") ||
	     (s2e_json_text(j, "qemu_build")
		  ? 0
		  : s2e_json_set_string(j, "qemu_build",
					s2e_config_get(c, "image", NULL, "arch")
					    ? s2e_config_get(c, "image", NULL, "arch")
					    : "i386")) ||
	     s2e_json_set_string(j, "qemu_extra_flags", flags) ||
	     (snap && s2e_json_set_string(j, "snapshot", snap));
	free(flags);
	os = rc ? NULL : s2e_json_object_member(j, "os");
	if (!os)
		return -1;
	return json_from(os, "name", c, "image", "os") ||
			       json_from(os, "version", c, "image", "version") ||
			       json_from(os, "arch", c, "image", "arch") ||
			       json_from(os, "build", c, "image", "build")
		   ? -1
		   : 0;
}

static int write_json(const char *dir, const struct s2e_json *j)
{
	char *path = s2e_path_join(dir, S2E_ENV_JSON), *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = -1;

	if (path && f && s2e_json_write(f, j, 0) == 0 && fputc('\n', f) != EOF && !fclose(f)) {
		f = NULL;
		rc = s2e_write_file_atomic(path, text, len, 0644);
	}
	if (f)
		fclose(f);
	free(path);
	free(text);
	return rc;
}

static int export_files(const char *root, const char *vm, const struct s2e_meta *meta,
			const char *tmp, const struct s2e_vm_report *r)
{
	char *vmdir = s2e_vm_dir(root, vm);
	int rc = vmdir ? copy(vmdir, S2E_VM_DISK, tmp, S2E_ENV_DISK) : -1;

	if (rc == 0)
		s2e_vm_step(r, "copy disk image");
	for (size_t i = 0; rc == 0 && i < meta->nsnaps; i++) {
		char from[300], to[300];
		snprintf(from, sizeof(from), S2E_VM_DISK ".%s", meta->snaps[i].name);
		snprintf(to, sizeof(to), PREFIX "%s", meta->snaps[i].name);
		rc = copy(vmdir, from, tmp, to);
		if (rc == 0)
			s2e_vm_step(r, "copy snapshot: %s", meta->snaps[i].name);
	}
	free(vmdir);
	return rc;
}

int s2e_vm_export_s2e_env(const char *root, const char *vm, const char *dir,
			  const struct s2e_vm_report *r)
{
	struct s2e_meta meta = {0};
	struct s2e_config cfg = {0};
	struct s2e_json j = {0};
	char *path = NULL, *tmp = NULL, *vmdir;
	struct stat st;
	int rc = -1, use = -1;

	if (!lstat(dir, &st))
		return s2e_error_set(S2E_EEXISTS, "%s already exists", s2e_q(dir));
	tmp = s2e_asprintf("%s.tmp-%d", dir, (int)getpid());
	vmdir = s2e_vm_dir(root, vm);
	path = vmdir ? s2e_path_join(vmdir, S2E_VM_META) : NULL;
	free(vmdir);
	if (!tmp || !path)
		goto out;
	if (s2e_vm_exists(root, vm) != 1) {
		rc = s2e_error_set(S2E_ENOTFOUND, "VM %s does not exist", s2e_q(vm));
		goto out;
	}
	use = s2e_vm_use(root, vm); /* no run rewrites the disk meanwhile */
	if (use < 0 || s2e_meta_read(path, &meta) < 0 || s2e_config_read_file(path, &cfg) < 0 ||
	    make_json(vm, &cfg, &meta, &j))
		goto out;
	if (mkdir(tmp, 0777)) {
		s2e_error_errno("cannot create %s", s2e_q(tmp));
		goto out;
	}
	if (export_files(root, vm, &meta, tmp, r) || write_json(tmp, &j) ||
	    (rename(tmp, dir) && s2e_error_errno("cannot rename %s to %s", s2e_q(tmp), s2e_q(dir)))) {
		s2e_remove_tree(tmp);
		goto out;
	}
	s2e_vm_step(r, "write %s", S2E_ENV_JSON);
	rc = 0;
out:
	if (use >= 0)
		close(use);
	s2e_json_free(&j);
	s2e_config_free(&cfg);
	s2e_meta_free(&meta);
	free(path);
	free(tmp);
	return rc;
}
