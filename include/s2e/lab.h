/* Reading a lab's history (SPEC §5): this host's history (HEAD) and every
 * other host's as pulled from the remotes (see s2e/remote.h):
 *
 *   HEAD                                  this S2EDIR, host id s2e.hostId
 *   refs/s2e/remotes/REMOTE/hosts/HOSTID  host HOSTID as REMOTE had it
 *
 * Across the lab an experiment is HOSTID/EXPNAME: experiment names are only
 * unique on one host.  A host may be known through several remotes; its
 * newest history is the tip that contains the others (or, when they have
 * diverged, the one with the newest commit). */
#ifndef S2E_LAB_H
#define S2E_LAB_H

#include <stddef.h>

#include "s2e/hostid.h"

/* For git_revwalk_push_glob(): every host's history pulled from any remote. */
#define S2E_LAB_HOSTS_GLOB "refs/s2e/remotes/*/hosts/*"

/* Split "HOSTID/EXPNAME" and check both parts; *exp points into key. */
int s2e_lab_key_parse(const char *key, char hostid[S2E_HOSTID_MAX + 1], const char **exp);

/* The commit id (hex) of host hostid's newest known history; 1 when the
 * host is not known here. */
int s2e_lab_host_tip(const char *root, const char *hostid, char oid[41]);

/* The file `path` (relative to S2EDIR) in host hostid's newest history:
 * *text is malloc'd and NUL-terminated, *len its length (len may be NULL).
 * 1 when the host or the file is not known. */
int s2e_lab_read(const char *root, const char *hostid, const char *path, char **text,
		 size_t *len);

/* The experiment record HOSTID/EXPNAME as git-config text (record.conf) and
 * the copy of the S2E config file it ran with (*config NULL when there is
 * none; config may be NULL).  1 when there is no such record; the error
 * then says whether the host or the experiment is unknown. */
int s2e_lab_record(const char *root, const char *key, char **record, char **config);

/* Every commit of every known host's history (HEAD and S2E_LAB_HOSTS_GLOB),
 * each once, newest first (author time) but never before one of its
 * children, ties by commit id, so that hosts that have pulled the same
 * histories list them in the same order.  *oids
 * is malloc'd; 1 (and none) when there is no history at all. */
typedef char s2e_oid_hex[41];
int s2e_lab_commits(const char *root, s2e_oid_hex **oids, size_t *n);

#endif
