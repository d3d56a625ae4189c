/* `s2e vm push` and `s2e vm pull` (SPEC §8.2): one call each, on top of
 * storevm.h (the store's steps) and vmtx.h (the local VM's transaction).
 * Nothing here prints; steps go to report->step.
 *
 *   push: the VM's files in order (disk.s2e, then each snapshot in the order
 *         taken); for each, the chunks the store lacks (jobs in parallel),
 *         then its index under its digest's name, then every chunk it names
 *         confirmed (s2e_chunk_confirm: a gc may have removed some before the
 *         index was there); then the manifest, with the pusher ($USER@host),
 *         the time and the history commit the VM was at; then the indexes
 *         under their files' names, and older copies pruned (storevm.h).  A
 *         VM of that name already in the store is S2E_EEXISTS unless
 *         S2E_VMOP_FORCE.  The VM's mark is held (s2e_vm_use) throughout, so
 *         it cannot be deleted under the push.  Then one history commit
 *         "vm push NAME STORE" (vm.config's `updated`).
 *         Unchanged files are not read: a file whose index the index cache
 *         (digest-cache.h) holds for it as it is now goes through
 *         s2e_chunk_known() (each chunk only looked up and touched in the
 *         store; a missing one read and checked against its ID), and every
 *         index computed is cached.  When every file is so known and the
 *         store's manifest of that name already lists exactly these files
 *         (names in order, sizes, digests), nothing is written to the store
 *         and no S2E_VMOP_FORCE is needed (nothing is replaced); with it, only
 *         the manifest is rewritten.  This trusts the store's manifest as
 *         the design does everywhere: the indexes it names are fixed by those
 *         digests, and the chunks they name are kept by gc and checked by
 *         verify.  stats then count every chunk as present.
 *   pull: the manifest (hardened parser; its name must be the one asked
 *         for), then every file's index (checked against the manifest's size
 *         and digest) into the staging directory, then the free space: the
 *         data the indexes name (all but all-zero chunks) must fit in the
 *         file system of S2EDIR; then each file's chunks, written sparse
 *         into the transaction's staging directory, every chunk checked against its ID
 *         and the file's sha256-1m digest against the manifest; then
 *         vm.config (the manifest's [vm] and [snapshot] sections, origin "pull
 *         of STORE/NAME") and one commit "vm pull STORE/NAME LOCALNAME".
 *         Chunks are seeded from every local VM: each file whose index the
 *         index cache holds (pushed, pulled or digested before, unchanged
 *         since) at no cost, and the files of LOCALNAME (being replaced) and
 *         of the VMs whose origin is a pull of the same STORE/NAME even when
 *         not cached (hashed, holes skipped, then cached).  A seeded chunk
 *         is read and checked against its ID like a fetched one.  The pulled
 *         files' indexes go into the index cache.  Any failure leaves
 *         nothing behind (the transaction's staging goes).
 *
 * A progress bar (report->progress_fd on a terminal) covers all the files:
 * chunks, bytes sent or fetched and skipped, rate, ETA; it is erased before
 * each step line.
 *
 * stats sums the files' s2e_chunk_stats (stored/present for push,
 * fetched/seeded for pull). */
#ifndef S2E_STOREOPS_H
#define S2E_STOREOPS_H

#include "s2e/chunkio.h"
#include "s2e/vmops.h"

/* Split "STORE/NAME" at its last '/': *store and *name malloc'd.  For push
 * (name_optional), "STORE/NAME" is split only when STORE already holds a
 * store, the same rule for every kind: a directory (path or file://) with
 * chunks/ or vm/, an s3:// URL with an object under vm/ or chunks/ (asked
 * with one listing); otherwise the operand is the store alone and *name is
 * NULL. */
int s2e_store_operand(const char *operand, int name_optional, char **store, char **name);

int s2e_vm_push(const char *root, const char *name, const char *store, const char *remote,
		unsigned jobs, int flags, const struct s2e_vm_report *r, struct s2e_chunk_stats *stats);
int s2e_vm_pull(const char *root, const char *store, const char *remote, const char *name,
		unsigned jobs, int flags, const struct s2e_vm_report *r, struct s2e_chunk_stats *stats);

#endif
