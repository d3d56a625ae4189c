/* s2e vm export [-f] NAME [FILE|-]
 *
 * Runs s2e-pack on the VM directory; s2e-pack writes FILE through an
 * anonymous temporary file linked into place at the end, so FILE is never
 * half-written.  The steps are reported as s2e-pack finishes each file (its
 * --status-fd lines); the export is recorded in the history with the
 * package's SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porcelain.h"
#include "s2e/error.h"
#include "s2e/exec.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/names.h"
#include "s2e/package.h"
#include "s2e/quote.h"
#include "s2e/s2edir.h"
#include "s2e/vm.h"

static const char usage[] =
    "usage: s2e vm export [-f] [--s2edir DIR] [--format gzip|zstd|none] NAME [FILE|-]\n"
    "   or: s2e vm export --s2e-env NAME DIR\n"
    "\n"
    "Package VM NAME into FILE (default ./NAME.tar.gz, or .tar.zst or .tar by format; a\n"
    "directory gets that name inside it; '-' writes to standard output).\n"
    "\n"
    "  -f, --force        replace an existing FILE\n"
    "  --format FORMAT    gzip (default), zstd or none\n"
    "  --s2e-env          write the s2e-env image directory DIR (image.raw.s2e,\n"
    "                     image.raw.s2e.SNAP, image.json)\n"
    "  --s2edir DIR       use DIR instead of $S2EDIR\n"
    "  -h, --help         show this help\n";

/* Absolute path of FILE without requiring FILE to exist. */
static char *absolute(const char *file)
{
	char cwd[PATH_MAX], *dir, *slash, *real, *out;

	if (file[0] == '/')
		return s2e_strdup(file);
	dir = s2e_strdup(file);
	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash) {
		free(dir);
		if (!getcwd(cwd, sizeof(cwd))) {
			s2e_error_errno("cannot get the current directory");
			return NULL;
		}
		return s2e_path_join(cwd, file);
	}
	*slash = '\0';
	real = realpath(*dir ? dir : "/", NULL);
	if (!real) {
		s2e_error_errno("cannot use directory %s", s2e_q(dir));
		free(dir);
		return NULL;
	}
	out = s2e_path_join(real, slash + 1);
	free(real);
	free(dir);
	return out;
}

