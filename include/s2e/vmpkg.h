/* `s2e vm import` and `s2e vm export` (SPEC §3, §4.1, §7): the porcelain
 * parses, calls one of these, and reports.  Nothing here prints: each step
 * done goes to report->step ("[ OK ] TEXT"), a skipped package member to
 * report->warn ("[WARN] TEXT"), the export's target to report->info
 * ("[INFO] TEXT"); the plumbing draws its progress bar on
 * report->progress_fd when that is a terminal (-1: none).
 *
 * Import runs s2e-unpack (or, for a raw image file, s2e-snapcp and
 * s2e-digest) into the staging directory of one VM transaction; s2e-unpack
 * treats the package as untrusted and verifies it (SPEC §4.1), and reports on
 * its status descriptor (include/s2e/record.h) what it extracted and the
 * metadata of the manifest it validated.  The package's metadata (the
 * manifest's copy of the exporter's vm.config, or a vm.config member) is
 * parsed once, by s2e-unpack, which writes it as staging/vm.config; the new
 * vm.config starts from that (settings and unknown keys kept), with this
 * import's size, times, origin and digest and the snapshots in the order
 * taken (s2e/snapshot.h; hand-made ones by the member times s2e-unpack
 * restored).  An s2e-env image.json, extracted unparsed, is mapped by
 * s2e_env_json_apply() (s2e/s2eenv.h).  The manifest is not kept in the
 * VM.  The VM appears and is recorded in one step, or not at all.
 *
 * Export runs s2e-pack on the VM directory without the S2EDIR lock (so that
 * `s2e vm export A - | s2e vm import - B` cannot deadlock); s2e-pack writes
 * FILE complete or not at all.  Then it takes the lock, checks that the VM
 * still exists, sets its vm.config's `updated` and records the export in
 * the history, so that `git log -- vm/NAME` shows it.  With FILE "-" the
 * package goes to standard output, which is pointed at /dev/null once the
 * package is written so that a reader sees its end before the lock is
 * awaited. */
#ifndef S2E_VMPKG_H
#define S2E_VMPKG_H

#include "s2e/vmops.h"

struct s2e_pkg_report {
	struct s2e_vm_report vm; /* step, data, progress_fd */
	void (*warn)(void *data, const char *text);
	void (*info)(void *data, const char *text);
};

enum {
	S2E_PKG_FORCE = 1 << 0, /* import: replace VM NAME; export: replace FILE */
	S2E_PKG_RAW = 1 << 1,	/* import: FILE is a raw disk image */
};

/* Create VM `name` in S2EDIR `root` from package `file` ("-": standard
 * input).  name NULL: the name the package's manifest gives (S2E_EUSAGE
 * when it has none, or for a raw image; S2E_EINVALID when it is no valid
 * VM name). */
int s2e_vm_import(const char *root, const char *file, const char *name, int flags,
		  const struct s2e_pkg_report *report);

/* Package VM `name` into `file`: NULL for ./NAME.tar.gz (.tar.zst, .tar by
 * format), a directory for that name inside it, "-" for standard output.
 * format: "gzip", "zstd" or "none", or NULL for the one FILE's suffix names
 * (.tar.gz/.tgz gzip, .tar.zst/.tzst zstd, .tar none; gzip for any other);
 * a format the suffix contradicts is S2E_EUSAGE. */
int s2e_vm_export(const char *root, const char *name, const char *file, const char *format,
		  int flags, const struct s2e_pkg_report *report);

/* 0 if format is one export knows, else -1 with the error set. */
int s2e_pkg_format_check(const char *format);

#endif
