#include <errno.h>
#include <git2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/history.h"
#include "s2e/quote.h"
#include "s2e/remote.h"

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return s2e_error("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

static int open_repo(const char *root, git_repository **repo)
{
	s2e_git_init();
	if (git_repository_open_ext(repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return git_fail("cannot open the history repository");
	return 0;
}

int s2e_remote_name_check(const char *name)
{
	int valid = 0;

	s2e_git_init();
	if (git_remote_name_is_valid(&valid, name) < 0 || !valid || strchr(name, '/') ||
	    strlen(name) > 200)
		return s2e_error("%s is not a valid remote name", s2e_q(name));
	return 0;
}

static int url_check(const char *url)
{
	if (!*url)
		return s2e_error("the remote URL is empty");
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return s2e_error("remote URL %s: control characters are not allowed",
					 s2e_q(url));
	return 0;
}

/* Remotes are read and written in the configuration directly: libgit2 1.5's
 * git_remote_lookup(), _list(), _create() and _delete() match configuration
 * names with regular expressions that leak memory on every entry that does
 * not match.  url.*.insteadOf is therefore not applied. */

/* The repository's configuration: all levels (all), or its own (writable). */
static int config_of(git_repository *repo, int all, git_config **cfg)
{
	git_config *every = NULL;
	int rc;

	if (git_repository_config(&every, repo) < 0)
		return git_fail("cannot read the history repository's configuration");
	if (all) {
		*cfg = every;
		return 0;
	}
	rc = git_config_open_level(cfg, every, GIT_CONFIG_LEVEL_LOCAL);
	git_config_free(every);
	return rc < 0 ? git_fail("cannot read the history repository's configuration") : 0;
}

/* NAME of "remote.NAME.KEY", malloc'd; NULL when name is not of that form. */
static char *remote_of(const char *name, const char *key)
{
	size_t len = strlen(name), klen = strlen(key);

	if (strncmp(name, "remote.", 7) || len <= 7 + klen + 1 ||
	    strcmp(name + len - klen, key) || name[len - klen - 1] != '.')
		return NULL;
	return strndup(name + 7, len - 7 - klen - 1);
}

/* Configuration value `key` (all levels) into *value (malloc'd); 1 when
 * there is none. */
static int config_string(git_repository *repo, const char *key, char **value)
{
	git_config *cfg = NULL;
	git_buf buf = {0};
	int rc = -1, err;

	*value = NULL;
	if (!key || config_of(repo, 1, &cfg))
		goto out;
	err = git_config_get_string_buf(&buf, cfg, key);
	if (err == GIT_ENOTFOUND)
		rc = 1;
	else if (err < 0)
		s2e_error("cannot read %s: %s", key,
			  git_error_last() ? git_error_last()->message : "libgit2 error");
	else
		rc = (*value = s2e_strdup(buf.ptr)) ? 0 : -1;
out:
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return rc;
}

/* remote.NAME.url into *url (malloc'd); 1 when there is none. */
static int remote_url(git_repository *repo, const char *name, char **url)
{
	char *key = s2e_asprintf("remote.%s.url", name);
	int rc = config_string(repo, key, url);

	free(key);
	return rc;
}

/* An https:// remote's CA certificates, for libgit2 (whose TLS, mbedTLS on
 * Debian, reads neither http.sslCAInfo nor GIT_SSL_CAINFO by itself):
 * remote.NAME.s2eCaFile, else $GIT_SSL_CAINFO, else http.sslCAInfo.  None:
 * the system's. */
static int use_ca(git_repository *repo, const char *name, const char *url)
{
	char *key = s2e_asprintf("remote.%s." S2E_REMOTE_CA_KEY, name), *file = NULL;
	const char *env = getenv("GIT_SSL_CAINFO");
	int rc;

	if (strncasecmp(url, "https://", 8)) {
		free(key);
		return 0;
	}
	rc = config_string(repo, key, &file);
	if (rc == 1 && env && *env)
		rc = (file = s2e_strdup(env)) ? 0 : -1;
	if (rc == 1)
		rc = config_string(repo, "http.sslCAInfo", &file);
	if (rc == 0 && access(file, R_OK))
		rc = s2e_error_errno("CA file %s of remote %s", s2e_q(file), s2e_q(name));
	if (rc == 0 && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL) < 0)
		rc = git_fail("cannot use the CA file");
	free(file);
	free(key);
	return rc < 0 ? -1 : 0;
}

/* A CA file: absolute (resolved here), a readable regular file. */
static char *ca_file_check(const char *file)
{
	char *abs = realpath(file, NULL);
	struct stat st;

	if (!abs || stat(abs, &st) || !S_ISREG(st.st_mode) || access(abs, R_OK)) {
		if (abs && !errno)
			errno = EINVAL;
		s2e_error_errno("CA file %s", s2e_q(file));
		free(abs);
		return NULL;
	}
	return abs;
}

int s2e_remote_add(const char *root, const char *name, const char *url, const char *ca_file)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	char *fetch = NULL, *url_key = NULL, *fetch_key = NULL, *old = NULL, *ca = NULL,
	     *ca_key = NULL;
	int rc = -1, exists;

	if (s2e_remote_name_check(name) || url_check(url) || (ca_file && !(ca = ca_file_check(ca_file))))
		return -1;
	if (open_repo(root, &repo)) {
		free(ca);
		return -1;
	}
	fetch = s2e_asprintf(S2E_HOSTS_REFS "*:" S2E_REMOTES_REFS "%s/hosts/*", name);
	url_key = s2e_asprintf("remote.%s.url", name);
	fetch_key = s2e_asprintf("remote.%s.fetch", name);
	ca_key = s2e_asprintf("remote.%s." S2E_REMOTE_CA_KEY, name);
	if (!fetch || !url_key || !fetch_key || !ca_key ||
	    (exists = remote_url(repo, name, &old)) < 0)
		goto out;
	if (!exists) {
		s2e_error("a remote named %s already exists", s2e_q(name));
		goto out;
	}
	if (config_of(repo, 0, &cfg))
		goto out;
	if (git_config_set_string(cfg, url_key, url) < 0 ||
	    git_config_set_string(cfg, fetch_key, fetch) < 0 ||
	    (ca && git_config_set_string(cfg, ca_key, ca) < 0)) {
		git_fail("cannot add the remote");
		goto out;
	}
	rc = 0;
out:
	free(fetch);
	free(url_key);
	free(fetch_key);
	free(ca_key);
	free(ca);
	free(old);
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/* Delete the refs under refs/s2e/remotes/NAME/. */
static int remove_refs(git_repository *repo, const char *name)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char *glob = s2e_asprintf(S2E_REMOTES_REFS "%s/*", name);
	int err, rc = 0;

	if (!glob)
		return -1;
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0) {
		free(glob);
		return git_fail("cannot list the remote's refs");
	}
	while (rc == 0 && (err = git_reference_next(&ref, it)) == 0) {
		if (git_reference_delete(ref) < 0)
			rc = git_fail("cannot delete the remote's refs");
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	free(glob);
	if (rc == 0 && err != GIT_ITEROVER)
		rc = git_fail("cannot list the remote's refs");
	return rc;
}

/* Delete every remote.NAME.* entry of the repository's own configuration. */
static int remove_config(git_repository *repo, const char *name)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	char **keys = NULL, *prefix = s2e_asprintf("remote.%s.", name);
	size_t n = 0, plen = prefix ? strlen(prefix) : 0;
	int rc = -1, err;

	if (!prefix || config_of(repo, 0, &cfg) || git_config_iterator_new(&it, cfg) < 0)
		goto out;
	while ((err = git_config_next(&entry, it)) == 0) {
		char **grown;
		if (strncmp(entry->name, prefix, plen) || strchr(entry->name + plen, '.'))
			continue;
		if (!(grown = realloc(keys, (n + 1) * sizeof(*keys))) ||
		    !(grown[n] = s2e_strdup(entry->name))) {
			keys = grown ? grown : keys;
			goto out;
		}
		keys = grown;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (git_config_delete_multivar(cfg, keys[i], ".*") < 0 && git_error_last()) {
			git_fail("cannot remove the remote's configuration");
			goto out;
		}
	rc = 0;
out:
	if (rc && !prefix)
		s2e_error("out of memory");
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(prefix);
	git_config_iterator_free(it);
	git_config_free(cfg);
	return rc;
}

int s2e_remote_remove(const char *root, const char *name)
{
	git_repository *repo = NULL;
	char *url = NULL;
	int rc = -1, exists;

	if (s2e_remote_name_check(name) || open_repo(root, &repo))
		return -1;
	exists = remote_url(repo, name, &url);
	if (exists == 1)
		s2e_error("no remote named %s", s2e_q(name));
	else if (exists == 0)
		rc = remove_refs(repo, name) || remove_config(repo, name) ? -1 : 0;
	free(url);
	git_repository_free(repo);
	return rc;
}

void s2e_remote_list_free(struct s2e_remote *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].url);
	}
	free(v);
}

