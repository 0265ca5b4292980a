#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "consul.h"
#include "diag.h"
#include "numparse.h"
#include "version.h"
#include "xalloc.h"

struct consul {
	CURL			*curl;
	long			 timeout_ms;	/* for a whole request */
	struct curl_slist	*headers;
	char			*url;
	char			*display;	/* url, its password masked */
	int			 retries;
	int			 cut;		/* the last answer was cut off */
	char			 error[CURL_ERROR_SIZE];
};

/* Go's strconv.ParseBool, which the consul CLI uses for its variables. */
static int
parse_bool(const char *name, const char *s)
{
	static const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	die(EX_USAGE, "%s: expected true or false, not '%s'", name, s);
}

static void
replace(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? xstrdup(value) : NULL;
}

char *
consul_mask_password(const char *addr)
{
	const char *auth = strstr(addr, "://"), *at, *colon;

	auth = auth != NULL ? auth + 3 : addr;
	/*
	 * The last '@' is taken to end the user information, even past a '/'
	 * a password should have escaped: more is masked, never less.
	 */
	if ((at = strrchr(auth, '@')) == NULL ||
	    (colon = memchr(auth, ':', (size_t)(at - auth))) == NULL)
		return xstrdup(addr);
	return xasprintf("%.*s:***%s", (int)(colon - addr), addr, at);
}

/*
 * What a base URL must be: http or https, a host, a port if any in range,
 * nothing after it but a slash.  Returns NULL or why it is not.
 */
static const char *
address_fault(const char *url)
{
	static char why[256];
	CURLU *u = curl_url();
	char *host = NULL, *path = NULL, *query = NULL, *fragment = NULL;
	CURLUcode rc;

	if (u == NULL)
		die(EX_OSERR, "out of memory");
	why[0] = '\0';
	if ((rc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK)
		snprintf(why, sizeof(why), "%s", curl_url_strerror(rc));
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0')
		snprintf(why, sizeof(why), "no host");
	else if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    strcmp(path, "/") != 0 && *path != '\0')
		snprintf(why, sizeof(why), "an address is host:port, with no "
		    "path");
	else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK)
		snprintf(why, sizeof(why), "an address is host:port, with no "
		    "query or fragment");
	curl_free(host);
	curl_free(path);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	return why[0] != '\0' ? why : NULL;
}

char *
consul_address_url(const char *addr, int https, const char **why)
{
	char *url, *host;
	size_t len;

	if (*addr == '\0')
		return *why = "the Consul address is empty", NULL;
	/* As in Consul's api, http:// never undoes CONSUL_HTTP_SSL. */
	if (strncmp(addr, "http://", 7) == 0 && https)
		url = xasprintf("https://%s", addr + 7);
	else if (strncmp(addr, "http://", 7) == 0 ||
	    strncmp(addr, "https://", 8) == 0)
		url = xstrdup(addr);
	else if (strstr(addr, "://") != NULL)
		return *why = "only http:// and https:// are supported", NULL;
	else
		url = xasprintf("%s://%s", https ? "https" : "http", addr);
	host = strstr(url, "://") + 3;
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	/*
	 * "http://" would become "http:"; curl takes "http:///x" for the
	 * host x, but that is a typing slip, not an address.
	 */
	if (len <= (size_t)(host - url) || *host == '/')
		*why = "no host";
	else
		*why = address_fault(url);
	if (*why != NULL) {
		free(url);
		return NULL;
	}
	return url;
}

/*
 * Sets the base URL from an address.  name is where it came from
 * (--consul or CONSUL_HTTP_ADDR), for messages, which never show the
 * address's password.
 */
static void
set_address(struct consul_config *cfg, const char *name, const char *addr,
    int https)
{
	const char *why;
	char *url = consul_address_url(addr, https, &why), *shown;

	if (url == NULL && *addr == '\0')
		die(EX_USAGE, "%s: %s", name, why);
	if (url == NULL) {
		shown = consul_mask_password(addr);
		die(EX_USAGE, "%s: '%s': %s", name, shown, why);
	}
	free(cfg->url);
	cfg->url = url;
}

