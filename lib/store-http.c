/* HTTP(S) and S3 stores over libcurl: see include/s2e/store.h.
 *
 * One curl handle per connection, reset and reused for every request so that
 * its TCP/TLS connection stays open.  S3 requests are signed by libcurl
 * (CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3"); bodies are handed to libcurl as
 * memory so that it hashes the payload it signs, and the same SHA-256 goes in
 * x-amz-content-sha256, which S3 requires.  Listing uses ListObjectsV2. */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s2e/chunk.h"
#include "s2e/error.h"
#include "s2e/fs.h"
#include "s2e/quote.h"
#include "store-backend.h"

#define ERRBODY_MAX 4096
#define LIST_MAX    (16 * 1024 * 1024)
#define BODY_MAX    ((uint64_t)256 * 1024 * 1024)

struct http_store {
	int s3;
	char *base;	 /* objects: base + "/" + name */
	char *list_url;	 /* s3: the bucket's URL, for ListObjectsV2 */
	char *key_base;	 /* the key prefix of the store ("PREFIX/" or ""), unescaped */
	char *sigv4;	 /* s3 with credentials: "aws:amz:REGION:s3" */
	char *userpwd;	 /* "KEY:SECRET" */
	char *token_hdr; /* "x-amz-security-token: ..." */
	char *bucket;	 /* s3 */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct req {
	const char *method; /* GET HEAD PUT DELETE */
	const char *name;   /* for messages */
	const char *url;
	s2e_store_sink_fn sink;
	void *ctx;
	const void *body;
	size_t body_len;
	CURL *h;
	int sink_failed;
	int noreplace;		 /* PUT with If-None-Match: * (S3 conditional write) */
	const char *copy_source; /* PUT as a copy: x-amz-copy-source */
	int filetime;		 /* ask for Last-Modified (CURLINFO_FILETIME_T) */
	char errbody[ERRBODY_MAX + 1];
	size_t errlen;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300 || !r->sink) {
		size_t take = ERRBODY_MAX - r->errlen < len ? ERRBODY_MAX - r->errlen : len;
		memcpy(r->errbody + r->errlen, ptr, take);
		r->errlen += take;
		r->errbody[r->errlen] = '\0';
		return len;
	}
	if (r->sink(r->ctx, ptr, len)) {
		r->sink_failed = 1;
		return 0;
	}
	return len;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	s2e_chunk_hex(md, out);
}

/* The text of <tag>…</tag> in an S3 XML answer, into out; "" if absent. */
static void xml_tag(const char *xml, const char *tag, char *out, size_t cap)
{
	char open[64], close[64];
	const char *p, *q;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	out[0] = '\0';
	if (!(p = strstr(xml, open)) || !(q = strstr(p, close)))
		return;
	p += strlen(open);
	snprintf(out, cap, "%.*s", (int)(q - p), p);
}

