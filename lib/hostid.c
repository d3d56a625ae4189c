#include <ctype.h>
#include <errno.h>
#include <git2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/hostid.h"
#include "s2e/quote.h"

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return s2e_error("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

int s2e_hostid_check(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > S2E_HOSTID_MAX)
		return s2e_error("host id %s: must be 1 to %d bytes", s2e_q(id), S2E_HOSTID_MAX);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
			return s2e_error("host id %s: only letters, digits, '.', '_' and '-' are "
					 "allowed", s2e_q(id));
	if (id[0] == '.' || id[0] == '-' || strstr(id, "..") ||
	    (len >= 5 && !strcmp(id + len - 5, ".lock")))
		return s2e_error("host id %s: must not start with '.' or '-', hold \"..\" or end "
				 "in \".lock\"", s2e_q(id));
	return 0;
}

/* A random (version 4) UUID: the kernel's, else one made from getrandom(2). */
static int new_uuid(char out[37])
{
	unsigned char b[16];
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");

	if (f) {
		int ok = fgets(out, 37, f) && strlen(out) == 36;
		fclose(f);
		if (ok && s2e_hostid_check(out) == 0)
			return 0;
	}
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return s2e_error_errno("cannot make a host id");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

/* The repository's own configuration level (not ~/.gitconfig, not /etc). */
static int local_config(const char *root, git_repository **repo, git_config **local)
{
	git_config *all = NULL;
	int rc;

	s2e_git_init();
	if (git_repository_open_ext(repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return git_fail("cannot open the history repository");
	rc = git_repository_config(&all, *repo);
	if (rc == 0)
		rc = git_config_open_level(local, all, GIT_CONFIG_LEVEL_LOCAL);
	git_config_free(all);
	if (rc < 0) {
		git_repository_free(*repo);
		*repo = NULL;
		return git_fail("cannot read the history repository's configuration");
	}
	return 0;
}

int s2e_hostid_get(const char *root, int create, char id[S2E_HOSTID_MAX + 1])
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf buf = {0};
	int rc, err;

	id[0] = '\0';
	if (local_config(root, &repo, &cfg))
		return -1;
	err = git_config_get_string_buf(&buf, cfg, S2E_HOSTID_CONFIG);
	if (err == 0) {
		rc = s2e_hostid_check(buf.ptr);
		if (rc == 0)
			snprintf(id, S2E_HOSTID_MAX + 1, "%s", buf.ptr);
		else
			s2e_error_prefix("%s in %s/.git/config", S2E_HOSTID_CONFIG, root);
	} else if (err != GIT_ENOTFOUND) {
		rc = git_fail("cannot read " S2E_HOSTID_CONFIG);
	} else if (!create) {
		rc = 1;
	} else if ((rc = new_uuid(id)) == 0 &&
		   git_config_set_string(cfg, S2E_HOSTID_CONFIG, id) < 0) {
		rc = git_fail("cannot store the new host id");
		id[0] = '\0';
	}
	git_buf_dispose(&buf);
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/* Copy a word for the Host trailer: at most len-1 bytes, every byte that
 * is not printable ASCII or is a space becomes '?', "-" when empty. */
static void word(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < len; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f ? src[i] : '?';
	if (!i && len > 1)
		dst[i++] = '-';
	dst[i] = '\0';
}

char *s2e_host_line(const char *root)
{
	char id[S2E_HOSTID_MAX + 1], host[256] = "", name[256], user[64];
	struct passwd *pw = getpwuid(getuid());

	if (s2e_hostid_get(root, 1, id))
		return NULL;
	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	word(name, sizeof(name), host);
	word(user, sizeof(user), pw ? pw->pw_name : getenv("USER"));
	return s2e_asprintf("%s %s %s", id, name, user);
}

char *s2e_host_body(const char *root, const char *body)
{
	char *line = s2e_host_line(root), *out;
	size_t len = body ? strlen(body) : 0;

	if (!line)
		return NULL;
	out = len ? s2e_asprintf("%s%s\n" S2E_HOST_TRAILER ": %s\n", body,
				 body[len - 1] == '\n' ? "" : "\n", line)
		  : s2e_asprintf(S2E_HOST_TRAILER ": %s\n", line);
	free(line);
	return out;
}

/* Printable ASCII without spaces, as word() writes it: the trailer of a
 * commit pulled from another host is untrusted. */
static int printable(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return 0;
	return 1;
}

/* "ID NAME USER" into h; 0, or 1 when the value is not of that form. */
static int split_host(const char *value, struct s2e_host *h)
{
	char id[S2E_HOSTID_MAX + 2], name[256], user[64], extra[2];
	int n = sscanf(value, "%65s %255s %63s %1s", id, name, user, extra);

	if (n != 3 || s2e_hostid_check(id) || !printable(name) || !printable(user)) {
		s2e_error_clear();
		return 1;
	}
	memcpy(h->id, id, strlen(id) + 1); /* checked: at most S2E_HOSTID_MAX */
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->user, sizeof(h->user), "%s", user);
	return 0;
}

int s2e_host_parse(const char *message, struct s2e_host *h)
{
	git_message_trailer_array arr = {0};
	int rc = 1;

	memset(h, 0, sizeof(*h));
	s2e_git_init();
	if (git_message_trailers(&arr, message) < 0)
		return git_fail("cannot read a commit message's trailers");
	for (size_t i = arr.count; rc == 1 && i-- > 0;)
		if (!strcmp(arr.trailers[i].key, S2E_HOST_TRAILER))
			rc = split_host(arr.trailers[i].value, h);
	git_message_trailer_array_free(&arr);
	if (rc)
		memset(h, 0, sizeof(*h));
	return rc;
}
