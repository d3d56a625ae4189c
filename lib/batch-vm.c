/* A batch job's VM: checked against the batch's store, pulled from it when
 * this S2EDIR lacks it (see include/s2e/batch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "s2e/batch.h"
#include "s2e/digest-cache.h"
#include "s2e/digest.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/storeops.h"
#include "s2e/store.h"
#include "s2e/storevm.h"
#include "s2e/vm.h"

#define LOCK_FILE ".s2e/batch-vm.lock"

/* The disk.s2e digest of VM vm in the store, from its manifest. */
static int store_digest(const char *url, const char *vm, char out[S2E_DIGEST_LEN])
{
	struct s2e_store *st = s2e_store_open(url, NULL);
	struct s2e_store_conn *c = st ? s2e_store_conn_new(st) : NULL;
	struct s2e_store_manifest m;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	if (c) {
		rc = s2e_store_vm_read(c, vm, &m);
		if (rc == 0)
			rc = s2e_error_set(S2E_ENOTFOUND, "%s has no VM named %s",
					   s2e_store_url(st), s2e_q(vm));
		else if (rc == 1 && (!m.nfiles || strcmp(m.files[0].name, S2E_VM_DISK)))
			rc = s2e_error("%s/vm/%s/vm.config: no disk.s2e", s2e_store_url(st), vm);
		else if (rc == 1) {
			snprintf(out, S2E_DIGEST_LEN, "%s", m.files[0].digest);
			rc = 0;
		}
	}
	s2e_store_manifest_free(&m);
	if (c)
		s2e_store_conn_free(c);
	if (st)
		s2e_store_close(st);
	return rc;
}

/* S2EDIR/.s2e/batch-vm.lock, waited for: the fd, or -1. */
static int take_lock(const char *root)
{
	char *path = s2e_dir_prepare(root) ? NULL : s2e_path_join(root, LOCK_FILE);
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666) : -1;

	if (path && fd < 0)
		s2e_error_errno("cannot open %s", s2e_q(path));
	while (fd >= 0 && flock(fd, LOCK_EX))
		if (errno != EINTR) {
			s2e_error_errno("cannot lock %s", s2e_q(path));
			close(fd);
			fd = -1;
		}
	free(path);
	return fd;
}

/* Under the lock: pull a missing VM, then compare the local disk's digest. */
static int ensure_locked(const char *root, const struct s2e_batch *b, const char *vm,
			 const struct s2e_vm_report *r, struct s2e_batch_vm *out)
{
	struct s2e_chunk_stats stats;
	int exists = s2e_vm_exists(root, vm);
	char *disk;

	if (exists < 0)
		return -1;
	if (!exists) {
		if (s2e_vm_pull(root, b->store, vm, vm, 0, 0, r, &stats))
			return s2e_error_prefix("cannot pull VM %s from %s", s2e_q(vm), b->store);
		out->pulled = 1;
	}
	if (!(disk = s2e_vm_file(root, vm, NULL)))
		return -1;
	exists = s2e_digest_cached(root, disk, 0, NULL, out->local, NULL);
	free(disk);
	if (exists)
		return -1;
	if (!strcmp(out->local, out->expected))
		return 0;
	if (b->mismatch_local && !out->pulled) {
		out->mismatch = 1;
		return 0;
	}
	return s2e_error("VM %s here has disk %s, but batch %s wants %s (%s); "
			 "pull it again (s2e vm pull -f), or set store-mismatch: local",
			 s2e_q(vm), out->local, b->name, out->expected,
			 b->vm_digest ? "its vm-digest:" : b->store);
}

int s2e_batch_vm_ensure(const char *root, const struct s2e_batch *b,
			const struct s2e_batch_job *job, const struct s2e_vm_report *r,
			struct s2e_batch_vm *out)
{
	char vm[256];
	size_t n = strcspn(job->vm, ":");
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if (!b->store)
		return 0;
	if (n >= sizeof(vm))
		return s2e_error("VM name %s too long", s2e_q(job->vm));
	memcpy(vm, job->vm, n);
	vm[n] = '\0';
	if (s2e_vm_name_check(vm))
		return -1;
	if (store_digest(b->store, vm, out->expected))
		return s2e_error_prefix("batch %s: store %s", b->name, b->store);
	if (b->vm_digest && strcmp(b->vm_digest, out->expected))
		return s2e_error("batch %s: store %s has VM %s with disk %s, but the batch's "
				 "vm-digest: is %s",
				 b->name, b->store, s2e_q(vm), out->expected, b->vm_digest);
	if ((fd = take_lock(root)) < 0)
		return -1;
	rc = ensure_locked(root, b, vm, r, out);
	close(fd);
	return rc;
}