static void
set_prefix(struct consul_config *cfg, const char *prefix)
{
	size_t len;

	while (*prefix == '/')
		prefix++;
	replace(&cfg->prefix, prefix);
	len = strlen(cfg->prefix);
	while (len > 0 && cfg->prefix[len - 1] == '/')
		cfg->prefix[--len] = '\0';
	if (len == 0)
		die(EX_USAGE, "--prefix: the prefix must not be empty");
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
consul_config_init(struct consul_config *cfg)
{
	int https = env("CONSUL_HTTP_SSL") ?
	    parse_bool("CONSUL_HTTP_SSL", env("CONSUL_HTTP_SSL")) : 0;

	memset(cfg, 0, sizeof(*cfg));
	set_address(cfg, "CONSUL_HTTP_ADDR", env("CONSUL_HTTP_ADDR") ?
	    env("CONSUL_HTTP_ADDR") : "127.0.0.1:8500", https);
	set_prefix(cfg, CONSUL_DEFAULT_PREFIX);
	replace(&cfg->token, env("CONSUL_HTTP_TOKEN"));
	replace(&cfg->token_file, env("CONSUL_HTTP_TOKEN_FILE"));
	replace(&cfg->cacert, env("CONSUL_CACERT"));
	replace(&cfg->capath, env("CONSUL_CAPATH"));
	replace(&cfg->client_cert, env("CONSUL_CLIENT_CERT"));
	replace(&cfg->client_key, env("CONSUL_CLIENT_KEY"));
	cfg->verify = env("CONSUL_HTTP_SSL_VERIFY") ?
	    parse_bool("CONSUL_HTTP_SSL_VERIFY", env("CONSUL_HTTP_SSL_VERIFY")) : 1;
	cfg->timeout = 30;
	cfg->retries = 4;
}

void
consul_config_set(struct consul_config *cfg, enum consul_setting what,
    const char *value)
{
	switch (what) {
	case CONSUL_ADDRESS:
		/* As in the consul CLI, CONSUL_HTTP_SSL applies to -http-addr too. */
		set_address(cfg, "--consul", value, env("CONSUL_HTTP_SSL") ?
		    parse_bool("CONSUL_HTTP_SSL", env("CONSUL_HTTP_SSL")) : 0);
		break;
	case CONSUL_TOKEN_FILE:
		replace(&cfg->token_file, value);
		break;
	case CONSUL_TIMEOUT:
		cfg->timeout = opt_duration("--timeout", value);
		if (cfg->timeout < 0.001 || cfg->timeout > 86400)
			die(EX_USAGE, "--timeout: from 1ms to 24h");
		break;
	case CONSUL_PREFIX:
		set_prefix(cfg, value);
		break;
	case CONSUL_RETRIES:
		cfg->retries = (int)opt_long("--retries", value, 0, 100);
		break;
	}
}

void
consul_config_free(struct consul_config *cfg)
{
	free(cfg->url);
	free(cfg->token);
	free(cfg->token_file);
	free(cfg->prefix);
	free(cfg->cacert);
	free(cfg->capath);
	free(cfg->client_cert);
	free(cfg->client_key);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * The token file's whole text without surrounding white space, as Consul
 * reads it.  What is left must be one line of printable text: it becomes
 * a header.
 */
static char *
read_token_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char buf[4096], *text = NULL, *start, *end, *p;
	size_t len = 0, n;

	if (fp == NULL)
		die(EX_NOINPUT, "token file %s: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		text = xreallocarray(text, len + n + 1, 1);
		memcpy(text + len, buf, n);
		len += n;
	}
	if (ferror(fp))
		die(EX_IOERR, "token file %s: %s", path, strerror(errno));
	fclose(fp);
	if (text == NULL)
		die(EX_DATAERR, "token file %s is empty", path);
	text[len] = '\0';
	for (start = text; isspace((unsigned char)*start); start++)
		;
	for (end = text + len; end > start && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	if (start == end)
		die(EX_DATAERR, "token file %s is empty", path);
	for (p = start; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			die(EX_DATAERR, "token file %s: the token is not one "
			    "line of text", path);
	start = xstrdup(start);
	free(text);
	return start;
}

/* A setting libcurl does not take (a TLS one it was built without) is fatal. */
static void
must(CURLcode rc, const char *what)
{
	if (rc != CURLE_OK)
		die(EX_SOFTWARE, "libcurl cannot use %s: %s", what,
		    curl_easy_strerror(rc));
}

static void
set_tls(CURL *curl, const struct consul_config *cfg)
{
	if (cfg->cacert != NULL)
		must(curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->cacert),
		    "CONSUL_CACERT");
	if (cfg->capath != NULL)
		must(curl_easy_setopt(curl, CURLOPT_CAPATH, cfg->capath),
		    "CONSUL_CAPATH");
	if (cfg->client_cert != NULL)
		must(curl_easy_setopt(curl, CURLOPT_SSLCERT, cfg->client_cert),
		    "CONSUL_CLIENT_CERT");
	if (cfg->client_key != NULL)
		must(curl_easy_setopt(curl, CURLOPT_SSLKEY, cfg->client_key),
		    "CONSUL_CLIENT_KEY");
	must(curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, cfg->verify ? 1L :
	    0L), "CONSUL_HTTP_SSL_VERIFY");
	must(curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, cfg->verify ? 2L :
	    0L), "CONSUL_HTTP_SSL_VERIFY");
}