static int setup(struct s2e_store *st, struct req *r, struct curl_slist **hdrs, char *errbuf)
{
	struct http_store *hs = st->priv;
	CURL *h = r->h;
	char sha[65], line[128];

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "s2e");
	if (!strcmp(r->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (r->filetime)
		curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	else if (strcmp(r->method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/octet-stream");
		*hdrs = curl_slist_append(*hdrs, "Expect:");
	}
	if (r->noreplace)
		*hdrs = curl_slist_append(*hdrs, "If-None-Match: *");
	if (r->copy_source) {
		*hdrs = curl_slist_append(*hdrs, r->copy_source);
		*hdrs = curl_slist_append(*hdrs, "x-amz-metadata-directive: REPLACE");
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/octet-stream");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	if (hs->sigv4) {
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, hs->sigv4);
		curl_easy_setopt(h, CURLOPT_USERPWD, hs->userpwd);
		sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, sha);
		snprintf(line, sizeof(line), "x-amz-content-sha256: %s", sha);
		*hdrs = curl_slist_append(*hdrs, line);
		if (hs->token_hdr)
			*hdrs = curl_slist_append(*hdrs, hs->token_hdr);
	}
	if (*hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

/* Run one request: the HTTP status, or -1 with the error set. */
static long perform(struct s2e_store *st, struct req *r)
{
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;

	setup(st, r, &hdrs, errbuf);
	rc = curl_easy_perform(r->h);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	if (r->sink_failed)
		return s2e_error_prefix("store %s: %s", s2e_q(st->url), s2e_q(r->name));
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
		long os_errno = 0;
		curl_easy_getinfo(r->h, CURLINFO_OS_ERRNO, &os_errno);
		return s2e_error("store %s: cannot connect: %s%s%s", s2e_q(st->url),
				 errbuf[0] ? errbuf : curl_easy_strerror(rc), os_errno ? ": " : "",
				 os_errno ? strerror((int)os_errno) : "");
	}
	if (rc == CURLE_PARTIAL_FILE)
		return s2e_error("store %s: truncated transfer of %s: %s", s2e_q(st->url),
				 s2e_q(r->name), errbuf[0] ? errbuf : curl_easy_strerror(rc));
	if (rc != CURLE_OK)
		return s2e_error("store %s: %s %s failed: %s", s2e_q(st->url), r->method,
				 s2e_q(r->name), errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return status;
}

/* Turn an HTTP status >= 300 (other than 404) into a message. */
static int http_fail(struct s2e_store *st, struct req *r, long status)
{
	struct http_store *hs = st->priv;
	char code[128], msg[512];

	xml_tag(r->errbody, "Code", code, sizeof(code));
	xml_tag(r->errbody, "Message", msg, sizeof(msg));
	if (status == 403 || status == 401)
		return s2e_error(
		    "store %s: access denied to %s (HTTP %ld)%s%s%s%s%s", s2e_q(st->url),
		    s2e_q(r->name), status, code[0] ? ": " : "", code, msg[0] ? ": " : "", msg,
		    code[0] || !hs->s3 ? ""
				       : "; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	return s2e_error("store %s: %s %s: HTTP %ld%s%s%s%s", s2e_q(st->url), r->method,
			 s2e_q(r->name), status, code[0] ? ": " : "", code, msg[0] ? ": " : "",
			 msg);
}

/* base + "/" + key prefix + name, every byte but unreserved ones and '/' escaped. */
static char *object_url(struct http_store *hs, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	char *key = s2e_asprintf("%s%s", hs->key_base, name), *url, *p;
	size_t blen = strlen(hs->base);

	url = key ? malloc(blen + 1 + 3 * strlen(key) + 1) : NULL;
	if (!url) {
		free(key);
		s2e_error("out of memory");
		return NULL;
	}
	memcpy(url, hs->base, blen);
	p = url + blen;
	*p++ = '/';
	for (const unsigned char *s = (const unsigned char *)key; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s)) {
			*p++ = (char)*s;
		} else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		}
	}
	*p = '\0';
	free(key);
	return url;
}

static long request(struct s2e_store *st, void *conn, const char *method, const char *name,
		    struct req *r)
{
	char *url = object_url(st->priv, name);
	long status;

	if (!url)
		return -1;
	r->method = method;
	r->name = name;
	r->url = url;
	r->h = conn;
	status = perform(st, r);
	free(url);
	return status;
}

static int http_stat(struct s2e_store *st, void *conn, const char *name)
{
	struct req r = {0};
	long status = request(st, conn, "HEAD", name, &r);

	if (status < 0)
		return -1;
	if (status == 404)
		return 0;
	return status < 300 ? 1 : http_fail(st, &r, status);
}

/* S3: copy the object onto itself (new LastModified); 404: absent. */
static int s3_touch(struct s2e_store *st, void *conn, const char *name)
{
	struct http_store *hs = st->priv;
	char *url = object_url(hs, name), *hdr;
	struct req r = {0};
	long status;

	if (!url)
		return -1;
	hdr = s2e_asprintf("x-amz-copy-source: /%s%s", hs->bucket, url + strlen(hs->base));
	free(url);
	if (!hdr)
		return -1;
	r.copy_source = hdr;
	status = request(st, conn, "PUT", name, &r);
	free(hdr);
	if (status < 0)
		return -1;
	if (status == 404)
		return 0;
	return status < 300 ? 1 : http_fail(st, &r, status);
}

