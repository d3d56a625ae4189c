/* Remotes and history sharing (a lab's history, SPEC §5): S2EDIRs on many
 * hosts share their histories through one git repository (a bare one on a
 * shared file system, over ssh, or https), each host writing only its own
 * ref there, so that no two hosts ever update the same ref:
 *
 *   refs/s2e/hosts/HOSTID                 on the remote: host HOSTID's history
 *                                         (its HEAD), pushed by that host only,
 *                                         never forced
 *   refs/s2e/remotes/REMOTE/hosts/HOSTID  here: each host's history as the last
 *                                         pull (or our own push) saw it on REMOTE
 *
 * A remote is a plain git remote in S2EDIR/.git/config, seen by
 * `git remote -v`, whose fetch refspec is the one pull uses, so that
 * `git fetch REMOTE` does the same:
 *
 *   [remote "lab"]                      (\* is a plain *)
 *           url = ssh://alice@store/srv/lab.git
 *           fetch = refs/s2e/hosts/\*:refs/s2e/remotes/lab/hosts/\*
 *           s2eCaFile = /etc/lab/ca.pem (https://: the CA certificates the
 *                                        server's must chain to; optional)
 *
 * Local history (HEAD and its branch) is never touched by push or pull.
 * ssh credentials come from ssh-agent ($SSH_AUTH_SOCK), then from
 * ~/.ssh/id_ed25519, id_ecdsa and id_rsa (without a passphrase); the server's
 * host key must be in ~/.ssh/known_hosts.  https:// is checked against the
 * system's CA certificates, or the remote's s2eCaFile, else the file
 * $GIT_SSL_CAINFO or http.sslCAInfo names (libgit2's mbedTLS reads neither
 * by itself; they are given to it through git_libgit2_opts()); an untrusted
 * certificate is an error that says how to give the CA.  Callers hold the S2EDIR lock
 * for every call but s2e_remote_list(). */
#ifndef S2E_REMOTE_H
#define S2E_REMOTE_H

#include <stddef.h>

#include "s2e/hostid.h"

#define S2E_HOSTS_REFS	 "refs/s2e/hosts/"
#define S2E_REMOTES_REFS "refs/s2e/remotes/"

struct s2e_remote {
	char *name, *url;
};

/* A remote name: what git accepts, without '/' (it is one ref component). */
int s2e_remote_name_check(const char *name);
#define S2E_REMOTE_CA_KEY "s2eCaFile"
/* ca_file (may be NULL): stored as remote.NAME.s2eCaFile, made absolute; it
 * must be a readable file. */
int s2e_remote_add(const char *root, const char *name, const char *url, const char *ca_file);
/* Removes the remote and its refs/s2e/remotes/NAME/ refs. */
int s2e_remote_remove(const char *root, const char *name);
/* The remotes in the order of the configuration. */
int s2e_remote_list(const char *root, struct s2e_remote **out, size_t *n);
void s2e_remote_list_free(struct s2e_remote *v, size_t n);

struct s2e_push_result {
	char remote[256];
	char hostid[S2E_HOSTID_MAX + 1];
	char ref[300];	  /* refs/s2e/hosts/HOSTID */
	char old_oid[41]; /* what the remote had; "" when nothing */
	char new_oid[41];
	int up_to_date;
};
/* Push HEAD to refs/s2e/hosts/HOSTID on `remote` (NULL: the only remote).
 * A non-fast-forward answer means another S2EDIR uses this host id: the
 * error says so and nothing changes on the remote. */
int s2e_history_push(const char *root, const char *remote, struct s2e_push_result *res);

struct s2e_pull_result {
	char remote[256];
	size_t hosts;	/* hosts the remote has a history for */
	size_t updated; /* of which new or changed since the last pull */
};
/* Fetch every refs/s2e/hosts/HOSTID of `remote` (NULL: the only remote)
 * into refs/s2e/remotes/REMOTE/hosts/HOSTID. */
int s2e_history_pull(const char *root, const char *remote, struct s2e_pull_result *res);

#endif
