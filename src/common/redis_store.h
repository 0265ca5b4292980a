/*
 * redis_store: the Redis a tool reads and writes, whatever its URL's
 * kind: one server (redis://, unix://), the master its sentinels name
 * (redis+sentinel://), or a cluster (redis+cluster://).  A command on a
 * key goes where that key lives; a tool needs no other branch to read a
 * set and its members' values in any of the three.
 *
 * Ownership: the struct owns its URL and connections; redis_store_close()
 * frees them.  Every reply returned is the caller's to freeReplyObject().
 */
#ifndef RECSYNC_REDIS_STORE_H
#define RECSYNC_REDIS_STORE_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "redis_cluster.h"
#include "redis_url.h"

/*
 * Seconds to keep asking the sentinels for a new master after the old one
 * went away, at least (a longer --timeout is used instead).
 */
#define REDIS_FAILOVER_WAIT	30.0

struct redis_store {
	struct redis_url url;
	double		 timeout;
	redisContext	*c;		/* the server or master; NULL: cluster */
	struct redis_cluster *cluster;	/* REDIS_CLUSTER */
};

/*
 * Parses text and connects as its kind says, timeout seconds for each
 * connection and command.  A URL that does not parse is EX_USAGE after
 * "what: why" (what names the option or variable it came from); other
 * failures give the statuses of redis_open(), redis_sentinel_master() and
 * redis_cluster_open().  0, or the status after a message.
 */
int	redis_store_open(struct redis_store *s, const char *text,
	    const char *what, double timeout);
/*
 * The same with a URL already parsed (redis_url_parse(), which connects to
 * nothing, so that a settings check can stop before this): s takes u over,
 * which is left empty.
 */
int	redis_store_connect(struct redis_store *s, struct redis_url *u,
	    double timeout);
/*
 * For a sentinel URL: drops the master's connection and asks the
 * sentinels again, waiting up to REDIS_FAILOVER_WAIT seconds for a
 * failover to finish.  0, or a status after a message; other kinds have
 * no one to ask (EX_UNAVAILABLE).
 */
int	redis_store_reconnect(struct redis_store *s);
/*
 * Runs one command whose key is key (in a cluster, on the node serving its
 * slot).  Returns the reply, errors included, or NULL after a message
 * ("ARGV0 KEY: why") with *status set.
 */
redisReply	*redis_store_command(struct redis_store *s, const char *key,
		    int argc, const char **argv, const size_t *lens,
		    int *status);
/*
 * The values of keys[0..n): one MGET on one server; in a cluster, a GET a
 * key, pipelined, every node at once.  Each values[i] is a reply (a
 * string, nil, or in a cluster an error), the caller's to free.  0, or a
 * status after a message, with values all NULL.
 */
int	redis_store_get(struct redis_store *s, const char **keys,
	    const size_t *lens, size_t n, redisReply **values);
void	redis_store_close(struct redis_store *s);

#endif