/* Append (name, url) unless name is listed already; takes both. */
static int list_add(struct s2e_remote **v, size_t *n, char *name, const char *url)
{
	struct s2e_remote *grown;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].name, name)) {
			free(name);
			return 0;
		}
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown || !((grown[*n].url = s2e_strdup(url)))) {
		*v = grown ? grown : *v;
		free(name);
		return s2e_error("out of memory");
	}
	*v = grown;
	grown[(*n)++].name = name;
	return 0;
}

static int list_repo(git_repository *repo, struct s2e_remote **out, size_t *n)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	int rc = -1, err;

	if (config_of(repo, 1, &cfg))
		return -1;
	if (git_config_iterator_new(&it, cfg) < 0) {
		git_fail("cannot list the remotes");
		goto out;
	}
	while ((err = git_config_next(&entry, it)) == 0) {
		char *name = remote_of(entry->name, "url");
		if (name && list_add(out, n, name, entry->value ? entry->value : ""))
			goto out;
	}
	rc = err == GIT_ITEROVER ? 0 : git_fail("cannot list the remotes");
out:
	git_config_iterator_free(it);
	git_config_free(cfg);
	return rc;
}

int s2e_remote_list(const char *root, struct s2e_remote **out, size_t *n)
{
	git_repository *repo = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	s2e_git_init();
	rc = git_repository_open_ext(&repo, root, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND) /* no history yet: no remotes */
		return 0;
	if (rc < 0)
		return git_fail("cannot open the history repository");
	rc = list_repo(repo, out, n);
	if (rc) {
		s2e_remote_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	git_repository_free(repo);
	return rc;
}

/* The remote `name` (or the only one when NULL) as an in-memory remote at
 * its URL; *name_out is its name (malloc'd). */
static int lookup(git_repository *repo, const char *name, git_remote **remote, char **name_out)
{
	git_remote_create_options opts;
	struct s2e_remote *all = NULL;
	size_t n = 0;
	char *url = NULL;
	int rc = -1, err;

	*remote = NULL;
	*name_out = NULL;
	if (!name) {
		if (list_repo(repo, &all, &n))
			goto out;
		if (n == 1)
			name = all[0].name;
		else if (n == 0)
			s2e_error("no remote; add one with 's2e remote add NAME URL'");
		else
			s2e_error("there are %zu remotes; name the one to use", n);
		if (n != 1)
			goto out;
	} else if (s2e_remote_name_check(name)) {
		goto out;
	}
	err = remote_url(repo, name, &url);
	if (err == 1)
		s2e_error("no remote named %s; see 's2e remote list'", s2e_q(name));
	if (err)
		goto out;
	if (use_ca(repo, name, url))
		goto out;
	git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	opts.repository = repo;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(remote, url, &opts) < 0) {
		git_fail("cannot open the remote");
		goto out;
	}
	rc = (*name_out = s2e_strdup(name)) ? 0 : -1;
out:
	free(url);
	s2e_remote_list_free(all, n);
	return rc;
}