static int http_get(struct s2e_store *st, void *conn, const char *name, s2e_store_sink_fn sink,
		    void *ctx)
{
	struct req r = {.sink = sink, .ctx = ctx};
	long status = request(st, conn, "GET", name, &r);

	if (status < 0)
		return -1;
	if (status == 404) {
		s2e_error_set(S2E_ENOTFOUND, "store %s: %s not found (HTTP 404)", s2e_q(st->url),
			      s2e_q(name));
		return 0;
	}
	return status < 300 ? 1 : http_fail(st, &r, status);
}

/* A body from a file is read into memory: indexes and manifests are small
 * (40 bytes per MiB of image), and libcurl then signs the exact payload. */
static int http_put(struct s2e_store *st, void *conn, const char *name,
		    const struct s2e_store_body *body, int flags)
{
	struct req r = {.body = body->buf, .body_len = (size_t)body->len};
	char *copy = NULL;
	long status;

	r.noreplace = (flags & (S2E_STORE_NOREPLACE | S2E_STORE_EXCL)) != 0;
	if (flags & S2E_STORE_EXCL) {
		/* Servers without conditional writes ignore If-None-Match: look first. */
		int has = http_stat(st, conn, name);
		if (has < 0)
			return -1;
		if (has) {
			return s2e_error_set(S2E_EEXISTS, "store %s: %s already exists",
					     s2e_q(st->url), s2e_q(name));
		}
	}
	if (!body->buf) {
		if (body->len > BODY_MAX)
			return s2e_error("store %s: %s is too large to upload", s2e_q(st->url),
					 s2e_q(name));
		if (!(copy = malloc(body->len ? (size_t)body->len : 1)))
			return s2e_error("out of memory");
		if (s2e_pread_full(body->fd, copy, (size_t)body->len, 0)) {
			free(copy);
			return s2e_error_errno("cannot read what to upload as %s", s2e_q(name));
		}
		r.body = copy;
	}
	status = request(st, conn, "PUT", name, &r);
	free(copy);
	if (status < 0)
		return -1;
	if (status == 412 && r.noreplace) { /* If-None-Match: the object is there already */
		if (!(flags & S2E_STORE_EXCL))
			return 0;
		return s2e_error_set(S2E_EEXISTS, "store %s: %s already exists", s2e_q(st->url),
				     s2e_q(name));
	}
	return status < 300 ? 0 : http_fail(st, &r, status);
}

static int http_del(struct s2e_store *st, void *conn, const char *name)
{
	struct req r = {0};
	long status = request(st, conn, "DELETE", name, &r);

	if (status < 0)
		return -1;
	return status < 300 || status == 404 ? 0 : http_fail(st, &r, status);
}

/* S3 has no conditional DELETE on time: the object's Last-Modified is read
 * (HEAD) just before it is removed, so that a chunk a push touched since
 * gc listed it is kept; one without a time is kept too. */
static int s3_del_older(struct s2e_store *st, void *conn, const char *name, time_t before)
{
	struct req r = {.filetime = 1};
	long status = request(st, conn, "HEAD", name, &r);
	curl_off_t t = -1;

	if (status < 0)
		return -1;
	if (status == 404)
		return 0; /* removed meanwhile */
	if (status >= 300)
		return http_fail(st, &r, status);
	if (curl_easy_getinfo(conn, CURLINFO_FILETIME_T, &t) != CURLE_OK || t < 0 ||
	    (time_t)t >= before)
		return 0;
	return http_del(st, conn, name) ? -1 : 1;
}

static void *http_conn_new(struct s2e_store *st)
{
	CURL *h = curl_easy_init();

	if (!h)
		s2e_error("store %s: cannot start libcurl", s2e_q(st->url));
	return h;
}

static void http_conn_free(void *conn)
{
	curl_easy_cleanup(conn);
}

