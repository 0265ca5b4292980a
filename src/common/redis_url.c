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

/* "host[:port]" or "[v6addr][:port]". */
static int
parse_hostport(const char *s, size_t len, struct redis_url *u,
    const char **why)
{
	const char *end = s + len, *hend, *port = NULL;
	long long v;
	char *t;

	if (len > 0 && *s == '[') {
		if ((hend = memchr(s, ']', len)) == NULL)
			return *why = "unclosed '[' in the host", -1;
		u->host = xstrndup(s + 1, (size_t)(hend - s - 1));
		if (hend + 1 < end && hend[1] != ':')
			return *why = "junk after the IPv6 address", -1;
		port = hend + 1 < end ? hend + 2 : NULL;
	} else {
		hend = memchr(s, ':', len);
		u->host = xstrndup(s, hend ? (size_t)(hend - s) : len);
		port = hend ? hend + 1 : NULL;
	}
	if (*u->host == '\0') {
		free(u->host);
		u->host = xstrdup("127.0.0.1");
	}
	if (port == NULL)
		return 0;
	t = xstrndup(port, (size_t)(end - port));
	v = 0;
	if (strspn(t, "0123456789") != strlen(t) ||
	    parse_long(t, 1, 65535, &v) != 0)
		*why = "the port is not a number from 1 to 65535 (in a "
		    "password, write '/' as %2F and '?' as %3F)";
	free(t);
	u->port = (int)v;
	return v == 0 ? -1 : 0;
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
		} else
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

/* Splits scheme://authority/path?query and parses each piece. */
static int
parse_parts(const char *text, struct redis_url *u, const char **why)
{
	const char *p, *auth, *at, *path, *query;
	size_t alen, plen;
	int is_unix, db_seen = 0;

	if (strncmp(text, "redis://", 8) == 0)
		is_unix = 0, p = text + 8;
	else if (strncmp(text, "unix://", 7) == 0)
		is_unix = 1, p = text + 7;
	else if (strncmp(text, "rediss://", 9) == 0)
		return *why = "TLS (rediss://) is not supported", -1;
	else
		return *why = "the URL does not start with redis:// or "
		    "unix://", -1;
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
	} else {
		if (parse_hostport(auth, alen, u, why) != 0)
			return -1;
		if (plen > 1 && parse_db(path + 1, plen - 1, &u->db) != 0)
			return *why = "the path is not a db number (/N)", -1;
		db_seen = plen > 1;
	}
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

void
redis_url_free(struct redis_url *u)
{
	free(u->host);
	free(u->path);
	free(u->user);
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->password);
	memset(u, 0, sizeof(*u));
}

char *
redis_url_display(const struct redis_url *u)
{
	const char *user = u->user ? u->user : "";
	const char *pw = u->password ? ":***" : "";
	const char *at = u->user || u->password ? "@" : "";
	char db[32] = "";

	if (u->path != NULL) {
		if (u->db != 0)
			snprintf(db, sizeof(db), "?db=%d", u->db);
		return xasprintf("unix://%s%s%s%s%s", user, pw, at, u->path,
		    db);
	}
	if (u->db != 0)
		snprintf(db, sizeof(db), "/%d", u->db);
	if (strchr(u->host, ':') != NULL)
		return xasprintf("redis://%s%s%s[%s]:%d%s", user, pw, at,
		    u->host, u->port, db);
	return xasprintf("redis://%s%s%s%s:%d%s", user, pw, at, u->host,
	    u->port, db);
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
connect_to(const struct redis_url *u, double timeout)
{
	struct timeval tv;
	redisContext *c;

	if (timeout <= 0)
		c = u->path ? redisConnectUnix(u->path) :
		    redisConnect(u->host, u->port);
	else {
		tv.tv_sec = (time_t)timeout;
		tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
		if (tv.tv_sec == 0 && tv.tv_usec == 0)
			tv.tv_usec = 1;
		c = u->path ? redisConnectUnixWithTimeout(u->path, tv) :
		    redisConnectWithTimeout(u->host, u->port, tv);
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
 * Otherwise says why and sets *status: a lost connection, or an answer no
 * Redis gives, is EX_UNAVAILABLE; an error reply fail_status (or
 * EX_NOPERM for an authentication error).
 */
static int
setup_cmd(redisContext *c, const struct redis_url *u, const char *disp,
    int argc, const char **argv, const char *want, int fail_status,
    int *status)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (r == NULL) {
		warnmsg("%s: %s: %s", disp, argv[0], redis_ctx_error(c));
		*status = EX_UNAVAILABLE;
		return -1;
	}
	if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, want) == 0) {
		freeReplyObject(r);
		return 0;
	}
	if (r->type != REDIS_REPLY_ERROR) {
		warnmsg("%s: %s: not the answer of a Redis server (want %s)",
		    disp, argv[0], want);
		freeReplyObject(r);
		*status = EX_UNAVAILABLE;
		return -1;
	}
	*status = redis_error_status(r) == EX_NOPERM ? EX_NOPERM : fail_status;
	/* Redis does not quote a password back, but a proxy might. */
	if (u->password != NULL && *u->password != '\0' &&
	    strstr(r->str, u->password) != NULL)
		warnmsg("%s: %s refused (message withheld: it quotes the "
		    "password)", disp, argv[0]);
	else
		warnmsg("%s: %s refused: %s%s", disp, argv[0], r->str,
		    strncmp(r->str, "NOAUTH", 6) == 0 && u->password == NULL ?
		    " (give a password in the URL or REDISCLI_AUTH)" : "");
	freeReplyObject(r);
	return -1;
}

/* AUTH [user] password, SELECT db, PING: each checked in turn. */
static int
setup(redisContext *c, const struct redis_url *u, const char *disp,
    int *status)
{
	const char *argv[3];
	char db[32];

	if (u->user != NULL || u->password != NULL) {
		argv[0] = "AUTH";
		argv[1] = u->user ? u->user : u->password;
		argv[2] = u->password ? u->password : "";
		if (setup_cmd(c, u, disp, u->user ? 3 : 2, argv, "OK",
		    EX_NOPERM, status) != 0)
			return -1;
	}
	if (u->db != 0) {
		snprintf(db, sizeof(db), "%d", u->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (setup_cmd(c, u, disp, 2, argv, "OK", EX_CONFIG,
		    status) != 0)
			return -1;
	}
	argv[0] = "PING";
	return setup_cmd(c, u, disp, 1, argv, "PONG", EX_UNAVAILABLE, status);
}

redisContext *
redis_open(const struct redis_url *u, double timeout, int *status)
{
	char *disp = redis_url_display(u);
	redisContext *c = connect_to(u, timeout);

	if (c->err != 0) {
		warnmsg("%s: cannot connect: %s", disp, redis_ctx_error(c));
		*status = EX_UNAVAILABLE;
	} else if (setup(c, u, disp, status) == 0) {
		info("connected to %s", disp);
		free(disp);
		return c;
	}
	redisFree(c);
	free(disp);
	return NULL;
}

redisContext *
redis_open_url(const char *text, double timeout, int *status)
{
	struct redis_url u;
	const char *why;
	redisContext *c;

	if (redis_url_parse(text, &u, &why) != 0) {
		warnmsg("bad Redis URL: %s", why);
		*status = EX_USAGE;
		return NULL;
	}
	c = redis_open(&u, timeout, status);
	redis_url_free(&u);
	return c;
}
