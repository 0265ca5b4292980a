#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>

#include <hiredis/hiredis.h>

#include "diag.h"
#include "numparse.h"
#include "redis_url.h"
#include "xalloc.h"

#define BAD_PASSWORD	"bad percent-escape in the password"
#define BAD_USER	"bad percent-escape in the user name"
#define CLUSTER_DB	"a cluster has only db 0: no /N or db= in a " \
			"redis+cluster:// URL"
#define SUN_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

const char *
redis_url_choose(const char *opt)
{
	const char *env = getenv("REDIS_URL");

	if (opt != NULL)
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	return REDIS_URL_DEFAULT;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into a new string; NULL on a bad escape or %00. */
static char *
pct_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len)
			goto bad;
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			goto bad;
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Replaces *dst (freeing it) with the decoded s[0..len). */
static int
set_decoded(char **dst, const char *s, size_t len)
{
	char *v = pct_decode(s, len);

	if (v == NULL)
		return -1;
	free(*dst);
	*dst = v;
	return 0;
}

/* A database number: decimal digits only. */
static int
parse_db(const char *s, size_t len, int *db)
{
	char *t = xstrndup(s, len);
	long long v;
	int rc = -1;

	if (strspn(t, "0123456789") == len &&
	    parse_long(t, 0, INT_MAX, &v) == 0) {
		*db = (int)v;
		rc = 0;
	}
	free(t);
	return rc;
}

/* "[user][:password]" before the '@'. */
static int
parse_userinfo(const char *s, size_t len, struct redis_url *u,
    const char **why)
{
	const char *colon = memchr(s, ':', len);
	size_t ulen = colon ? (size_t)(colon - s) : len;

	if (ulen > 0 && set_decoded(&u->user, s, ulen) != 0)
		return *why = BAD_USER, -1;
	if (colon != NULL && set_decoded(&u->password, colon + 1,
	    len - ulen - 1) != 0)
		return *why = BAD_PASSWORD, -1;
	return 0;
}

/*
 * Whether host holds only what a host name or an IPv4 address holds, or,
 * in brackets, an IPv6 address (with a zone after '%').
 */
