/* S2E's s2e-env keeps an image as a directory (SPEC §9):
 *
 *   images/NAME/image.raw.s2e          the raw disk
 *   images/NAME/image.raw.s2e.SNAP     one file per snapshot (s2e-env's is "ready")
 *   images/NAME/image.json             what s2e-env's launch scripts read:
 *       {"name": "debian-9.2.1-i386", "image_group": "linux",
 *        "memory": "256M", "qemu_build": "i386",
 *        "qemu_extra_flags": "-net none -net nic,model=e1000 ",
 *        "snapshot": "ready", "version": 3, "description": "...",
 *        "os": {"name": "debian", "version": "9.2.1", "arch": "i386",
 *               "build": "", "binary_formats": ["elf"]}, ...}
 *
 * Importing makes a VM of it, one transaction: the disk and the snapshots
 * copied (reflink, else sparse), image.json (read with the hardened JSON
 * reader, s2e/json.h) mapped into vm.config:
 *   memory            run.memory, and each snapshot's remembered memory
 *   qemu_extra_flags  run.qemuArg, one value per word, but for "-net none"
 *                     and "-net nic,model=M", which give run.nic M (and
 *                     each snapshot's remembered NIC)
 *   os.name/version/arch/build, description
 *                     image.os, image.version, image.arch, image.build,
 *                     image.description
 *   name, image_group, qemu_build, snapshot, version, qemu_extra_flags
 *                     kept as they were under [s2e-env] (name, imageGroup,
 *                     qemuBuild, snapshot, version, qemuExtraFlags)
 * Snapshots are ordered by their files' modification times. */
#ifndef S2E_S2EENV_H
#define S2E_S2EENV_H

struct s2e_meta;
struct s2e_vm_report;

#define S2E_ENV_DISK "image.raw.s2e"
#define S2E_ENV_JSON "image.json"

/* Import directory dir as VM name (NULL: image.json's name, else the
 * directory's).  flags: S2E_VMOP_FORCE (s2e/vmops.h).  *used (may be NULL)
 * is the name used, malloc'd. */
int s2e_vm_import_s2e_env(const char *root, const char *dir, const char *name, int flags,
			  const struct s2e_vm_report *report, char **used);

/* dir/image.json (if there is one; read with the hardened JSON reader)
 * mapped into meta as an import maps it: the settings, and for each
 * snapshot meta lists the memory and NIC it was taken with and, when it
 * records none, digest as its disk's.  For packages holding an s2e-env
 * image directory (s2e/package.h). */
int s2e_env_json_apply(const char *dir, const char *digest, struct s2e_meta *meta);

/* Write VM vm as the s2e-env image directory dir (which must not exist; it
 * is made in a temporary directory next to it and renamed into place):
 * disk and snapshots copied (reflink or sparse), image.json from the
 * imported one (kept in s2e-env.imageJson) with the settings of now
 * (run.memory, run.nic and run.qemuArg as qemu_extra_flags, image.*, the
 * snapshot s2e-env named, else the last).  The VM is marked in use while
 * it is copied. */
int s2e_vm_export_s2e_env(const char *root, const char *vm, const char *dir,
			  const struct s2e_vm_report *report);

#endif
