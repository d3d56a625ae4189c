/* VM settings in vm.config: `s2e vm config` and the defaults of a run (see
 * include/s2e/vmconfig.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/meta.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/vm.h"
#include "s2e/vmconfig.h"
#include "s2e/vmtx.h"

/* The known settings and how a value is checked. */
static int check_memory(const char *v)
{
	unsigned long mib;
	return s2e_qemu_memory_parse(v, &mib);
}

static int check_network(const char *v)
{
	enum s2e_qemu_net net;
	return s2e_qemu_net_parse(v, &net);
}

static int check_build(const char *v)
{
	char *a = NULL, *t = NULL, *m = NULL;
	int rc = s2e_qemu_build_parse(v, &a, &t, &m);

	free(a);
	free(t);
	free(m);
	return rc;
}

static int check_nonempty(const char *v)
{
	return *v ? 0 : s2e_error("the value must not be empty");
}

static const struct setting {
	const char *section, *key;
	int (*check)(const char *value); /* NULL: any value */
	int multi;
} settings[] = {
    {"run", "memory", check_memory, 0},
    {"run", "network", check_network, 0},
    {"run", "nic", s2e_qemu_nic_check, 0},
    {"run", "build", check_build, 0},
    {"run", "qemu", check_nonempty, 0},
    {"run", "qemuArg", NULL, 1},
    {"image", "os", NULL, 0},
    {"image", "version", NULL, 0},
    {"image", "arch", NULL, 0},
    {"image", "build", NULL, 0},
    {"image", "description", NULL, 0},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* "section.key" or "section.sub.key", split into malloc'd parts. */
struct key {
	char *section, *sub, *name;
};

static void key_free(struct key *k)
{
	free(k->section);
	free(k->sub);
	free(k->name);
}

static int name_ok(const char *s, int key)
{
	if (!*s || (key && !isalpha((unsigned char)*s)))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

static int key_split(const char *text, struct key *k)
{
	const char *first = strchr(text, '.'), *last = strrchr(text, '.');

	memset(k, 0, sizeof(*k));
	if (!first)
		return s2e_error_set(S2E_EUSAGE, "key %s does not contain a section (section.key)",
				     s2e_q(text));
	k->section = strndup(text, (size_t)(first - text));
	k->name = s2e_strdup(last + 1);
	if (last != first)
		k->sub = strndup(first + 1, (size_t)(last - first - 1));
	if (!k->section || !k->name || (last != first && !k->sub))
		return s2e_error("out of memory");
	if (!name_ok(k->section, 0) || !name_ok(k->name, 1) ||
	    (k->sub && (!*k->sub || !s2e_config_value_ok(k->sub) || strchr(k->sub, '\n'))))
		return s2e_error_set(S2E_EUSAGE, "invalid key %s", s2e_q(text));
	return 0;
}

static int matches(const struct s2e_config_entry *e, const struct key *k)
{
	return e->key && s2e_config_in(e, k->section, k->sub) && !strcasecmp(e->key, k->name);
}

/* Which keys may be written, and their values: S2E_EUSAGE otherwise. */
static int check_write(const struct key *k, const char *text, enum s2e_vmconfig_op op,
		       const char *value)
{
	if (!strcasecmp(k->section, "vm") || !strcasecmp(k->section, "snapshot"))
		return s2e_error_set(S2E_EUSAGE, "%s is kept by s2e itself and cannot be set",
				     s2e_q(text));
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		if (strcasecmp(k->section, s->section) || k->sub || strcasecmp(k->name, s->key))
			continue;
		if (op == S2E_VMCONFIG_ADD && !s->multi)
			return s2e_error_set(S2E_EUSAGE, "%s takes one value: set it, not --add",
					     s2e_q(text));
		if (value && s->check && s->check(value))
			return s2e_error_set(S2E_EUSAGE, "%s: %s", text, s2e_error_last());
		return 0;
	}
	if (!strcasecmp(k->section, "run") || !strcasecmp(k->section, "image"))
		return s2e_error_set(S2E_EUSAGE,
				     "unknown setting %s (run.memory, run.network, run.nic, "
				     "run.build, run.qemu, run.qemuArg, image.os, image.version, "
				     "image.arch, image.build, image.description)",
				     s2e_q(text));
	if (value && !s2e_config_value_ok(value))
		return s2e_error_set(S2E_EUSAGE, "%s: the value holds control characters",
				     s2e_q(text));
	return 0;
}

static char *meta_path(const char *root, const char *name)
{
	char *dir = s2e_vm_dir(root, name), *path = dir ? s2e_path_join(dir, S2E_VM_META) : NULL;

	free(dir);
	return path;
}

int s2e_vmconfig_read(const char *root, const char *name, struct s2e_config *cfg)
{
	char *path;
	int exists, rc;

	memset(cfg, 0, sizeof(*cfg));
	if (s2e_vm_name_check(name))
		return s2e_error_set(S2E_EINVALID, "%s", s2e_error_last());
	exists = s2e_vm_exists(root, name);
	if (exists <= 0)
		return exists < 0 ? -1
				  : s2e_error_set(S2E_ENOTFOUND, "VM %s does not exist",
						  s2e_q(name));
	path = meta_path(root, name);
	rc = path ? s2e_config_read_file(path, cfg) : -1;
	free(path);
	return rc < 0 ? -1 : 0;
}

int s2e_vmconfig_get(const struct s2e_config *cfg, const char *key, struct s2e_strv *values)
{
	struct key k;
	int rc = key_split(key, &k);

	for (size_t i = 0; rc == 0 && i < cfg->n; i++)
		if (matches(&cfg->entries[i], &k))
			rc = s2e_strv_add(values, cfg->entries[i].value ? cfg->entries[i].value
									: "true");
	key_free(&k);
	return rc;
}

static void put_lower(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(tolower((unsigned char)*s), out);
}

int s2e_vmconfig_list(FILE *out, const struct s2e_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		const struct s2e_config_entry *e = &cfg->entries[i];
		if (!e->key)
			continue;
		put_lower(out, e->section);
		if (e->subsection)
			fprintf(out, ".%s", e->subsection);
		fputc('.', out);
		put_lower(out, e->key);
		if (e->value)
			fprintf(out, "=%s", e->value);
		fputc('\n', out);
	}
	return ferror(out) ? s2e_error_errno("cannot write") : 0;
}

