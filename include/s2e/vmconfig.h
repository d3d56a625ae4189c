/* VM settings (SPEC §9), kept in the VM's metadata file vm.config next to
 * what s2e records there itself, and read and written by `s2e vm config`
 * with git-config semantics:
 *
 *   [run]                       defaults of `s2e vm run` and s2e-qemu-cmdline
 *           memory = 1G         -m (QEMU's -m forms: 512, 512M, 2G)
 *           network = user      -n: none, user or tap
 *           nic = e1000         --nic: the guest network card model
 *           build = i386:release:normal
 *           qemu = /path/to/qemu-or-wrapper
 *           qemuArg = -serial   -q, multi-valued, in order (before the
 *           qemuArg = stdio     command line's -q words)
 *   [image]                     description, as s2e-env's image.json has it
 *           os = debian
 *           version = 9.2.1
 *           arch = i386
 *           build = ...
 *           description = ...
 *
 * A command-line option wins over the setting; --qemu and $S2E_QEMU win
 * over run.qemu.  Keys are `section.key` (or `section.subsection.key`),
 * section and key case-insensitive as in git.  Keys of [run] and [image]
 * other than the above are refused when written (a typo would be silently
 * ignored otherwise); other sections take any key; [vm] and [snapshot "…"]
 * belong to s2e and are read-only.  Keys s2e does not know that are already
 * in the file are kept by every rewrite (s2e/meta.h).
 *
 * Each change is one VM transaction (s2e/vmtx.h) with one history commit
 * "vm config NAME KEY [VALUE]", refused (S2E_EINUSE) while a run uses the
 * VM. */
#ifndef S2E_VMCONFIG_H
#define S2E_VMCONFIG_H

#include "s2e/config.h"
#include "s2e/qemu.h"
#include "s2e/strv.h"

enum s2e_vmconfig_op {
	S2E_VMCONFIG_SET,   /* replace every value of KEY by VALUE */
	S2E_VMCONFIG_ADD,   /* append a value */
	S2E_VMCONFIG_UNSET, /* remove every value (S2E_ENOTFOUND when none) */
};

/* The whole vm.config of VM name (S2E_ENOTFOUND: no such VM). */
int s2e_vmconfig_read(const char *root, const char *name, struct s2e_config *cfg);
/* The values of key in cfg, in file order (borrowed; a bare key is "true"). */
int s2e_vmconfig_get(const struct s2e_config *cfg, const char *key, struct s2e_strv *values);
/* Print cfg as `git config --list` does: section[.sub].key=value, section
 * and key lower-case. */
int s2e_vmconfig_list(FILE *out, const struct s2e_config *cfg);
/* Change one key (value NULL for UNSET): checked (S2E_EUSAGE for an unknown
 * or read-only key or a bad value), then one transaction. */
int s2e_vmconfig_change(const char *root, const char *name, enum s2e_vmconfig_op op,
			const char *key, const char *value);

/* The run settings of a VM, to fill in what the command line left unset. */
struct s2e_vm_settings {
	struct s2e_config cfg; /* owns the strings below */
	const char *memory, *network, *nic, *build, *qemu;
	struct s2e_strv qemu_args; /* borrowed from cfg */
};
/* A VM without vm.config (or without settings) has none: not an error. */
int s2e_vm_settings_read(const char *root, const char *name, struct s2e_vm_settings *s);
/* Fill the fields of o the command line left unset; the stored qemuArg
 * words go before o's own -q words (into *extra, which o->extra then
 * borrows: release with s2e_strv_clear, after o is no longer used).  A bad
 * stored value is an error naming the VM and the key. */
int s2e_vm_settings_apply(const struct s2e_vm_settings *s, const char *vm,
			  struct s2e_qemu_opts *o, struct s2e_strv *extra);
void s2e_vm_settings_free(struct s2e_vm_settings *s);

#endif
