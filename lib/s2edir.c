#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/experiment.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"

char *s2e_dir_resolve(const char *opt)
{
	const char *dir = opt, *home;
	char cwd[PATH_MAX];

	if (!dir || !*dir)
		dir = getenv("S2EDIR");
	if (!dir || !*dir) {
		home = getenv("HOME");
		if (!home || !*home) {
			s2e_error("cannot find S2EDIR: neither --s2edir, $S2EDIR nor $HOME is set");
			return NULL;
		}
		return s2e_path_join(home, "s2e");
	}
	if (dir[0] == '/')
		return s2e_strdup(dir);
	if (!getcwd(cwd, sizeof(cwd))) {
		s2e_error_errno("cannot resolve S2EDIR %s", s2e_q(dir));
		return NULL;
	}
	return s2e_path_join(cwd, dir);
}

int s2e_dir_prepare(const char *root)
{
	char *vm = s2e_path_join(root, "vm"), *state = s2e_path_join(root, ".s2e");
	char *trash = s2e_path_join(root, S2E_TRASH_DIR);
	int rc = -1;

	/* A user's own git repository is refused before anything is made in it. */
	if (vm && state && trash && !s2e_history_check(root) && !s2e_mkdir_p(vm, 0777) &&
	    !s2e_mkdir_p(state, 0777))
		rc = 0;
	/* Made while there is room, so that a delete needs none; without it
	 * (a full disk) a delete removes the VM in place. */
	if (rc == 0 && mkdir(trash, 0700) && errno != EEXIST && errno != ENOSPC &&
	    errno != EDQUOT)
		rc = s2e_error_errno("cannot create %s", s2e_q(trash));
	free(vm);
	free(state);
	free(trash);
	return rc;
}

char *s2e_vm_dir(const char *root, const char *name)
{
	return s2e_asprintf("%s/vm/%s", root, name);
}

char *s2e_vm_file(const char *root, const char *name, const char *snap)
{
	if (snap)
		return s2e_asprintf("%s/vm/%s/" S2E_VM_DISK ".%s", root, name, snap);
	return s2e_asprintf("%s/vm/%s/" S2E_VM_DISK, root, name);
}

static double lock_timeout(void)
{
	const char *env = getenv("S2E_LOCK_TIMEOUT");
	char *end;
	double t;

	if (!env || !*env)
		return 30;
	t = strtod(env, &end);
	return (*end || t < 0) ? 30 : t;
}

static int leftover(const char *name, int in_trash)
{
	if (in_trash)
		return strcmp(name, ".") && strcmp(name, "..");
	return !strncmp(name, S2E_STAGING_PREFIX, strlen(S2E_STAGING_PREFIX)) ||
	       !strncmp(name, S2E_TRASH_PREFIX, strlen(S2E_TRASH_PREFIX));
}

/* Staging and trash directories can only belong to a command holding the
 * lock; once we hold it, any that exist were left by a command that died.
 * In S2EDIR/.s2e/trash everything is a leftover. */
static int clean_dir(const char *root, const char *sub, int in_trash)
{
	char *vmdir = s2e_path_join(root, sub);
	DIR *dir;
	struct dirent *de;
	int rc = 0;

	if (!vmdir)
		return -1;
	dir = opendir(vmdir);
	if (!dir) {
		free(vmdir);
		return 0;
	}
	while ((de = readdir(dir))) {
		if (!leftover(de->d_name, in_trash))
			continue;
		char *path = s2e_path_join(vmdir, de->d_name);
		if (!path || s2e_remove_tree(path))
			rc = -1;
		free(path);
	}
	closedir(dir);
	free(vmdir);
	return rc;
}

static int tmp_failed(const char *top, const char *dir, const char *name)
{
	int err = errno;
	char *path = s2e_asprintf("%s/%s/%s", top, dir, name);

	errno = err;
	s2e_error_errno("cannot remove %s", path ? s2e_q(path) : "a temporary file");
	free(path);
	return -1;
}

/* The temporaries of atomic writes (vm.config, an experiment's record and
 * configuration) a killed writer left in S2EDIR/SUB/ANY/: only a command
 * holding the lock writes these files, so once we hold it they are dead.
 * Left, they would be recorded in the history (experiments/ is versioned
 * whole). */
static int clean_tmps(const char *root, const char *sub, const char *const *bases)
{
	char *top = s2e_path_join(root, sub);
	DIR *dir = top ? opendir(top) : NULL, *in;
	struct dirent *de, *f;
	int rc = top ? 0 : -1, fd;

	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !(in = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((f = readdir(in)))
			for (const char *const *b = bases; *b; b++)
				if (s2e_is_atomic_tmp(f->d_name, *b) &&
				    unlinkat(dirfd(in), f->d_name, 0) && errno != ENOENT)
					rc = tmp_failed(top, de->d_name, f->d_name);
		closedir(in);
	}
	if (dir)
		closedir(dir);
	free(top);
	return rc;
}