struct consul *
consul_open(const struct consul_config *cfg)
{
	/*
	 * The token first: a bad token file ends the run before anything else.
	 * As in Consul's api, a token file outranks CONSUL_HTTP_TOKEN.
	 */
	char *token = cfg->token_file ? read_token_file(cfg->token_file) :
	    cfg->token ? xstrdup(cfg->token) : NULL;
	struct consul *c = xcalloc(1, sizeof(*c));
	long timeout_ms = (long)(cfg->timeout * 1000);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c->curl = curl_easy_init()) == NULL)
		die(EX_SOFTWARE, "cannot initialise libcurl");
	c->url = xstrdup(cfg->url);
	c->display = consul_mask_password(cfg->url);
	c->retries = cfg->retries;
	if (token != NULL && *token != '\0') {
		char *h = xasprintf("X-Consul-Token: %s", token);

		c->headers = curl_slist_append(c->headers, h);
		free(h);
	}
	free(token);
	c->headers = curl_slist_append(c->headers,
	    "Content-Type: application/json");
	/* curl would otherwise wait a second for "100 Continue" on big PUTs. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	must(curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers),
	    "the request headers");
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->error);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	c->timeout_ms = timeout_ms;
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	/* A stalled listing is given up on; a large one still in flow is not. */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME,
	    timeout_ms < 1000 ? 1L : timeout_ms / 1000);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "recsync/" RECSYNC_VERSION);
	/*
	 * A listing of a million keys is some 400 MB: read in pieces of up
	 * to 512 KiB, not curl's 16 KiB, it takes a thirtieth of the reads,
	 * polls and callbacks (and of the elements a piece's end cuts).
	 */
	curl_easy_setopt(c->curl, CURLOPT_BUFFERSIZE, 512L * 1024);
	set_tls(c->curl, cfg);
	return c;
}

void
consul_close(struct consul *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->display);
	free(c);
	curl_global_cleanup();
}

const char *
consul_url(const struct consul *c)
{
	return c->display;
}

int
consul_retries(const struct consul *c)
{
	return c->retries;
}

const char *
consul_error(const struct consul *c)
{
	return c->error;
}

int
consul_answer_cut(const struct consul *c)
{
	return c->cut;
}

/* Where an answer's body goes: the reply, or a sink for a 2xx answer. */
struct body_dest {
	CURL			*curl;
	struct http_reply	*rep;
	consul_sink_fn		*sink;
	void			*arg;
	int			 sink_failed;
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body_dest *d = arg;
	struct http_reply *rep = d->rep;
	size_t len = size * n;
	long status = 0;

	if (d->sink != NULL) {
		curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status / 100 == 2) {
			if (d->sink(data, len, d->arg) != 0) {
				d->sink_failed = 1;
				return 0;	/* curl stops with a write error */
			}
			return len;
		}
	}
	rep->body = xreallocarray(rep->body, rep->len + len + 1, 1);
	memcpy(rep->body + rep->len, data, len);
	rep->len += len;
	rep->body[rep->len] = '\0';
	return len;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	static const char name[] = "X-Consul-Index:";
	struct http_reply *rep = arg;
	size_t len = size * n;

	if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0)
		rep->index = strtoull(data + sizeof(name) - 1, NULL, 10);
	return len;
}

/* One request; a 2xx answer's body goes to sink when there is one. */
static int
perform(struct consul *c, const char *method, const char *path,
    const char *body, size_t len, struct body_dest *dest)
{
	char *url = xasprintf("%s%s", c->url, path);
	struct http_reply *rep = dest->rep;
	CURLcode rc;

	memset(rep, 0, sizeof(*rep));
	c->error[0] = '\0';
	dest->curl = c->curl;
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST,
	    strcmp(method, "GET") == 0 ? NULL : method);
	if (body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	}
	/*
	 * A request has --timeout to be answered in full.  A streamed listing
	 * (a million records) has no such bound, only one on stalling:
	 * curl's low-speed limit, which averages over a few seconds.
	 */
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
	    dest->sink != NULL ? 0L : c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, dest);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, rep);
	rc = curl_easy_perform(c->curl);
	free(url);
	/* An answer shorter than it said, whether by its length or chunks. */
	c->cut = rc == CURLE_PARTIAL_FILE;
	if (rc != CURLE_OK) {
		if (dest->sink_failed)
			snprintf(c->error, sizeof(c->error), "%s",
			    "the answer is not what the API describes");
		else if (c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "%s",
			    curl_easy_strerror(rc));
		http_reply_free(rep);
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &rep->status);
	if (rep->body == NULL)
		rep->body = xstrdup("");
	return 0;
}

