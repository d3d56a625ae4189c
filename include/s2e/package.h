/* VM packages (SPEC §4.1): a pax tar of disk.s2e and disk.s2e.SNAP files,
 * holes as sparse entries, plus the manifest (include/s2e/manifest.h) as the
 * last member; gzip (parallel, see zwriter.h), zstd or uncompressed.
 *
 * s2e_pack() writes one; s2e_unpack() reads one from an untrusted source and
 * extracts it into a directory (or only checks or lists it). */
#ifndef S2E_PACKAGE_H
#define S2E_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "s2e/digest.h"
#include "s2e/manifest.h"
#include "s2e/meta.h"
#include "s2e/zsource.h"
#include "s2e/zwriter.h"

struct s2e_progress;

/* Default bound on one member's apparent size (4 TiB; --max-size). */
#define S2E_UNPACK_MAX_SIZE (4ULL << 40)
/* Default bounds on a whole package (--max-snapshots, --max-total): the
 * number of snapshot files, and the sum of the apparent sizes of the disk
 * and the snapshots (16 times the per-file bound). */
#define S2E_UNPACK_MAX_SNAPSHOTS 1024
#define S2E_UNPACK_MAX_TOTAL	 (64ULL << 40)
/* Bound on the bytes of one member's headers: pax attributes and the GNU
 * sparse map.  It bounds the memory libarchive uses for the map (below
 * 32 MiB) and still allows some 100 000 data extents per file. */
#define S2E_UNPACK_HEADER_MAX (1024 * 1024)

/* The files of VM directory dir in package order: disk.s2e, then the
 * snapshots in the order vm.config records them, then unrecorded ones by
 * modification time.  Other files are not package members. */
int s2e_package_members(const char *dir, char ***files, size_t *n);
void s2e_package_members_free(char **files, size_t n);

/* The snapshot name of a member file name ("disk.s2e.ready" -> "ready"),
 * NULL for disk.s2e. */
const char *s2e_package_snap(const char *file);

struct s2e_pack_opts {
	enum s2e_zformat format;
	int level;		   /* 0: default */
	unsigned threads;	   /* 0: all cores */
	const char *name;	   /* for the manifest; NULL: the directory's name */
	const char *exported_from; /* for the manifest; may be NULL */
	struct s2e_progress *progress;
	/* Called after each file is packed (may be NULL). */
	void (*packed)(void *ctx, const char *file, const char *digest);
	void *ctx;
};

struct s2e_pack_result {
	char sha256[65]; /* of the package bytes written */
	uint64_t bytes;
};

int s2e_pack(const char *dir, int out_fd, const struct s2e_pack_opts *opts,
	     struct s2e_pack_result *result);

enum s2e_unpack_mode {
	S2E_UNPACK_EXTRACT,
	S2E_UNPACK_CHECK, /* read and verify everything, write nothing */
	S2E_UNPACK_LIST,  /* read the headers only */
};

enum s2e_unpack_event {
	S2E_UNPACK_SKIPPED,   /* a member that is not a VM file: name as in the archive */
	S2E_UNPACK_EXTRACTED, /* a VM file fully written (not yet verified) */
};

struct s2e_unpack_opts {
	enum s2e_unpack_mode mode;
	unsigned threads;  /* 0: all cores */
	uint64_t max_size; /* one file's apparent size; 0: S2E_UNPACK_MAX_SIZE */
	uint64_t max_total; /* all files' apparent sizes; 0: S2E_UNPACK_MAX_TOTAL */
	unsigned max_snapshots; /* 0: S2E_UNPACK_MAX_SNAPSHOTS */
	int no_sync;	   /* do not wait for the data to reach the disk */
	struct s2e_progress *progress;
	/* digest: of an extracted file, NULL for a skipped one or in LIST mode */
	void (*event)(void *ctx, enum s2e_unpack_event ev, const char *name, uint64_t size,
		      const char *digest);
	void *ctx;
};

struct s2e_unpack_file {
	char *file; /* disk.s2e, disk.s2e.SNAP */
	uint64_t size;
	uint64_t stored;	     /* data bytes in the archive (not holes) */
	char digest[S2E_DIGEST_LEN]; /* computed while reading ("" in LIST mode) */
};

struct s2e_unpack_result {
	const char *compression; /* gzip, zstd, none (or what libarchive found) */
	char sha256[65];	 /* of the package bytes read */
	uint64_t bytes;
	struct s2e_unpack_file *files; /* package order */
	size_t nfiles;
	int has_manifest;
	struct s2e_manifest manifest;
	char *manifest_text;
	size_t manifest_len;
	char *leading_dir; /* "MyBox" for MyBox/disk.s2e packages, else NULL */
	/* A vm.config member (a tar of a VM directory): the metadata read
	 * from it with the hardened reader (s2e/meta.h). */
	int has_vmconfig;
	struct s2e_meta vmmeta;
	/* An s2e-env image directory (s2e/s2eenv.h): image.raw.s2e[.SNAP]
	 * members are taken as disk.s2e[.SNAP], image.json is extracted as
	 * it is (not parsed: the importer maps it). */
	int has_image_json;
};

/* Read a package from in_fd.  In EXTRACT mode the files are created in
 * dir_fd (which should be an empty staging directory) with O_EXCL and
 * O_NOFOLLOW, holes restored (zero blocks are not written), the manifest
 * too, and made durable (fdatasync) unless no_sync; on failure every file
 * created is removed again.  Success means:
 * the stream is intact, every member is acceptable (SPEC §4.1), there is a
 * disk.s2e, and sizes and digests agree with the manifest if there is one. */
int s2e_unpack(int in_fd, int dir_fd, const struct s2e_unpack_opts *opts,
	       struct s2e_unpack_result *result);
/* Copy a raw disk image from in_fd into dir_fd as disk.s2e, zero blocks left
 * as holes, digest computed on the way (result->files[0]). */
int s2e_unpack_raw(int in_fd, int dir_fd, const struct s2e_unpack_opts *opts,
		   struct s2e_unpack_result *result);
void s2e_unpack_result_free(struct s2e_unpack_result *result);

#endif