/* ssh credentials: ssh-agent first, then the usual key files, each once. */
struct creds {
	int tried_agent, next_key, failed;
	char tried[512];
};

static void note(struct creds *c, const char *what)
{
	size_t len = strlen(c->tried);

	snprintf(c->tried + len, sizeof(c->tried) - len, "%s%s", len ? ", " : "", what);
}

static const char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");

	return pw && pw->pw_name ? pw->pw_name : user && *user ? user : "root";
}

/* The next ~/.ssh/id_* key file, NULL when there is none left. */
static char *next_key(struct creds *c)
{
	static const char *const keys[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	const char *home = getenv("HOME");

	while (home && *home && c->next_key < (int)(sizeof(keys) / sizeof(keys[0]))) {
		char *path = s2e_asprintf("%s/.ssh/%s", home, keys[c->next_key++]);
		if (!path || access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

static int credentials(git_credential **out, const char *url, const char *url_user,
		       unsigned int allowed, void *payload)
{
	struct creds *c = payload;
	const char *user = url_user && *url_user ? url_user : login_name();
	char *key, *pub;
	int rc;

	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (!c->tried_agent && (c->tried_agent = 1) && getenv("SSH_AUTH_SOCK")) {
			note(c, "ssh-agent");
			return git_credential_ssh_key_from_agent(out, user);
		}
		if ((key = next_key(c))) {
			pub = s2e_asprintf("%s.pub", key);
			note(c, key);
			rc = git_credential_ssh_key_new(out, user,
							pub && access(pub, R_OK) == 0 ? pub : NULL,
							key, NULL);
			free(pub);
			free(key);
			return rc;
		}
		(void)url;
		s2e_error("ssh authentication as %s failed (tried %s)", user,
			  c->tried[0] ? c->tried : "no ssh-agent and no key in ~/.ssh");
	} else {
		s2e_error("%s asks for a user name and password, which s2e does not handle; "
			  "use an ssh:// or file:// remote", url);
	}
	c->failed = 1;
	return GIT_EUSER;
}

/* The error of a failed transfer: ours (credentials) or libgit2's. */
static int transfer_fail(const struct creds *c, const char *what, const char *name,
			 git_remote *remote)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown libgit2 error";

	if (!c->failed && e && e->klass == GIT_ERROR_SSH && strstr(msg, "hostkey"))
		s2e_error("%s (the server's key must be in ~/.ssh/known_hosts: check it, then "
			  "add it, e.g. with ssh-keyscan)", msg);
	else if (!c->failed && e && (e->klass == GIT_ERROR_SSL || strstr(msg, "certificate")))
		s2e_error("%s (the server's TLS certificate is not trusted: give its CA with "
			  "'s2e remote add --ca-file FILE', http.sslCAInfo or GIT_SSL_CAINFO)",
			  msg);
	else if (!c->failed)
		s2e_error("%s", msg);
	return s2e_error_prefix("cannot %s %s (%s)", what, name, git_remote_url(remote));
}

struct push_state {
	struct creds creds;
	struct s2e_push_result *res;
	char rejected[256];
};

static int negotiated(const git_push_update **updates, size_t len, void *payload)
{
	struct push_state *p = payload;

	for (size_t i = 0; i < len; i++) {
		if (!git_oid_is_zero(&updates[i]->src))
			git_oid_tostr(p->res->old_oid, sizeof(p->res->old_oid), &updates[i]->src);
		p->res->up_to_date = git_oid_equal(&updates[i]->src, &updates[i]->dst);
	}
	if (!len)
		p->res->up_to_date = 1;
	return 0;
}

static int pushed(const char *refname, const char *status, void *payload)
{
	struct push_state *p = payload;

	(void)refname;
	if (status)
		snprintf(p->rejected, sizeof(p->rejected), "%s", status);
	return 0;
}

static int host_id_taken(const struct s2e_push_result *r, const char *url)
{
	return s2e_error("%s (%s) refused %s: it holds a history that is not this host's, so "
			 "the host id %s is in use by another S2EDIR; nothing was changed there "
			 "(give this S2EDIR a new id with 'git -C S2EDIR config --unset %s' and "
			 "push again)",
			 r->remote, url, r->ref, r->hostid, S2E_HOSTID_CONFIG);
}

static int do_push(git_repository *repo, git_remote *remote, struct push_state *p)
{
	git_push_options opts;
	git_reference *head = NULL;
	char spec[600];
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	int err;

	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	err = git_repository_head(&head, repo);
	if (err == GIT_EUNBORNBRANCH || err == GIT_ENOTFOUND)
		return s2e_error("nothing to push: the history is empty");
	if (err < 0)
		return git_fail("cannot read the history HEAD");
	git_oid_tostr(p->res->new_oid, sizeof(p->res->new_oid), git_reference_target(head));
	snprintf(spec, sizeof(spec), "%s:%s", git_reference_name(head), p->res->ref);
	git_reference_free(head);
	opts.callbacks.credentials = credentials;
	opts.callbacks.push_negotiation = negotiated;
	opts.callbacks.push_update_reference = pushed;
	opts.callbacks.payload = p;
	err = git_remote_push(remote, &refspecs, &opts);
	if (err == GIT_ENONFASTFORWARD || (err == 0 && p->rejected[0]))
		return host_id_taken(p->res, git_remote_url(remote));
	if (err < 0)
		return transfer_fail(&p->creds, "push to", p->res->remote, remote);
	return 0;
}

/* What the remote now has, as a pull would see it. */
static int track(git_repository *repo, const struct s2e_push_result *r)
{
	git_reference *ref = NULL;
	git_oid id;
	char *name = s2e_asprintf(S2E_REMOTES_REFS "%s/hosts/%s", r->remote, r->hostid);
	int rc = 0;

	if (!name)
		return -1;
	if (git_oid_fromstr(&id, r->new_oid) < 0 ||
	    git_reference_create(&ref, repo, name, &id, 1, "s2e history push") < 0)
		rc = git_fail("cannot note what the remote has");
	git_reference_free(ref);
	free(name);
	return rc;
}

int s2e_history_push(const char *root, const char *name, struct s2e_push_result *res)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct push_state p = {.res = res};
	char *found = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (s2e_hostid_get(root, 1, res->hostid) || open_repo(root, &repo))
		return -1;
	if (lookup(repo, name, &remote, &found))
		goto out;
	snprintf(res->remote, sizeof(res->remote), "%s", found);
	snprintf(res->ref, sizeof(res->ref), S2E_HOSTS_REFS "%s", res->hostid);
	rc = do_push(repo, remote, &p) || track(repo, res) ? -1 : 0;
out:
	free(found);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

struct pull_state {
	struct creds creds;
	size_t updated;
};

static int tip_updated(const char *refname, const git_oid *a, const git_oid *b, void *payload)
{
	struct pull_state *p = payload;

	(void)refname;
	if (!git_oid_equal(a, b))
		p->updated++;
	return 0;
}

/* How many hosts refs/s2e/remotes/NAME/hosts/ holds. */
static int count_hosts(git_repository *repo, const char *name, size_t *n)
{
	git_reference_iterator *it = NULL;
	const char *ref;
	char *glob = s2e_asprintf(S2E_REMOTES_REFS "%s/hosts/*", name);
	int err;

	*n = 0;
	if (!glob)
		return -1;
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0) {
		free(glob);
		return git_fail("cannot list the remote's hosts");
	}
	while ((err = git_reference_next_name(&ref, it)) == 0)
		(*n)++;
	git_reference_iterator_free(it);
	free(glob);
	return err == GIT_ITEROVER ? 0 : git_fail("cannot list the remote's hosts");
}

int s2e_history_pull(const char *root, const char *name, struct s2e_pull_result *res)
{
	git_fetch_options opts;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct pull_state p = {0};
	char spec[600], *found = NULL;
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	int rc = -1;

	memset(res, 0, sizeof(*res));
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	if (open_repo(root, &repo))
		return -1;
	if (lookup(repo, name, &remote, &found))
		goto out;
	snprintf(res->remote, sizeof(res->remote), "%s", found);
	snprintf(spec, sizeof(spec), S2E_HOSTS_REFS "*:" S2E_REMOTES_REFS "%s/hosts/*",
		 res->remote);
	opts.callbacks.credentials = credentials;
	opts.callbacks.update_tips = tip_updated;
	opts.callbacks.payload = &p;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.prune = GIT_FETCH_NO_PRUNE;
	opts.update_fetchhead = 0;
	if (git_remote_fetch(remote, &refspecs, &opts, "s2e history pull") < 0) {
		transfer_fail(&p.creds, "pull from", res->remote, remote);
		goto out;
	}
	res->updated = p.updated;
	rc = count_hosts(repo, res->remote, &res->hosts);
out:
	free(found);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}