static int is_directory(const char *path)
{
	struct stat st;

	return strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *package_suffix(const char *format)
{
	if (!strcmp(format, "zstd"))
		return ".tar.zst";
	if (!strcmp(format, "none"))
		return ".tar";
	return ".tar.gz";
}

static int record(const char *root, const char *name, const char *file, const char *sha,
		  const char *bytes, const char *from)
{
	char *path = s2e_asprintf("vm/%s", name);
	char *subject = s2e_asprintf("vm export %s %s", s2e_sq(name), s2e_sq(file));
	char *body = s2e_asprintf("VM: %s\nPackage: %s\nPackage digest: sha256:%s\n"
				  "Package size: %s bytes\nExported from: %s\n",
				  name, file, sha, bytes, from);
	int rc = -1;

	if (path && subject && body)
		rc = s2e_history_commit(root, (const char *const[]){path}, 1, subject, body, NULL);
	free(path);
	free(subject);
	free(body);
	return rc;
}

int cmd_vm_export(int argc, char **argv)
{
	enum { OPT_FORMAT = 0x100 };
	static const struct option options[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"help", no_argument, NULL, 'h'},
	    S2EDIR_LONGOPT,
	    {NULL, 0, NULL, 0},
	};
	const char *s2edir = NULL, *name, *file = NULL, *format = "gzip";
	char *root = NULL, *lockroot = NULL, *dir = NULL, *abs = NULL, *deflt = NULL, *from = NULL;
	char commit[41] = "", fdarg[16], line[4096], sha[65] = "", bytes[32] = "0";
	struct s2e_status st;
	struct s2e_lock lock = {-1};
	struct s2e_child child = {.pid = -1, .err_fd = -1};
	int c, force = 0, to_stdout, rc = 1, pfd[2] = {-1, -1}, tty_fd = -1;
	char progress_arg[32];
	FILE *events = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--s2e-env"))
			return cmd_vm_export_s2e_env(argc, argv);
	while ((c = getopt_long(argc, argv, "+fh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case OPT_FORMAT:
			format = optarg;
			if (strcmp(format, "gzip") && strcmp(format, "zstd") &&
			    strcmp(format, "none"))
				return usage_error(usage, "unknown format %s", s2e_q(format));
			break;
		case 'h':
			return usage_help(usage);
		case S2EDIR_OPTION:
			s2edir = optarg;
			break;
		default:
			return usage_error(usage, NULL);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error(usage, "'vm export' takes a NAME and an optional FILE");
	name = argv[optind];
	if (s2e_vm_name_check(name))
		return fail("vm export");
	if (argc - optind == 2)
		file = argv[optind + 1];
	/* No FILE, or a directory: NAME.tar.gz (.tar.zst, .tar) there, as cp(1)
	 * puts a file into a directory. */
	if (!file || is_directory(file)) {
		deflt = file ? s2e_asprintf("%s/%s%s", file, name, package_suffix(format))
			     : s2e_asprintf("%s%s", name, package_suffix(format));
		if (!deflt)
			return fail("vm export");
		file = deflt;
	}
	to_stdout = !strcmp(file, "-");
	s2e_status_init(&st, to_stdout ? stderr : stdout);
	if (to_stdout && isatty(1)) {
		s2e_error("refusing to write a package to a terminal");
		goto out;
	}
	if (!to_stdout) {
		abs = absolute(file);
		if (!abs)
			goto out;
		if (!force && !access(abs, F_OK)) {
			s2e_error("%s already exists (use -f to replace it)", s2e_q(file));
			goto out;
		}
	}
	/* Export only reads the VM: the lock is taken for the history commit
	 * only, so that `s2e vm export A - | s2e vm import - B` cannot deadlock. */
	root = porcelain_root(s2edir);
	if (!root)
		goto out;
	switch (s2e_vm_exists(root, name)) {
	case 0:
		s2e_error("no VM named %s", s2e_q(name));
		/* fall through */
	case -1:
		goto out;
	}
	dir = s2e_vm_dir(root, name);
	if (!dir)
		goto out;
	{
		char *vmpath = s2e_asprintf("vm/%s", name);
		if (!vmpath)
			goto out;
		if (s2e_history_last(root, vmpath, commit) < 0)
			commit[0] = '\0';
		free(vmpath);
	}
	from = commit[0] ? s2e_asprintf("VM %s at commit %s", name, commit)
			 : s2e_asprintf("VM %s", name);
	if (!from)
		goto out;
	if (to_stdout)
		s2e_status_info(&st, "exporting to standard output");
	else
		s2e_status_info(&st, "exporting to %s", abs);

	/* s2e-pack reports each packed file on a pipe. */
	if (pipe(pfd)) {
		s2e_error_errno("cannot create a pipe");
		goto out;
	}
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
	/* The progress bar goes to our terminal through its own descriptor. */
	tty_fd = isatty(2) ? fcntl(2, F_DUPFD, 3) : -1;
	snprintf(progress_arg, sizeof(progress_arg), "--progress=%d", tty_fd);
	{
		const char *args[16];
		int n = 0;
		args[n++] = "s2e-pack";
		args[n++] = "--format";
		args[n++] = format;
		args[n++] = "--name";
		args[n++] = name;
		args[n++] = "--exported-from";
		args[n++] = from;
		args[n++] = "--status-fd";
		args[n++] = fdarg;
		if (tty_fd >= 0)
			args[n++] = progress_arg; /* its stderr is captured */
		if (!to_stdout) {
			args[n++] = force ? "-fo" : "-o";
			args[n++] = abs;
		}
		args[n++] = dir;
		args[n] = NULL;
		if (s2e_spawn(args, -1, -1, S2E_RUN_CAPTURE_STDERR, &child))
			goto out;
	}
	close(pfd[1]);
	pfd[1] = -1;
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	events = fdopen(pfd[0], "r");
	if (!events) {
		s2e_error("out of memory");
		goto out;
	}
	pfd[0] = -1;
	while (fgets(line, sizeof(line), events)) {
		char *nl = strchr(line, '\n'), *sp;
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "packed ", 7) && (sp = strchr(line + 7, ' '))) {
			const char *snap = s2e_package_snap(sp + 1);
			if (snap)
				s2e_status_ok(&st, "package snapshot: %s", snap);
			else
				s2e_status_ok(&st, "package disk image");
		} else if (!strncmp(line, "package sha256:", 15)) {
			sscanf(line + 15, "%64s %31s", sha, bytes);
		}
	}
	c = s2e_wait(&child);
	child.pid = -1;
	if (c)
		goto out;
	s2e_status_ok(&st, "compress package");
	if (to_stdout) {
		/* Let the reader see the end of the package now. */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		fflush(stdout);
		if (null >= 0) {
			dup2(null, 1);
			close(null);
		}
	}
	if (porcelain_lock(s2edir, &lockroot, &lock))
		goto out;
	if (record(root, name, to_stdout ? "-" : file, sha, bytes, from))
		goto out;
	s2e_status_ok(&st, "clean up");
	rc = 0;
out:
	if (child.pid > 0)
		s2e_wait(&child);
	if (events)
		fclose(events);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (tty_fd >= 0)
		close(tty_fd);
	s2e_unlock(&lock);
	free(lockroot);
	free(root);
	free(dir);
	free(abs);
	free(deflt);
	free(from);
	return rc ? fail("vm export") : 0;
}