static int
host_chars(const char *host, int bracketed)
{
	static const char name[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";
	size_t n = strspn(host, name);

	if (bracketed && strchr(host, ':') == NULL)
		return 0;
	if (bracketed)
		while (host[n] == ':' || host[n] == '%')
			n += 1 + strspn(host + n + 1, name);
	return host[n] == '\0';
}

/*
 * "host[:port]" or "[v6addr][:port]" into *host and *port (left at its
 * default when not given).  which names the entry in messages ("host 2
 * of the list"), NULL for the one host of a redis:// URL.
 */
static int
parse_hostport(const char *s, size_t len, char **host, int *port,
    const char *which, const char **why)
{
	static char buf[160];
	const char *end = s + len, *hend, *pp = NULL;
	long long v;
	char *t;

	if (len > 0 && *s == '[') {
		if ((hend = memchr(s, ']', len)) == NULL)
			return *why = "unclosed '[' in the host", -1;
		*host = xstrndup(s + 1, (size_t)(hend - s - 1));
		if (hend + 1 < end && hend[1] != ':')
			return *why = "junk after the IPv6 address", -1;
		pp = hend + 1 < end ? hend + 2 : NULL;
	} else {
		hend = memchr(s, ':', len);
		*host = xstrndup(s, hend ? (size_t)(hend - s) : len);
		pp = hend ? hend + 1 : NULL;
	}
	if (**host == '\0') {
		free(*host);
		*host = xstrdup("127.0.0.1");
	}
	if (!host_chars(*host, *s == '['))
		return *why = "the host is not a host name or an IP address", -1;
	if (pp == NULL)
		return 0;
	t = xstrndup(pp, (size_t)(end - pp));
	v = 0;
	if (strspn(t, "0123456789") != strlen(t) ||
	    parse_long(t, 1, 65535, &v) != 0) {
		snprintf(buf, sizeof(buf), "the port%s%s is not a number "
		    "from 1 to 65535 (in a password, write '/' as %%2F and "
		    "'?' as %%3F)", which ? " of " : "", which ? which : "");
		*why = buf;
	}
	free(t);
	if (v != 0)
		*port = (int)v;
	return v == 0 ? -1 : 0;
}

/* "host:port,host:port...": the sentinels or the cluster's seed nodes. */
static int
parse_hostlist(const char *s, size_t len, struct redis_url *u, int port,
    const char **why)
{
	static char which[64];
	size_t i = 0, elen;

	if (len == 0)
		return *why = "the host list is empty (host:port[,host:port"
		    "...])", -1;
	while (i <= len) {
		elen = strcspn(s + i, ",");
		if (elen > len - i)
			elen = len - i;
		snprintf(which, sizeof(which), "host %zu of the list",
		    u->nnodes + 1);
		if (elen == 0)
			return *why = "the host list has an empty entry", -1;
		u->nodes = xreallocarray(u->nodes, u->nnodes + 1,
		    sizeof(*u->nodes));
		u->nodes[u->nnodes].host = NULL;
		u->nodes[u->nnodes].port = port;
		if (parse_hostport(s + i, elen, &u->nodes[u->nnodes].host,
		    &u->nodes[u->nnodes].port, which, why) != 0) {
			u->nnodes++;
			return -1;
		}
		u->nnodes++;
		i += elen + 1;
	}
	return 0;
}

static int
is_param(const char *s, size_t klen, const char *name)
{
	return klen == strlen(name) && strncmp(s, name, klen) == 0;
}

/* "db=N&password=P&user=U". */
static int
parse_query(const char *s, struct redis_url *u, int db_seen, const char **why)
{
	while (*s != '\0') {
		size_t len = strcspn(s, "&"), klen = strcspn(s, "="), vlen;
		const char *val = s + klen + 1;

		if (klen >= len)
			return *why = "a query parameter has no '='", -1;
		vlen = len - klen - 1;
		if (is_param(s, klen, "db")) {
			if (u->kind == REDIS_CLUSTER)
				return *why = CLUSTER_DB, -1;
			if (db_seen)
				return *why = "the db is given twice", -1;
			if (parse_db(val, vlen, &u->db) != 0)
				return *why = "db is not a number", -1;
			db_seen = 1;
		} else if (is_param(s, klen, "password")) {
			if (set_decoded(&u->password, val, vlen) != 0)
				return *why = BAD_PASSWORD, -1;
		} else if (is_param(s, klen, "user")) {
			if (set_decoded(&u->user, val, vlen) != 0)
				return *why = BAD_USER, -1;
			/* As before the ':' of the user info: the default user. */
			if (*u->user == '\0') {
				free(u->user);
				u->user = NULL;
			}
		} else if (u->kind == REDIS_SENTINEL &&
		    is_param(s, klen, "sentinel_password")) {
			if (set_decoded(&u->sentinel_password, val, vlen) != 0)
				return *why = BAD_PASSWORD, -1;
		} else if (u->kind == REDIS_SENTINEL &&
		    is_param(s, klen, "sentinel_username")) {
			if (set_decoded(&u->sentinel_user, val, vlen) != 0)
				return *why = BAD_USER, -1;
		} else if (u->kind == REDIS_SENTINEL)
			return *why = "unknown query parameter (known: db, "
			    "password, user, sentinel_password, "
			    "sentinel_username)", -1;
		else
			return *why = "unknown query parameter (known: db, "
			    "password, user)", -1;
		s += len + (s[len] == '&');
	}
	return 0;
}

/* unix://[userinfo@]/path: no host, a path of at most SUN_PATH_MAX bytes. */
static int
parse_unix(size_t alen, const char *path, size_t plen,
    struct redis_url *u, const char **why)
{
	if (alen != 0)
		return *why = "a unix:// URL names no host "
		    "(unix:///path/to/socket)", -1;
	if (plen <= 1)
		return *why = "the unix:// URL has no socket path", -1;
	if ((u->path = pct_decode(path, plen)) == NULL)
		return *why = "bad percent-escape in the socket path", -1;
	if (strlen(u->path) > SUN_PATH_MAX)
		return *why = "the socket path is too long", -1;
	return 0;
}

#define KNOWN_SCHEMES	"redis://, unix://, redis+sentinel:// or " \
			"redis+cluster://"

/*
 * The scheme: sets u->kind and *is_unix and returns the length of
 * "scheme://", or -1 with *why naming the scheme (a scheme is letters,
 * digits, '+', '-' and '.', so it holds no password to hide).
 */
static int
parse_scheme(const char *text, struct redis_url *u, int *is_unix,
    const char **why)
{
	static char buf[128];
	size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	*is_unix = 0;
	if (n == 0 || strncmp(text + n, "://", 3) != 0)
		return *why = "the URL does not start with a scheme (" KNOWN_SCHEMES
		    ")", -1;
	if (n == 5 && strncmp(text, "redis", 5) == 0)
		u->kind = REDIS_SERVER;
	else if (n == 4 && strncmp(text, "unix", 4) == 0)
		u->kind = REDIS_SERVER, *is_unix = 1;
	else if (n == 14 && strncmp(text, "redis+sentinel", 14) == 0)
		u->kind = REDIS_SENTINEL;
	else if (n == 13 && strncmp(text, "redis+cluster", 13) == 0)
		u->kind = REDIS_CLUSTER;
	else if (n >= 6 && strncmp(text, "rediss", 6) == 0)
		return *why = "TLS (rediss://) is not supported", -1;
	else {
		snprintf(buf, sizeof(buf), "unknown scheme '%.*s' (known: "
		    KNOWN_SCHEMES ")", n > 40 ? 40 : (int)n, text);
		return *why = buf, -1;
	}
	return (int)n + 3;
}

/* The path of a redis+sentinel:// URL: /MASTER or /MASTER/DB. */
static int
parse_master(const char *path, size_t plen, struct redis_url *u,
    const char **why)
{
	const char *slash;
	size_t mlen;

	if (plen <= 1 || path[1] == '/')
		return *why = "no master name: write it after the host list "
		    "(redis+sentinel://host:port/MASTER)", -1;
	slash = memchr(path + 1, '/', plen - 1);
	mlen = slash ? (size_t)(slash - path - 1) : plen - 1;
	if ((u->master = pct_decode(path + 1, mlen)) == NULL)
		return *why = "bad percent-escape in the master name", -1;
	if (slash != NULL && parse_db(slash + 1,
	    plen - mlen - 2, &u->db) != 0)
		return *why = "the path after the master name is not a db "
		    "number (/MASTER/N)", -1;
	return slash != NULL;
}

/* The authority and path of a TCP URL, by kind; returns db_seen or -1. */
static int
parse_tcp(const char *auth, size_t alen, const char *path, size_t plen,
    struct redis_url *u, const char **why)
{
	switch (u->kind) {
	case REDIS_SENTINEL:
		if (parse_hostlist(auth, alen, u, 26379, why) != 0)
			return -1;
		return parse_master(path, plen, u, why);
	case REDIS_CLUSTER:
		if (parse_hostlist(auth, alen, u, 6379, why) != 0)
			return -1;
		if (plen > 1)
			return *why = CLUSTER_DB, -1;
		return 0;
	default:
		if (parse_hostport(auth, alen, &u->host, &u->port, NULL,
		    why) != 0)
			return -1;
		if (plen > 1 && parse_db(path + 1, plen - 1, &u->db) != 0)
			return *why = "the path is not a db number (/N)", -1;
		return plen > 1;
	}
}

/* Splits scheme://authority/path?query and parses each piece. */
static int
parse_parts(const char *text, struct redis_url *u, const char **why)
{
	const char *p, *auth, *at, *path, *query;
	size_t alen, plen;
	int is_unix, db_seen = 0, skip;

	if ((skip = parse_scheme(text, u, &is_unix, why)) < 0)
		return -1;
	p = text + skip;
	auth = p;
	alen = strcspn(p, "/?");
	path = p + alen;
	query = strchr(path, '?');
	plen = query ? (size_t)(query - path) : strlen(path);
	/* The last '@' ends the user info: a password may hold an '@'. */
	if ((at = memrchr(auth, '@', alen)) != NULL) {
		if (parse_userinfo(auth, (size_t)(at - auth), u, why) != 0)
			return -1;
		alen -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	if (is_unix) {
		if (parse_unix(alen, path, plen, u, why) != 0)
			return -1;
	} else if ((db_seen = parse_tcp(auth, alen, path, plen, u, why)) < 0)
		return -1;
	if (query != NULL && parse_query(query + 1, u, db_seen, why) != 0)
		return -1;
	return 0;
}

int
redis_url_parse(const char *text, struct redis_url *u, const char **why)
{
	const char *env = getenv("REDISCLI_AUTH");

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (parse_parts(text, u, why) != 0) {
		redis_url_free(u);
		return -1;
	}
	if (u->password == NULL && env != NULL && *env != '\0')
		u->password = xstrdup(env);
	return 0;
}

static void
free_secret(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

void
redis_url_free(struct redis_url *u)
{
	size_t i;

	free(u->host);
	free(u->path);
	free(u->user);
	free_secret(u->password);
	for (i = 0; i < u->nnodes; i++)
		free(u->nodes[i].host);
	free(u->nodes);
	free(u->master);
	free(u->sentinel_user);
	free_secret(u->sentinel_password);
	memset(u, 0, sizeof(*u));
}

/*
 * s with '%' and the bytes of special escaped, as the parser decodes
 * them: so that the URL shown reads back as the same user and path.
 */
static char *
pct_encode(const char *s, const char *special)
{
	char *out = xmalloc(3 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '%' || strchr(special, *s) != NULL)
			o += snprintf(o, 4, "%%%02X", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

char *
redis_addr_display(const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		return xasprintf("[%s]:%d", host, port);
	return xasprintf("%s:%d", host, port);
}

/* "h1:p1,h2:p2" for the sentinels or the seed nodes. */
static char *
hostlist_display(const struct redis_url *u)
{
	char *list = xstrdup(""), *addr, *next;
	size_t i;

	for (i = 0; i < u->nnodes; i++) {
		addr = redis_addr_display(u->nodes[i].host, u->nodes[i].port);
		next = xasprintf("%s%s%s", list, i ? "," : "", addr);
		free(addr);
		free(list);
		list = next;
	}
	return list;
}

/* The sentinel or cluster form, passwords masked. */
static char *
multi_display(const struct redis_url *u, const char *userinfo)
{
	char *list = hostlist_display(u), *out, *master, *suser;
	char db[32] = "";

	if (u->kind == REDIS_CLUSTER)
		out = xasprintf("redis+cluster://%s%s", userinfo, list);
	else {
		if (u->db != 0)
			snprintf(db, sizeof(db), "/%d", u->db);
		master = pct_encode(u->master, "/?#");
		suser = pct_encode(u->sentinel_user ? u->sentinel_user : "",
		    "&#");
		out = xasprintf("redis+sentinel://%s%s/%s%s%s%s%s", userinfo,
		    list, master, db,
		    u->sentinel_user || u->sentinel_password ? "?" : "",
		    u->sentinel_user ? "sentinel_username=" : "", suser);
		free(master);
		free(suser);
		if (u->sentinel_password != NULL) {
			char *t = xasprintf("%s%ssentinel_password=***", out,
			    u->sentinel_user ? "&" : "");
			free(out);
			out = t;
		}
	}
	free(list);
	return out;
}

char *
redis_url_display(const struct redis_url *u)
{
	char *user = pct_encode(u->user ? u->user : "", ":@/?#");
	const char *pw = u->password ? ":***" : "";
	const char *at = u->user || u->password ? "@" : "";
	char db[32] = "", *userinfo, *addr, *path, *out;

	userinfo = xasprintf("%s%s%s", user, pw, at);
	if (u->kind != REDIS_SERVER)
		out = multi_display(u, userinfo);
	else if (u->path != NULL) {
		if (u->db != 0)
			snprintf(db, sizeof(db), "?db=%d", u->db);
		path = pct_encode(u->path, "?#");
		out = xasprintf("unix://%s%s%s", userinfo, path, db);
		free(path);
	} else {
		if (u->db != 0)
			snprintf(db, sizeof(db), "/%d", u->db);
		addr = redis_addr_display(u->host, u->port);
		out = xasprintf("redis://%s%s%s", userinfo, addr, db);
		free(addr);
	}
	free(userinfo);
	free(user);
	return out;
}

int
redis_error_status(const redisReply *r)
{
	static const char *const auth[] = { "NOAUTH", "WRONGPASS", "NOPERM" };
	size_t i;

	for (i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
		if (r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, auth[i], strlen(auth[i])) == 0)
			return EX_NOPERM;
	return EX_UNAVAILABLE;
}

const char *
redis_ctx_error(const redisContext *c)
{
	static char buf[sizeof(c->errstr) + 32];

	if (c->err == REDIS_ERR_EOF)
		return "connection lost: the server closed it";
	if (c->err != REDIS_ERR_IO)
		return c->errstr;
	if (strcmp(c->errstr, strerror(EAGAIN)) == 0)
		return "timed out waiting for the server";
	if (strcmp(c->errstr, strerror(EPIPE)) == 0 ||
	    strcmp(c->errstr, strerror(ECONNRESET)) == 0) {
		snprintf(buf, sizeof(buf), "connection lost: %s", c->errstr);
		return buf;
	}
	return c->errstr;
}

/* A blocking connection with timeout seconds for connect and I/O (0: none). */
static redisContext *
connect_any(const char *host, int port, const char *path, double timeout)
{
	struct timeval tv;
	redisContext *c;

	if (timeout <= 0)
		c = path ? redisConnectUnix(path) : redisConnect(host, port);
	else {
		tv.tv_sec = (time_t)timeout;
		tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
		if (tv.tv_sec == 0 && tv.tv_usec == 0)
			tv.tv_usec = 1;
		c = path ? redisConnectUnixWithTimeout(path, tv) :
		    redisConnectWithTimeout(host, port, tv);
		if (c != NULL && c->err == 0 &&
		    redisSetTimeout(c, tv) != REDIS_OK)
			die(EX_OSERR, "cannot set the Redis timeout: %s",
			    c->errstr);
	}
	if (c == NULL)
		die(EX_OSERR, "out of memory for a Redis connection");
	return c;
}

/*
 * Runs one setup command; 0 when Redis answered the status want.
 * Otherwise sets *why (allocated) and *status: a lost connection, or an
 * answer no Redis gives, is EX_UNAVAILABLE; an error reply fail_status (or
 * EX_NOPERM for an authentication error).
 */
static int
setup_cmd(redisContext *c, const struct redis_url *u, const char *disp,
    int argc, const char **argv, const char *want, int fail_status,
    int *status, char **why)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	*status = EX_UNAVAILABLE;
	if (r == NULL) {
		*why = xasprintf("%s: %s: %s", disp, argv[0],
		    redis_ctx_error(c));
		return -1;
	}
	if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, want) == 0) {
		freeReplyObject(r);
		return 0;
	}
	if (r->type != REDIS_REPLY_ERROR) {
		*why = xasprintf("%s: %s: not the answer of a Redis server "
		    "(want %s)", disp, argv[0], want);
		freeReplyObject(r);
		return -1;
	}
	*status = redis_error_status(r) == EX_NOPERM ? EX_NOPERM : fail_status;
	/* Redis does not quote a password back, but a proxy might. */
	if (u->password != NULL && *u->password != '\0' &&
	    strstr(r->str, u->password) != NULL)
		*why = xasprintf("%s: %s refused (message withheld: it quotes "
		    "the password)", disp, argv[0]);
	else
		*why = xasprintf("%s: %s refused: %s%s", disp, argv[0], r->str,
		    strncmp(r->str, "NOAUTH", 6) == 0 && u->password == NULL ?
		    " (give a password in the URL or REDISCLI_AUTH)" : "");
	freeReplyObject(r);
	return -1;
}

/* AUTH [user] password, SELECT db, PING: each checked in turn. */
static int
setup(redisContext *c, const struct redis_url *u, const char *disp,
    int *status, char **why)
{
	const char *argv[3];
	char db[32];

	if (u->user != NULL || u->password != NULL) {
		argv[0] = "AUTH";
		argv[1] = u->user ? u->user : u->password;
		argv[2] = u->password ? u->password : "";
		if (setup_cmd(c, u, disp, u->user ? 3 : 2, argv, "OK",
		    EX_NOPERM, status, why) != 0)
			return -1;
	}
	if (u->db != 0) {
		snprintf(db, sizeof(db), "%d", u->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (setup_cmd(c, u, disp, 2, argv, "OK", EX_CONFIG,
		    status, why) != 0)
			return -1;
	}
	argv[0] = "PING";
	return setup_cmd(c, u, disp, 1, argv, "PONG", EX_UNAVAILABLE, status,
	    why);
}

/* Connects to u's one server, or host:port when host is not NULL. */
static redisContext *
open_quiet(const struct redis_url *u, const char *host, int port,
    double timeout, int *status, char **why)
{
	struct redis_url one = *u;
	redisContext *c;
	char *disp;

	one.kind = REDIS_SERVER;
	if (host != NULL) {
		one.host = (char *)host;
		one.port = port;
		one.path = NULL;
	}
	disp = redis_url_display(&one);
	c = connect_any(one.host, one.port, one.path, timeout);
	if (c->err != 0) {
		*why = xasprintf("%s: cannot connect: %s", disp,
		    redis_ctx_error(c));
		*status = EX_UNAVAILABLE;
	} else if (setup(c, &one, disp, status, why) == 0) {
		debug("connected to %s", disp);
		free(disp);
		return c;
	}
	redisFree(c);
	free(disp);
	return NULL;
}

redisContext *
redis_node_open(const struct redis_url *u, const char *host, int port,
    double timeout, int *status, char **why)
{
	return open_quiet(u, host, port, timeout, status, why);
}

redisContext *
redis_open(const struct redis_url *u, double timeout, int *status)
{
	char *why = NULL, *disp;
	redisContext *c = open_quiet(u, NULL, 0, timeout, status, &why);

	if (c == NULL) {
		warnmsg("%s", why);
		free(why);
		return NULL;
	}
	disp = redis_url_display(u);
	info("connected to %s", disp);
	free(disp);
	return c;
}
