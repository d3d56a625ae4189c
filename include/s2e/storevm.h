/* VMs in a store (SPEC §8.1, §8.2): the steps `s2e vm push`, `s2e vm pull`
 * and `s2e store list|verify|gc` are made of, on top of store.h, chunkio.h
 * and storemanifest.h.
 *
 *   push:   s2e_chunk_fd() for each file (chunks the store lacks, index into a
 *           temporary), s2e_store_vm_put_version() for each, then
 *           s2e_store_vm_write() (it syncs the store first, then puts the
 *           manifest by atomic rename or one PUT), then
 *           s2e_store_vm_put_index() for each file and s2e_store_vm_prune().
 *   pull:   s2e_store_vm_read(), then for each file s2e_store_vm_get_index()
 *           (checked against the manifest's size and digest) and
 *           s2e_unchunk_file() with expect_size set.
 *   list:   s2e_store_list_vms() and s2e_store_vm_read().
 *   verify: s2e_store_vm_verify().
 *   gc:     s2e_store_gc().
 *
 * Objects of VM NAME: vm/NAME/vm.config, vm/NAME/FILE.caibx, and a copy of
 * each index of the version the manifest names under the name of the file's
 * digest, vm/NAME/index/HEX.caibx (HEX: the digest without "sha256-1m:").
 * The manifest is the commit point: the copies under digest names are written
 * before it, FILE.caibx (the name casync users read) after it, so that a push
 * interrupted at any moment leaves a manifest whose every index is in the
 * store, under its digest's name if not (yet) under FILE.caibx.  Messages
 * name the objects as STORE/vm/NAME/FILE. */
#ifndef S2E_STOREVM_H
#define S2E_STOREVM_H

#include <stdint.h>
#include <time.h>

#include "s2e/chunkio.h"
#include "s2e/storemanifest.h"

struct s2e_store;
struct s2e_store_conn;

/* Fetch and parse (hardened) the manifest of vm: 1, 0 when the store has no
 * such VM (message set), -1 on error. */
int s2e_store_vm_read(struct s2e_store_conn *c, const char *vm, struct s2e_store_manifest *m);
/* Make what was written so far durable, then put the manifest.  Without
 * replace, a VM of that name already in the store is an error:
 * S2E_EEXISTS. */
int s2e_store_vm_write(struct s2e_store_conn *c, const char *vm, const struct s2e_store_manifest *m,
		       int replace);
/* Upload an index (len bytes of fd from offset 0) as vm/NAME/FILE.caibx. */
int s2e_store_vm_put_index(struct s2e_store_conn *c, const char *vm, const char *file, int fd,
			   uint64_t len);
/* Upload an index as vm/NAME/index/HEX.caibx (digest: the file's sha256-1m
 * digest); one already there is kept. */
int s2e_store_vm_put_version(struct s2e_store_conn *c, const char *vm, const char *digest, int fd,
			     uint64_t len);
/* Remove the vm/NAME/index/ copies that m does not name and that either
 * old (the manifest m replaces; may be NULL) names or are older than
 * `before` (left by interrupted pushes).  A young copy no manifest names is
 * kept: a push of the same VM running at the same time put it, and its
 * manifest may be the one that stays, FILE.caibx perhaps not. */
int s2e_store_vm_prune(struct s2e_store_conn *c, const char *vm, const struct s2e_store_manifest *m,
		       const struct s2e_store_manifest *old, time_t before);
/* How old an index copy no manifest names must be for a push to remove it. */
#define S2E_STORE_PRUNE_AGE (24 * 3600)
/* Download the index of file f into fd (seekable; emptied first), check it
 * completely (hardened reader, size and sha256-1m digest equal to the
 * manifest's), and rewind fd for s2e_unchunk_fd().  FILE.caibx first; if it
 * is missing or is not the file the manifest names, the copy under the
 * digest's name; the error is FILE.caibx's if neither fits. */
int s2e_store_vm_get_index(struct s2e_store_conn *c, const char *vm, const struct s2e_store_file *f,
			   int fd);

/* Every file of vm: its index checked against the manifest, every chunk
 * present, decompressing within bounds and matching its ID.  total sums the
 * files' stats.  -1 with the first problem found. */
int s2e_store_vm_verify(struct s2e_store *st, const char *vm, unsigned jobs,
			struct s2e_chunk_stats *total);

struct s2e_store_gc_stats {
	uint64_t indexes;	/* indexes read (every .caibx under vm/) */
	uint64_t referenced;	/* distinct chunks they reference */
	uint64_t chunks;	/* chunks in the store */
	uint64_t removed;	/* chunks removed (or, dry run, that would be) */
	uint64_t removed_bytes; /* their stored size */
	uint64_t recent;	/* unreferenced, but newer than the grace period: kept */
	uint64_t temporaries;	/* stale temporaries removed */
};

/* Remove the chunks no index references and that are older than `grace`
 * seconds, and stale temporaries.  Every index under vm/ counts, with or
 * without a manifest (a push writes its indexes before its manifest); an
 * index that cannot be read or parsed stops gc before anything is removed.
 * A push running at the same time is safe: it writes new chunks (recent) and
 * touches the ones it finds present (recent again); gc also re-checks a
 * chunk's time just before removing it on a directory store. */
int s2e_store_gc(struct s2e_store *st, time_t grace, int dry_run, struct s2e_store_gc_stats *s);

#endif
