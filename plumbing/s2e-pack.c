/* s2e-pack: write a VM directory as a package stream (SPEC §4, §4.1). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/package.h"
#include "s2e/pgzip.h"
#include "s2e/progress.h"
#include "s2e/quote.h"

static const char usage[] =
    "usage: s2e-pack [-o FILE|-] [--format=gzip|zstd|none] [-1...-9] [-j N] [-f] DIR\n"
    "\n"
    "  -o, --output FILE     write the package to FILE (appears complete or not at\n"
    "                        all) instead of standard output ('-')\n"
    "  -f, --force           replace an existing FILE\n"
    "      --format FORMAT   gzip (default, parallel), zstd or none\n"
    "  -1 ... -9             compression level (gzip default 6, zstd default 3)\n"
    "  -j, --jobs N          compress on N threads (default: all cores)\n"
    "      --name NAME       VM name recorded in the manifest (default: DIR's name)\n"
    "      --exported-from TEXT  provenance recorded in the manifest\n"
    "      --progress[=FD]   show a progress bar on standard error (or FD) when\n"
    "                        it is a terminal\n"
    "      --status-fd FD    write 'packed DIGEST FILE' and 'package sha256:HEX BYTES'\n"
    "                        lines to file descriptor FD\n"
    "  -v, --verbose         print each file's digest on standard error\n"
    "  -h, --help            show this help\n";

static int verbose;

/* A bad option value: the message, the usage, exit status 2. */
static int bad_arg(void)
{
	fprintf(stderr, "s2e-pack: %s\n%s", s2e_error_last(), usage);
	return 2;
}
static FILE *status;

static void packed(void *ctx, const char *file, const char *digest)
{
	(void)ctx;
	if (verbose)
		fprintf(stderr, "s2e-pack: %s  %s\n", digest, file);
	if (status) {
		fprintf(status, "packed %s %s\n", digest, file);
		fflush(status);
	}
}

static int die(const char *msg)
{
	fprintf(stderr, "s2e-pack: %s\n", msg);
	return 1;
}

/* O_TMPFILE in FILE's directory, linked into place at the end. */
static int open_output(const char *path, int force, char **tmp)
{
	char *dir = s2e_strdup(path), *slash;
	int fd;

	*tmp = NULL;
	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (!force && !access(path, F_OK)) {
		free(dir);
		return s2e_error("%s already exists (use -f to replace it)", s2e_q(path));
	}
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		*tmp = s2e_asprintf("%s.s2e-pack-XXXXXX", path);
		fd = *tmp ? mkostemp(*tmp, O_CLOEXEC) : -1;
		if (fd >= 0)
			fchmod(fd, 0644);
	}
	if (fd < 0)
		s2e_error_errno("cannot create a temporary file in %s", s2e_q(dir));
	free(dir);
	return fd;
}

static int commit_output(int fd, const char *tmp, const char *path, int force)
{
	char proc[64];

	if (fsync(fd))
		return s2e_error_errno("cannot write %s", s2e_q(path));
	if (tmp) {
		if (!force && !access(path, F_OK))
			return s2e_error("%s already exists", s2e_q(path));
		if (rename(tmp, path))
			return s2e_error_errno("cannot create %s", s2e_q(path));
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (force)
		unlink(path);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		return s2e_error_errno("cannot create %s", s2e_q(path));
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_FORMAT = 0x100, OPT_NAME, OPT_FROM, OPT_PROGRESS, OPT_STATUS_FD };
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"jobs", required_argument, NULL, 'j'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"exported-from", required_argument, NULL, OPT_FROM},
	    {"progress", optional_argument, NULL, OPT_PROGRESS},
	    {"status-fd", required_argument, NULL, OPT_STATUS_FD},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct s2e_pack_opts o = {.format = S2E_Z_GZIP, .packed = packed};
	struct s2e_pack_result res;
	const char *output = "-";
	char *tmp = NULL;
	int c, force = 0, progress = -1, fd = 1, rc;

	/* Member names are UTF-8: let libarchive see a UTF-8 locale. */
	setlocale(LC_CTYPE, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8"))
		setlocale(LC_CTYPE, "C.UTF-8");
	while ((c = getopt_long(argc, argv, "+o:fj:vh123456789", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "gzip"))
				o.format = S2E_Z_GZIP;
			else if (!strcmp(optarg, "zstd"))
				o.format = S2E_Z_ZSTD;
			else if (!strcmp(optarg, "none"))
				o.format = S2E_Z_NONE;
			else {
				fprintf(stderr, "s2e-pack: unknown format %s\n%s", s2e_q(optarg),
					usage);
				return 2;
			}
			break;
		case 'j':
			if (s2e_parse_jobs(optarg, &o.threads))
				return bad_arg();
			break;
		case OPT_NAME:
			o.name = optarg;
			break;
		case OPT_FROM:
			o.exported_from = optarg;
			break;
		case OPT_PROGRESS:
			progress = 2;
			if (optarg && s2e_parse_fd(optarg, &progress))
				return bad_arg();
			break;
		case OPT_STATUS_FD:
			if (!(status = s2e_fdopen_arg(optarg, "w")))
				return bad_arg();
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			if (c >= '1' && c <= '9') {
				o.level = c - '0';
				break;
			}
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "s2e-pack: expected one DIR\n%s", usage);
		return 2;
	}
	if (!strcmp(output, "-")) {
		if (isatty(1))
			return die("refusing to write a package to a terminal (use -o FILE)");
	} else {
		fd = open_output(output, force, &tmp);
		if (fd < 0)
			return die(s2e_error_last());
	}
	if (progress >= 0) {
		char **files;
		size_t nfiles;
		uint64_t total = 0, a;
		if (!s2e_package_members(argv[optind], &files, &nfiles)) {
			for (size_t i = 0; i < nfiles; i++) {
				char *p = s2e_path_join(argv[optind], files[i]);
				if (p && !s2e_allocated(p, &a))
					total += a;
				free(p);
			}
			s2e_package_members_free(files, nfiles);
		}
		o.progress = s2e_progress_start(progress, "package", total);
	}
	rc = s2e_pack(argv[optind], fd, &o, &res);
	s2e_progress_finish(o.progress);
	/* Tell the reader first: if it is gone (SIGPIPE), FILE is not created. */
	if (!rc && status && (fputs("compressed\n", status) < 0 || fflush(status)))
		rc = s2e_error("cannot write the status file descriptor");
	if (!rc && fd != 1)
		rc = commit_output(fd, tmp, output, force);
	if (rc) {
		if (tmp)
			unlink(tmp);
		return die(s2e_error_last());
	}
	if (fd != 1)
		close(fd);
	if (status) {
		fprintf(status, "package sha256:%s %llu\n", res.sha256,
			(unsigned long long)res.bytes);
		if (fclose(status))
			return die("cannot write the status file descriptor");
	}
	if (verbose)
		fprintf(stderr, "s2e-pack: sha256:%s  %llu bytes\n", res.sha256,
			(unsigned long long)res.bytes);
	free(tmp);
	return 0;
}