/* Remove entry i of cfg. */
static void drop(struct s2e_config *cfg, size_t i)
{
	struct s2e_config_entry *e = &cfg->entries[i];

	free(e->section);
	free(e->subsection);
	free(e->key);
	free(e->value);
	memmove(e, e + 1, (cfg->n - i - 1) * sizeof(*e));
	cfg->n--;
}

/* Append k = value after the last entry of its section (or at the end). */
static int insert(struct s2e_config *cfg, const struct key *k, const char *value)
{
	size_t at = cfg->n;
	struct s2e_config_entry e;

	for (size_t i = 0; i < cfg->n; i++)
		if (s2e_config_in(&cfg->entries[i], k->section, k->sub))
			at = i + 1;
	if (s2e_config_add(cfg, k->section, k->sub, k->name, value))
		return -1;
	e = cfg->entries[cfg->n - 1];
	memmove(&cfg->entries[at + 1], &cfg->entries[at], (cfg->n - 1 - at) * sizeof(e));
	cfg->entries[at] = e;
	return 0;
}

/* The change on the [vm]-less remainder of vm.config (meta.extra). */
static int apply(struct s2e_config *cfg, const struct key *k, enum s2e_vmconfig_op op,
		 const char *value, const char *text)
{
	size_t found = 0;

	for (size_t i = cfg->n; i-- > 0;) {
		if (!matches(&cfg->entries[i], k))
			continue;
		if (op == S2E_VMCONFIG_ADD)
			break;
		found++;
		if (op == S2E_VMCONFIG_SET && found == 1) {
			if (s2e_meta_set(&cfg->entries[i].value, value))
				return -1;
			continue;
		}
		drop(cfg, i);
	}
	if (op == S2E_VMCONFIG_UNSET && !found)
		return s2e_error_set(S2E_ENOTFOUND, "%s is not set", s2e_q(text));
	if (op == S2E_VMCONFIG_ADD || (op == S2E_VMCONFIG_SET && !found))
		return insert(cfg, k, value);
	return 0;
}

/* With SET the last value found (walking backwards) is the first kept: the
 * key keeps its place, the others go. */
static int change_meta(struct s2e_vmtx *tx, const struct key *k, enum s2e_vmconfig_op op,
		       const char *value, const char *text)
{
	struct s2e_meta meta = {0};
	char *path = s2e_path_join(tx->dir, S2E_VM_META), now[64];
	int rc = -1;

	if (!path || s2e_meta_read(path, &meta) < 0 || apply(&meta.extra, k, op, value, text))
		goto out;
	s2e_time_utc(now, sizeof(now));
	if (s2e_meta_set(&meta.updated, now) || s2e_vmtx_keep_old(tx, S2E_VM_META) ||
	    s2e_meta_write(path, &meta))
		goto out;
	rc = 0;
out:
	s2e_meta_free(&meta);
	free(path);
	return rc;
}

