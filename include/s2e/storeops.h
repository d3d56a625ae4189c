/* `s2e vm push` and `s2e vm pull` (SPEC §8.2): one call each, on top of
 * storevm.h (the store's steps) and vmtx.h (the local VM's transaction).
 * Nothing here prints; steps go to report->step.
 *
 *   push: the VM's files in order (disk.s2e, then each snapshot in the order
 *         taken); for each, the chunks the store lacks (jobs in parallel),
 *         then its index; then the manifest last, with the pusher
 *         ($USER@host), the time and the history commit the VM was at.  A
 *         VM of that name already in the store is S2E_EEXISTS unless
 *         S2E_VMOP_FORCE.  The VM's mark is held (s2e_vm_use) throughout, so
 *         it cannot be deleted under the push.  Then one history commit
 *         "vm push NAME STORE" (vm.config's `updated`).
 *   pull: the manifest (hardened parser; its name must be the one asked
 *         for), then for each file its index (checked against the
 *         manifest's size and digest) and its chunks, written sparse into the
 *         transaction's staging directory, every chunk checked against its ID
 *         and the file's sha256-1m digest against the manifest; then
 *         vm.config (the manifest's [vm] and [snapshot] sections, origin "pull
 *         of STORE/NAME") and one commit "vm pull STORE/NAME LOCALNAME".
 *         Chunks are seeded from local VMs that may share them: LOCALNAME
 *         (being replaced) and the VMs whose origin is a pull of the same
 *         STORE/NAME; their files are indexed (hashed, holes skipped) first,
 *         and a seeded chunk is still checked against its ID.  Any
 *         failure leaves nothing behind (the transaction's staging goes).
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