static void http_close(struct s2e_store *st)
{
	struct http_store *hs = st->priv;

	if (!hs)
		return;
	free(hs->base);
	free(hs->list_url);
	free(hs->key_base);
	free(hs->sigv4);
	free(hs->userpwd);
	free(hs->token_hdr);
	free(hs->bucket);
	free(hs);
}

struct listbuf {
	char *data;
	size_t len, cap;
};

static int list_sink(void *ctx, const void *buf, size_t len)
{
	struct listbuf *b = ctx;

	if (len > LIST_MAX - b->len)
		return s2e_error("listing is larger than %d bytes", LIST_MAX);
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (!p)
			return s2e_error("out of memory");
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buf, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* Undo XML's five entities in place. */
static void xml_unescape(char *s)
{
	static const char *const ent[][2] = {
	    {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
	char *w = s;

	while (*s) {
		size_t i;
		for (i = 0; i < 5; i++)
			if (!strncmp(s, ent[i][0], strlen(ent[i][0])))
				break;
		if (i < 5) {
			*w++ = ent[i][1][0];
			s += strlen(ent[i][0]);
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static time_t parse_time(const char *text)
{
	struct tm tm = {0};

	if (!strptime(text, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

/* Report each <Contents> of one ListObjectsV2 page; *more set from IsTruncated. */
static int list_page(struct s2e_store *st, const char *xml, s2e_store_list_fn fn, void *ctx)
{
	struct http_store *hs = st->priv;
	size_t kb = strlen(hs->key_base);
	const char *p = xml, *end;
	char key[2048], size[32], mtime[64];
	int rc = 0;

	while (rc == 0 && (p = strstr(p, "<Contents>")) && (end = strstr(p, "</Contents>"))) {
		char *one = strndup(p, (size_t)(end - p));
		if (!one)
			return s2e_error("out of memory");
		xml_tag(one, "Key", key, sizeof(key));
		xml_tag(one, "Size", size, sizeof(size));
		xml_tag(one, "LastModified", mtime, sizeof(mtime));
		free(one);
		xml_unescape(key);
		if (!strncmp(key, hs->key_base, kb) && key[kb] && !s2e_store_name_check(key + kb))
			rc = fn(ctx, key + kb, strtoull(size, NULL, 10), parse_time(mtime));
		s2e_error_clear();
		p = end;
	}
	return rc;
}

static char *list_url(struct s2e_store *st, CURL *h, const char *prefix, const char *token)
{
	struct http_store *hs = st->priv;
	char *ep = curl_easy_escape(h, prefix, 0);
	char *et = token ? curl_easy_escape(h, token, 0) : NULL;
	char *url = NULL;

	/* Query parameters in sorted order, as the signature's canonical form has them. */
	if (ep && (!token || et))
		url = s2e_asprintf("%s/?%s%s%slist-type=2&prefix=%s", hs->list_url,
				   token ? "continuation-token=" : "", token ? et : "",
				   token ? "&" : "", ep);
	curl_free(ep);
	curl_free(et);
	return url;
}

static int s3_list(struct s2e_store *st, void *conn, const char *dir, s2e_store_list_fn fn,
		   void *ctx)
{
	struct http_store *hs = st->priv;
	char *prefix = s2e_asprintf("%s%s", hs->key_base, dir), *token = NULL;
	char truncated[16], next[1024];
	int rc = prefix ? 0 : -1;

	while (rc == 0) {
		struct listbuf b = {0};
		struct req r = {
		    .method = "GET", .name = dir, .sink = list_sink, .ctx = &b, .h = conn};
		char *url = list_url(st, conn, prefix, token);
		long status = url ? (r.url = url, perform(st, &r)) : s2e_error("out of memory");
		free(url);
		if (status >= 300)
			rc = http_fail(st, &r, status);
		else if (status < 0)
			rc = -1;
		else
			rc = list_page(st, b.data ? b.data : "", fn, ctx);
		if (rc == 0) {
			xml_tag(b.data ? b.data : "", "IsTruncated", truncated, sizeof(truncated));
			xml_tag(b.data ? b.data : "", "NextContinuationToken", next, sizeof(next));
		}
		free(b.data);
		if (rc || strcmp(truncated, "true") || !next[0])
			break;
		free(token);
		xml_unescape(next);
		if (!(token = strdup(next)))
			rc = s2e_error("out of memory");
	}
	free(token);
	free(prefix);
	return rc;
}

static const struct s2e_store_ops http_ops = {
    .conn_new = http_conn_new,
    .conn_free = http_conn_free,
    .stat = http_stat,
    .get = http_get,
    .put = http_put,
    .del = http_del,
    .close = http_close,
};

static const struct s2e_store_ops s3_ops = {
    .conn_new = http_conn_new,
    .conn_free = http_conn_free,
    .stat = http_stat,
    .touch = s3_touch,
    .get = http_get,
    .put = http_put,
    .del = http_del,
    .del_older = s3_del_older,
    .list = s3_list,
    .close = http_close,
};

static char *trim_slashes(const char *s)
{
	size_t len = strlen(s);

	while (len && s[len - 1] == '/')
		len--;
	return strndup(s, len);
}

static int s3_setup(struct s2e_store *st, struct http_store *hs, const char *rest,
		    const struct s2e_store_options *o)
{
	const char *endpoint = o->s3_endpoint ? o->s3_endpoint : getenv("S2E_S3_ENDPOINT");
	const char *region = getenv("AWS_REGION"), *key = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY"), *token = getenv("AWS_SESSION_TOKEN");
	const char *slash = strchr(rest, '/');
	char *bucket = slash ? strndup(rest, (size_t)(slash - rest)) : strdup(rest);
	char *prefix = trim_slashes(slash ? slash + 1 : "");
	char *ep = endpoint && *endpoint ? trim_slashes(endpoint) : NULL;
	int rc = -1;

	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	if (!region || !*region)
		region = "us-east-1";
	if (!bucket || !prefix || (endpoint && *endpoint && !ep)) {
		s2e_error("out of memory");
		goto out;
	}
	if (!*bucket ||
	    strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(bucket)) {
		s2e_error("store %s: bad bucket name %s", s2e_q(st->url), s2e_q(bucket));
		goto out;
	}
	if (ep)
		hs->list_url = s2e_asprintf("%s/%s", ep, bucket);
	else
		hs->list_url = s2e_asprintf("https://%s.s3.%s.amazonaws.com", bucket, region);
	hs->key_base = *prefix ? s2e_asprintf("%s/", prefix) : s2e_strdup("");
	hs->bucket = s2e_strdup(bucket);
	hs->base = s2e_strdup(hs->list_url);
	if (key && *key) {
		hs->sigv4 = s2e_asprintf("aws:amz:%s:s3", region);
		hs->userpwd = s2e_asprintf("%s:%s", key, secret ? secret : "");
		if (token && *token)
			hs->token_hdr = s2e_asprintf("x-amz-security-token: %s", token);
	}
	rc = hs->list_url && hs->key_base && hs->base && hs->bucket &&
		     (!key || !*key || (hs->sigv4 && hs->userpwd))
		 ? 0
		 : s2e_error("out of memory");
out:
	free(bucket);
	free(prefix);
	free(ep);
	return rc;
}

int s2e_store_http_open(struct s2e_store *st, const char *url, const struct s2e_store_options *o)
{
	struct http_store *hs = calloc(1, sizeof(*hs));
	int rc;

	pthread_once(&curl_once, curl_init);
	if (!hs)
		return s2e_error("out of memory");
	st->priv = hs;
	st->network = 1;
	st->ops = &http_ops;
	if (!strncmp(url, "s3://", 5)) {
		hs->s3 = 1;
		st->ops = &s3_ops;
		st->writable = 1;
		rc = s3_setup(st, hs, url + 5, o);
	} else {
		hs->base = trim_slashes(url);
		hs->key_base = s2e_strdup("");
		rc = hs->base && hs->key_base ? 0 : s2e_error("out of memory");
	}
	return rc;
}