int s2e_vmconfig_change(const char *root, const char *name, enum s2e_vmconfig_op op,
			const char *key, const char *value)
{
	struct s2e_vmtx tx;
	struct key k;
	char *subject = NULL, *body = NULL;
	int rc;

	rc = key_split(key, &k);
	if (!rc)
		rc = check_write(&k, key, op, value);
	if (!rc)
		rc = s2e_vmtx_begin(&tx, root, name, S2E_VMTX_UPDATE);
	if (rc) {
		key_free(&k);
		return rc;
	}
	rc = s2e_vm_in_use(root, name);
	if (!rc)
		rc = change_meta(&tx, &k, op, value, key);
	if (!rc) {
		subject = s2e_asprintf("vm config %s%s %s%s%s", s2e_sq(name),
				       op == S2E_VMCONFIG_ADD     ? " --add"
				       : op == S2E_VMCONFIG_UNSET ? " --unset"
								  : "",
				       key, value ? " " : "", value ? s2e_sq(value) : "");
		body = s2e_asprintf("VM: %s\n%s %s%s%s\n", name,
				    op == S2E_VMCONFIG_ADD     ? "Added"
				    : op == S2E_VMCONFIG_UNSET ? "Unset"
							       : "Set",
				    key, value ? " = " : "", value ? value : "");
		rc = subject && body ? s2e_vmtx_commit(&tx, subject, body, NULL, 0)
				     : s2e_error("out of memory");
	}
	s2e_vmtx_end(&tx);
	key_free(&k);
	free(subject);
	free(body);
	return rc;
}

int s2e_vm_settings_read(const char *root, const char *name, struct s2e_vm_settings *s)
{
	const struct s2e_config *c = &s->cfg;
	char *path = meta_path(root, name);
	int rc;

	memset(s, 0, sizeof(*s));
	rc = path ? s2e_config_read_file(path, &s->cfg) : -1;
	free(path);
	if (rc < 0)
		return -1;
	s->memory = s2e_config_get(c, "run", NULL, "memory");
	s->network = s2e_config_get(c, "run", NULL, "network");
	s->nic = s2e_config_get(c, "run", NULL, "nic");
	s->build = s2e_config_get(c, "run", NULL, "build");
	s->qemu = s2e_config_get(c, "run", NULL, "qemu");
	for (size_t i = 0; i < c->n; i++) {
		const struct s2e_config_entry *e = &c->entries[i];
		if (e->key && e->value && s2e_config_in(e, "run", NULL) &&
		    !strcasecmp(e->key, "qemuArg") && s2e_strv_add(&s->qemu_args, e->value))
			return -1;
	}
	return 0;
}

static int bad(const char *vm, const char *key)
{
	return s2e_error("VM %s: setting run.%s: %s (see 's2e vm config')", s2e_q(vm), key,
			 s2e_error_last());
}

int s2e_vm_settings_apply(const struct s2e_vm_settings *s, const char *vm,
			  struct s2e_qemu_opts *o, struct s2e_strv *extra)
{
	if (!o->memory && s->memory) {
		if (check_memory(s->memory))
			return bad(vm, "memory");
		o->memory = s->memory;
	}
	if (o->net == S2E_QEMU_NET_DEFAULT && s->network &&
	    s2e_qemu_net_parse(s->network, &o->net))
		return bad(vm, "network");
	if (!o->nic && s->nic) {
		if (s2e_qemu_nic_check(s->nic))
			return bad(vm, "nic");
		o->nic = s->nic;
	}
	if (!o->build && s->build) {
		if (check_build(s->build))
			return bad(vm, "build");
		o->build = s->build;
	}
	if (!o->qemu && s->qemu)
		o->qemu = s->qemu;
	if (!s->qemu_args.n)
		return 0;
	for (size_t i = 0; i < s->qemu_args.n; i++)
		if (s2e_strv_add(extra, s->qemu_args.v[i]))
			return -1;
	for (size_t i = 0; i < o->extra.n; i++)
		if (s2e_strv_add(extra, o->extra.v[i]))
			return -1;
	o->extra = *extra;
	return 0;
}

void s2e_vm_settings_free(struct s2e_vm_settings *s)
{
	s2e_strv_clear(&s->qemu_args);
	s2e_config_free(&s->cfg);
}
