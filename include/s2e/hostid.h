/* Host identity (a lab's history, SPEC §5): every S2EDIR gets, on first use,
 * a host id that names it among the hosts sharing history through a remote.
 * It is kept in the history repository's own configuration, where
 * `git -C S2EDIR config s2e.hostId` reads it:
 *
 *   [s2e]
 *           hostId = 0f5c2a9e-3b1d-4c8e-9a57-6d2e8f4b1c03
 *
 * Only the repository's own (local) configuration counts: a host id in
 * ~/.gitconfig would give every S2EDIR of the user the same id.  An id is
 * 1-64 bytes of [A-Za-z0-9._-], not starting with '.' or '-', without "..",
 * not ending in ".lock" (it is a ref name component: refs/s2e/hosts/ID).
 * A new id is a random UUID (the kernel's, else getrandom(2)).
 *
 * Every history commit ends with one trailer naming where it was made:
 *
 *   Host: HOSTID HOSTNAME USER
 *
 * Creating the id writes the configuration: callers hold the S2EDIR lock. */
#ifndef S2E_HOSTID_H
#define S2E_HOSTID_H

#include <stddef.h>

#define S2E_HOSTID_MAX	  64
#define S2E_HOSTID_CONFIG "s2e.hostId"
#define S2E_HOST_TRAILER  "Host"

/* 0 when id is a valid host id, else -1 with the reason. */
int s2e_hostid_check(const char *id);

/* This S2EDIR's host id into id[].  With create, a missing one is made and
 * stored; without, 1 is returned (and "" in id) when there is none.  A
 * malformed stored id is an error naming it. */
int s2e_hostid_get(const char *root, int create, char id[S2E_HOSTID_MAX + 1]);

/* "HOSTID HOSTNAME USER" for this S2EDIR, this machine and this user
 * (creating the id if need be); malloc'd. */
char *s2e_host_line(const char *root);

/* A commit body with the Host trailer paragraph of this S2EDIR appended
 * (body may be NULL or ""); malloc'd. */
char *s2e_host_body(const char *root, const char *body);

/* Where a commit was made, from its message's Host trailer. */
struct s2e_host {
	char id[S2E_HOSTID_MAX + 1];
	char name[256];
	char user[64];
};
/* 0 when the message carries a well-formed Host trailer, 1 when it carries
 * none (h is then all empty), -1 on failure. */
int s2e_host_parse(const char *message, struct s2e_host *h);

#endif
