/*
 * redis_cluster: commands to a Redis Cluster, each sent to the master
 * that serves its key's slot (see redis_slot.h).
 *
 * The slot map comes from CLUSTER SLOTS, asked of the seed nodes of a
 * redis+cluster:// URL in turn.  A connection is opened to a node the
 * first time a command goes there, with the URL's credentials.  A batch
 * of commands is pipelined: every node gets its share before any reply is
 * read, so that all nodes work at once.  MOVED points the slot at its new
 * node and the command goes again (the map is read anew after the round);
 * ASK sends the command once more, after ASKING, to the node named.  A
 * command on several keys of one slot (MSET, DEL) that meets ASK or
 * TRYAGAIN, as while its slot is being migrated, is split into one command
 * a key, which the source and target nodes can each serve.
 *
 * Ownership: a struct redis_cluster borrows its URL (which must outlive
 * it) and owns its connections; redis_cluster_close() frees them.  The
 * argument vectors of a cluster_cmd stay the caller's; a reply kept
 * (keep) is the caller's to freeReplyObject().
 */
#ifndef RECSYNC_REDIS_CLUSTER_H
#define RECSYNC_REDIS_CLUSTER_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "redis_url.h"

struct redis_cluster;

struct cluster_cmd {
	unsigned	 slot;		/* of every key the command names */
	int		 argc;
	const char	**argv;
	const size_t	*lens;		/* NULL: strlen of each argument */
	int		 step;		/* keys repeat every step arguments
					   (MSET 2, DEL 1) and the command
					   may be split key by key; 0: never */
	int		 keep;		/* keep the reply, an error one
					   included (never split) */
	redisReply	*reply;		/* kept reply, or NULL */
	long long	 result;	/* the sum of its integer replies */
};

/*
 * Reads the slot map from the first seed node that answers, after checking
 * that CLUSTER INFO says cluster_state:ok.  On failure returns NULL after
 * a message, with *status EX_UNAVAILABLE (no seed answered, the cluster is
 * down, not a cluster) or EX_NOPERM (credentials refused).
 */
struct redis_cluster	*redis_cluster_open(const struct redis_url *u,
			    double timeout, int *status);
/*
 * Runs cmds[0..n) wherever their slots are served, all nodes at once,
 * following redirections.  Returns 0, or after a message beginning with
 * what the status the failure calls for (EX_UNAVAILABLE: a node lost or
 * unreachable, the cluster down or still redirecting; EX_NOPERM: an ACL or
 * authentication error).  Commands of a failed batch may have run or not.
 */
int	redis_cluster_run(struct redis_cluster *cl, struct cluster_cmd *cmds,
	    size_t n, const char *what);
/* One command on key[0..keylen); its reply (caller frees) or NULL. */
redisReply	*redis_cluster_command(struct redis_cluster *cl,
		    const char *key, size_t keylen, int argc,
		    const char **argv, const size_t *lens, int *status);
void	redis_cluster_close(struct redis_cluster *cl);

#endif
