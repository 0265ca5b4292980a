/*
 * redis_url: where a tool's Redis is, and an open, authenticated connection
 * to it.  The forms accepted:
 *
 *	redis://[[user][:password]@]host[:port][/db][?query]
 *	unix://[[user][:password]@]/path/to/socket[?query]
 *	redis+sentinel://[[user][:password]@]host[:port][,host[:port]...]
 *	    /MASTER[/db][?query]
 *	redis+cluster://[[user][:password]@]host[:port][,host[:port]...][?query]
 *
 * The query is db=N, password=P and user=U, joined by '&'; a sentinel URL
 * also takes sentinel_password=P and sentinel_username=U, the sentinels'
 * own credentials (the user info is the data nodes').  A sentinel's port
 * defaults to 26379; a cluster has db 0 only.  The user, the
 * password, the socket path and query values are percent-decoded.  The port
 * defaults to 6379, the host to 127.0.0.1, the db to 0; an IPv6 host goes in
 * brackets.  When the URL holds no password, REDISCLI_AUTH supplies it (as
 * for redis-cli).  With a user, AUTH is sent as "AUTH user password" (Redis 6
 * ACL); with a password alone, as "AUTH password".
 *
 * Passwords never appear in a message: a URL that does not parse is
 * described without being echoed, and redis_url_display() masks it.
 *
 * Ownership: a struct redis_url owns its strings; redis_url_free() releases
 * them.  Every redisContext a function here returns is the caller's to
 * redisFree(), and every redisReply a caller gets from it (redisCommand*,
 * redisGetReply) is the caller's to freeReplyObject(), error replies
 * included.  A context whose err is set can only be freed.
 */
#ifndef RECSYNC_REDIS_URL_H
#define RECSYNC_REDIS_URL_H

#include <hiredis/hiredis.h>

#define REDIS_URL_DEFAULT	"redis://127.0.0.1:6379"

enum redis_kind {
	REDIS_SERVER,			/* redis:// or unix://: one server */
	REDIS_SENTINEL,			/* the master the sentinels name */
	REDIS_CLUSTER			/* a Redis Cluster, by its seed nodes */
};

struct redis_node {
	char		*host;
	int		 port;
};

struct redis_url {
	enum redis_kind	 kind;
	char		*host;		/* REDIS_SERVER's TCP host; else NULL */
	int		 port;
	char		*path;		/* unix socket; NULL for TCP */
	char		*user;		/* ACL user; NULL for the default one */
	char		*password;	/* NULL when none */
	int		 db;
	/* REDIS_SENTINEL and REDIS_CLUSTER: the sentinels, the seed nodes. */
	struct redis_node *nodes;
	size_t		 nnodes;
	char		*master;	/* REDIS_SENTINEL: the master's name */
	char		*sentinel_user, *sentinel_password;
};

/*
 * The URL a tool uses: its --redis option when given (opt not NULL), else
 * $REDIS_URL when set and not empty, else REDIS_URL_DEFAULT.
 */
const char	*redis_url_choose(const char *opt);

/*
 * Parses text into *u, taking the password from REDISCLI_AUTH when text has
 * none.  Returns 0, or -1 with *why a static description of the fault
 * naming the part that is wrong (not quoting the text, which may hold a
 * password) and *u left empty.  It connects to nothing: a settings check
 * can call it alone.
 */
int	redis_url_parse(const char *text, struct redis_url *u,
	    const char **why);
void	redis_url_free(struct redis_url *u);

/* "redis://alice:***@127.0.0.1:6379/3", for messages; the caller frees it. */
char	*redis_url_display(const struct redis_url *u);
/* "host:port", or "[v6addr]:port"; the caller frees it. */
char	*redis_addr_display(const char *host, int port);

/*
 * Connects to host:port with u's user, password and db, without a word:
 * on failure returns NULL with *why (the caller frees it; it never quotes
 * a password) and *status as redis_open() sets it.
 */
redisContext	*redis_node_open(const struct redis_url *u, const char *host,
		    int port, double timeout, int *status, char **why);

/*
 * For a REDIS_SERVER URL: connects, authenticates, selects the db and PINGs, with timeout seconds
 * (0: none) for connecting and for every later command.  On failure it
 * prints why (naming the masked URL) and returns NULL with *status set:
 * EX_UNAVAILABLE (cannot connect, connection lost, timed out, server error),
 * EX_NOPERM (AUTH refused, or a password needed and not given), EX_CONFIG
 * (SELECT refused: the db does not exist).
 */
redisContext	*redis_open(const struct redis_url *u, double timeout,
		    int *status);

/*
 * The exit status an error reply calls for: EX_NOPERM for NOAUTH, WRONGPASS
 * and NOPERM (authentication or ACL), EX_UNAVAILABLE otherwise.
 */
int	redis_error_status(const redisReply *r);

/*
 * What went wrong with a context whose err is set, as a sentence fragment
 * ("connection lost: ...", "timed out ...", or hiredis's errstr).  The
 * text may live in a static buffer, valid until the next call.
 */
const char	*redis_ctx_error(const redisContext *c);

#endif