static int clean_leftovers(const char *root)
{
	static const char *const vm_files[] = {S2E_VM_META, NULL};
	static const char *const exp_files[] = {S2E_EXPERIMENT_RECORD, S2E_EXPERIMENT_CONFIG,
						NULL};
	int rc = clean_dir(root, "vm", 0);

	rc = clean_dir(root, S2E_TRASH_DIR, 1) ? -1 : rc;
	rc = clean_tmps(root, "vm", vm_files) ? -1 : rc;
	return clean_tmps(root, S2E_EXPERIMENTS_DIR, exp_files) ? -1 : rc;
}

int s2e_lock(const char *root, struct s2e_lock *lock)
{
	char *path;
	double waited = 0, timeout = lock_timeout();
	int fd;

	lock->fd = -1;
	if (s2e_dir_prepare(root))
		return -1;
	path = s2e_path_join(root, ".s2e/lock");
	if (!path)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		s2e_error_errno("cannot open lock %s", s2e_q(path));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			s2e_error_errno("cannot lock %s", s2e_q(path));
			goto fail;
		}
		if (waited >= timeout) {
			s2e_error_set(S2E_ELOCKED, "S2EDIR %s is busy: another s2e command holds %s "
				  "(waited %.0f s; set S2E_LOCK_TIMEOUT to wait longer)",
				  s2e_q(root), s2e_q(path), waited);
			goto fail;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		waited += 0.05;
	}
	free(path);
	lock->fd = fd;
	if (clean_leftovers(root)) {
		s2e_error_prefix("cannot clean up what an interrupted command left");
		s2e_unlock(lock);
		return -1;
	}
	return 0;
fail:
	close(fd);
	free(path);
	return s2e_error_code();
}

void s2e_unlock(struct s2e_lock *lock)
{
	if (lock->fd >= 0)
		close(lock->fd);
	lock->fd = -1;
}

/* mkdtemp makes 0700 directories; a VM gets the mode mkdir(1) would give. */
static mode_t dir_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0777 & ~mask;
}

char *s2e_staging_create(const char *root)
{
	char *path = s2e_asprintf("%s/vm/" S2E_STAGING_PREFIX "XXXXXX", root);

	if (!path)
		return NULL;
	if (!mkdtemp(path)) {
		s2e_error_errno("cannot create a staging directory in %s/vm", s2e_q(root));
		free(path);
		return NULL;
	}
	chmod(path, dir_mode());
	return path;
}

/* A name for vm/NAME while it is being removed: never listed, and cleaned by
 * the next command that takes the lock if we die before removing it. */
static char *trash_path(const char *root)
{
	char *path = s2e_asprintf("%s/vm/" S2E_TRASH_PREFIX "XXXXXX", root);

	if (path && !mkdtemp(path)) {
		s2e_error_errno("cannot create %s", s2e_q(path));
		free(path);
		return NULL;
	}
	return path;
}

static int sync_vmdir(const char *root)
{
	char *vmdir = s2e_path_join(root, "vm");
	int rc = vmdir ? s2e_fsync_dir(vmdir) : -1;

	free(vmdir);
	return rc;
}

int s2e_staging_commit(const char *root, const char *staging, const char *name, int replace)
{
	char *dst = s2e_vm_dir(root, name), *trash = NULL;
	struct stat st;
	int rc = -1;

	if (!dst)
		return -1;
	if (s2e_fsync_dir(staging))
		goto out;
	if (!replace || lstat(dst, &st)) {
		if (replace && errno != ENOENT) {
			s2e_error_errno("cannot stat %s", s2e_q(dst));
			goto out;
		}
		/* renameat2(NOREPLACE): never clobber a VM that appeared meanwhile. */
		if (renameat2(AT_FDCWD, staging, AT_FDCWD, dst, RENAME_NOREPLACE)) {
			if (errno == EEXIST || errno == ENOTEMPTY)
				s2e_error("VM %s already exists", s2e_q(name));
			else
				s2e_error_errno("cannot move %s into place as %s", s2e_q(staging),
						s2e_q(dst));
			goto out;
		}
		rc = sync_vmdir(root);
		goto out;
	}
	/* Replace: swap the new VM in with one atomic exchange, so that at every
	 * moment vm/NAME is either the old VM or the new one, then remove the old. */
	trash = trash_path(root);
	if (!trash)
		goto out;
	if (renameat2(AT_FDCWD, staging, AT_FDCWD, dst, RENAME_EXCHANGE) == 0) {
		/* staging now holds the old VM */
		if (rename(staging, trash)) {
			s2e_error_errno("cannot move old VM %s aside", s2e_q(name));
			goto out;
		}
	} else if (errno == EINVAL || errno == ENOSYS) {
		/* No exchange on this file system: two renames, old one first. */
		if (rename(dst, trash) || rename(staging, dst)) {
			s2e_error_errno("cannot replace VM %s", s2e_q(name));
			goto out;
		}
	} else {
		s2e_error_errno("cannot replace VM %s", s2e_q(name));
		goto out;
	}
	if (sync_vmdir(root))
		goto out;
	rc = s2e_remove_tree(trash);
out:
	free(dst);
	free(trash);
	return rc;
}