int
consul_call(struct consul *c, const char *method, const char *path,
    const char *body, size_t len, struct http_reply *rep)
{
	struct body_dest dest = { NULL, rep, NULL, NULL, 0 };

	return perform(c, method, path, body, len, &dest);
}

int
consul_call_within(struct consul *c, double secs, const char *method,
    const char *path, const char *body, size_t len, struct http_reply *rep)
{
	long timeout_ms = c->timeout_ms;
	int rc;

	if (secs * 1000 < (double)timeout_ms)
		c->timeout_ms = secs < 0.001 ? 1L : (long)(secs * 1000);
	rc = consul_call(c, method, path, body, len, rep);
	c->timeout_ms = timeout_ms;
	return rc;
}

int
consul_get_stream(struct consul *c, const char *path, consul_sink_fn *sink,
    void *arg, struct http_reply *rep)
{
	struct body_dest dest = { NULL, rep, sink, arg, 0 };

	return perform(c, "GET", path, NULL, 0, &dest);
}

void
consul_backoff(int attempt)
{
	double s = 0.2;
	struct timespec ts;

	while (--attempt > 0 && s < 5)
		s *= 2;
	if (s > 5)
		s = 5;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
consul_try_later(long status)
{
	return status >= 500 || status == 429;
}

int
consul_call_idempotent(struct consul *c, const char *method,
    const char *path, const char *body, size_t len, struct http_reply *rep)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		int rc = consul_call(c, method, path, body, len, rep);

		if (rc == 0 && !consul_try_later(rep->status))
			return 0;
		if (attempt == c->retries)
			return rc;
		if (rc == 0) {
			info("%s %s: HTTP %ld, trying again", method, path,
			    rep->status);
			http_reply_free(rep);
		} else
			info("%s %s: %s, trying again", method, path, c->error);
		consul_backoff(attempt + 1);
	}
}

/* Whether the last transfer failed before any of the request went out. */
static int
sent_nothing(struct consul *c)
{
	long sent = -1;

	curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &sent);
	return sent == 0;
}

int
consul_call_once(struct consul *c, const char *method, const char *path,
    const char *body, size_t len, struct http_reply *rep)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		int rc = consul_call(c, method, path, body, len, rep);

		if (rc == 0 || attempt == c->retries || !sent_nothing(c))
			return rc;
		info("%s %s: %s, trying again", method, path, c->error);
		consul_backoff(attempt + 1);
	}
}

void
http_reply_free(struct http_reply *rep)
{
	free(rep->body);
	rep->body = NULL;
	rep->len = 0;
}

int
consul_fail_status(const struct http_reply *rep)
{
	if (rep->status == 401 || rep->status == 403)
		return EX_NOPERM;
	if (consul_try_later(rep->status))
		return EX_UNAVAILABLE;
	return EX_PROTOCOL;
}

char *
consul_fail_message(const struct http_reply *rep)
{
	size_t n = strcspn(rep->body, "\r\n");

	if (n > 300)
		n = 300;
	return xasprintf("Consul answered HTTP %ld%s%.*s", rep->status,
	    n ? ": " : "", (int)n, rep->body);
}

char *
consul_kv_path(const char *key, const char *query)
{
	char *path = xstrdup("/v1/kv"), *seg, *next;
	const char *p = key;

	for (;;) {
		size_t n = strcspn(p, "/");

		/* A length of 0 would make curl escape the rest of the key. */
		seg = n ? curl_easy_escape(NULL, p, (int)n) : NULL;
		if (n && seg == NULL)
			die(EX_OSERR, "out of memory");
		next = xasprintf("%s/%s", path, seg ? seg : "");
		curl_free(seg);
		free(path);
		path = next;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (query != NULL) {
		next = xasprintf("%s?%s", path, query);
		free(path);
		path = next;
	}
	return path;
}
