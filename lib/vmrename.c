/* s2e vm rename: see include/s2e/vmops.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/names.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/vmops.h"
#include "s2e/vmtx.h"

/* NEW, checked as a new VM's name is (the typed rules and git's), and free. */
static int check_new(const char *root, const char *name)
{
	char *dir;
	struct stat st;
	int rc;

	if ((rc = s2e_vmtx_name_check(name)))
		return rc;
	if (!(dir = s2e_vm_dir(root, name)))
		return -1;
	if (lstat(dir, &st) == 0)
		rc = s2e_error_set(S2E_EEXISTS, "VM %s already exists", s2e_q(name));
	else if (errno != ENOENT)
		rc = s2e_error_errno("cannot read VM %s", s2e_q(name));
	free(dir);
	return rc;
}

/* vm/OLD -> vm/NEW, never over anything; `back` undoes it. */
static int move(const char *root, const char *from, const char *to, int back)
{
	char *src = s2e_vm_dir(root, back ? to : from), *dst = s2e_vm_dir(root, back ? from : to);
	char *vmdir = s2e_path_join(root, "vm");
	int rc = -1;

	if (src && dst && vmdir) {
		rc = renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE);
		if (rc)
			rc = errno == EEXIST ? s2e_error_set(S2E_EEXISTS, "VM %s already exists",
							     s2e_q(back ? from : to))
					     : s2e_error_errno("cannot rename VM %s to %s",
							       s2e_q(back ? to : from),
							       s2e_q(back ? from : to));
		if (!rc)
			rc = s2e_fsync_dir(vmdir);
	}
	free(src);
	free(dst);
	free(vmdir);
	return rc;
}

int s2e_vm_rename(const char *root, const char *from, const char *to,
		  const struct s2e_vm_report *r)
{
	struct s2e_vmtx tx;
	struct s2e_error_state saved;
	char *subject = NULL, *body = NULL, *to_path = NULL;
	int rc;

	if (!strcmp(from, to))
		return s2e_error_set(S2E_EUSAGE, "OLD and NEW are the same name");
	if ((rc = s2e_vm_name_check(to)))
		return s2e_error_set(S2E_EINVALID, "%s", s2e_error_last());
	if ((rc = s2e_vmtx_begin(&tx, root, from, S2E_VMTX_UPDATE)))
		return rc;
	if ((rc = s2e_vm_in_use(root, from)) || (rc = check_new(root, to)))
		goto out;
	subject = s2e_asprintf("vm rename %s %s", s2e_sq(from), s2e_sq(to));
	body = s2e_asprintf("VM: %s\nRenamed from: %s\n", to, from);
	to_path = s2e_asprintf("vm/%s", to);
	if (!subject || !body || !to_path || (rc = move(root, from, to, 0))) {
		rc = rc ? rc : -1;
		goto out;
	}
	/* One commit: vm/OLD gone, vm/NEW the same files (git sees a rename). */
	rc = s2e_vmtx_commit(&tx, subject, body, (const char *const[]){to_path}, 1);
	if (rc) {
		s2e_error_save(&saved);
		move(root, from, to, 1);
		s2e_error_restore(&saved);
	}
out:
	s2e_vmtx_end(&tx);
	if (rc == 0)
		s2e_vm_step(r, "rename %s to %s", from, to);
	free(subject);
	free(body);
	free(to_path);
	return rc;
}
