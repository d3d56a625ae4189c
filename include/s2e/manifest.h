/* The package manifest (SPEC §4.1): one small member, s2e-package.conf, in
 * git-config syntax (`git config -f s2e-package.conf --list` reads it):
 *
 *   [package]
 *           version = 1
 *           name = "MyBox"
 *           created = 2026-11-28T10:00:00.123456789Z
 *           exportedFrom = "MyBox at 1f2e..."     (optional)
 *   [member "disk.s2e"]
 *           size = 8589934592
 *           digest = sha256-1m:...
 *   [member "disk.s2e.ready"]
 *           ...
 *
 * Member sections are in package order (disk, then snapshots in the order
 * they were taken).  The VM's own vm.config follows verbatim, so the package
 * carries the VM's metadata; readers ignore sections they do not know.
 *
 * The manifest is the last member of a package: its digests are computed
 * while the files are packed, so packing reads every file only once. */
#ifndef S2E_MANIFEST_H
#define S2E_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "s2e/config.h"

#define S2E_MANIFEST_NAME "s2e-package.conf"
#define S2E_MANIFEST_MAX  (1024 * 1024)

struct s2e_manifest_member {
	char *file;
	uint64_t size;
	char *digest; /* may be NULL */
};

struct s2e_manifest {
	int version;
	/* Text for people; from s2e_manifest_parse() escaped with
	 * s2e_escape_untrusted(), so safe for terminals and commits. */
	char *name;	     /* may be NULL */
	char *created;	     /* may be NULL */
	char *exported_from; /* may be NULL */
	struct s2e_manifest_member *members;
	size_t nmembers;
	struct s2e_config config; /* the whole parse, vm.config sections included */
};

/* malloc'd text; vmconfig (may be NULL) is parsed and appended through the
 * config writer (its comments are not kept; [package] and [member] sections
 * in it are left out). */
char *s2e_manifest_format(const struct s2e_manifest *m, const char *vmconfig, size_t *len);
/* Parse untrusted text with the hardened reader (s2e/config.h, at most
 * S2E_MANIFEST_MAX bytes); a malformed manifest is an error naming the line.
 * Member names must be disk.s2e or disk.s2e.SNAP with a valid snapshot name,
 * each listed once, with a size; digests must be well formed.  m->config
 * keeps the whole parse: s2e_meta_from_config() reads the VM metadata from
 * it without parsing the untrusted text a second time. */
int s2e_manifest_parse(const char *text, size_t len, struct s2e_manifest *m);
struct s2e_manifest_member *s2e_manifest_find(const struct s2e_manifest *m, const char *file);
int s2e_manifest_add(struct s2e_manifest *m, const char *file, uint64_t size, const char *digest);
void s2e_manifest_free(struct s2e_manifest *m);

/* The subsections of every [section "sub"] header of git-config text, in
 * file order (e.g. the snapshots of a vm.config, in the order taken). */
int s2e_config_subsections(const char *text, size_t len, const char *section, char ***subs,
			   size_t *n);

#endif
