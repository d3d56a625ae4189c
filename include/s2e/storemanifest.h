/* The manifest of a VM in a store (SPEC §8.1), STORE/vm/NAME/vm.config, in
 * git-config syntax (`git config -f vm.config --list` reads it):
 *
 *   [push]
 *           version = 1
 *           name = "MyBox"
 *           by = "alice@lab1"                  (optional)
 *           time = 2026-11-28T10:00:00.123456789Z   (optional)
 *           commit = 1f2e…                     (optional: the history commit)
 *   [file "disk.s2e"]
 *           size = 8589934592
 *           digest = sha256-1m:…
 *   [file "disk.s2e.ready"]
 *           size = 8589934592
 *           digest = sha256-1m:…
 *   [vm]                                       the VM's own vm.config (§9),
 *           size = …                           verbatim: metadata, and the
 *   [snapshot "ready"]                         snapshots in the order taken,
 *           taken = …                          each with the disk digest it
 *           disk = sha256-1m:…                 was taken against
 *
 * The file sections name disk.s2e first, then disk.s2e.SNAP for each snapshot
 * in the order of the [snapshot] sections; each file's index is
 * STORE/vm/NAME/FILE.caibx.
 *
 * The parser treats the manifest as untrusted and refuses, naming the
 * manifest and the line: syntax errors, NUL bytes, over-long text,
 * `[include]`/`[includeIf]`, duplicate keys, a bad VM or snapshot name, a
 * file name that is not disk.s2e[.SNAP] (so never "..", '/', or an absolute
 * path), a missing size or digest, a malformed digest, files that do not
 * match the snapshots one to one and in order, and an unknown version.
 * Sections it does not know are kept (in vmconfig, rewritten by the shared
 * writer) but still syntax-checked.
 *
 * The text is read by the shared hardened git-config reader and written by
 * its writer (include/s2e/config.h), so `git config -f` reads it back.
 */
#ifndef S2E_STOREMANIFEST_H
#define S2E_STOREMANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "s2e/digest.h"

#define S2E_STORE_MANIFEST	   "vm.config"
#define S2E_STORE_MANIFEST_MAX	   (1024 * 1024)
#define S2E_STORE_MANIFEST_VERSION 1

struct s2e_store_file {
	char *name; /* "disk.s2e" or "disk.s2e.SNAP" */
	uint64_t size;
	char digest[S2E_DIGEST_LEN];
};

struct s2e_store_manifest {
	int version;
	char *name;
	char *pushed_by; /* may be NULL */
	char *pushed_at; /* may be NULL */
	char *commit;	 /* may be NULL */
	struct s2e_store_file *files;
	size_t nfiles;
	char *vmconfig; /* the VM's own vm.config text; may be NULL */
};

/* malloc'd text. */
char *s2e_store_manifest_format(const struct s2e_store_manifest *m, size_t *len);
/* what names the manifest in messages (e.g. its URL). */
int s2e_store_manifest_parse(const char *text, size_t len, const char *what,
			     struct s2e_store_manifest *m);
int s2e_store_manifest_add_file(struct s2e_store_manifest *m, const char *file, uint64_t size,
				const char *digest);
/* The sum of the file sizes (for a free-space check). */
uint64_t s2e_store_manifest_bytes(const struct s2e_store_manifest *m);
void s2e_store_manifest_free(struct s2e_store_manifest *m);

/* "vm/NAME/FILE" (FILE: "vm.config", "disk.s2e.caibx"…), malloc'd; the VM
 * name is checked. */
char *s2e_store_vm_path(const char *vm, const char *file);

#endif
