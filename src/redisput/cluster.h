/*
 * cluster: a chunk written to (or deleted from) a Redis Cluster.
 *
 * MSET and DEL may only name keys of one slot, and the record names are
 * spread over all of them, so a chunk's keys are grouped by slot, one
 * MSET (DEL) a slot, and each node gets its groups pipelined, all nodes
 * at once.  The set key lives on one node: its SADD (SREM) goes there.
 * Writing, the values go first and the members only once every value is
 * confirmed; deleting, the members go first: the set never names a record
 * whose value is missing, as the proxy reads the set.  Atomicity is per
 * command, so per slot: a chunk that fails midway may leave some of its
 * slots written and others not, and its records are not passed through.
 */
#ifndef REDISPUT_CLUSTER_H
#define REDISPUT_CLUSTER_H

#include <stddef.h>

#include "multi.h"
#include "put.h"

/*
 * The chunk's MSET (its vector as built for a transaction), by slot, then
 * its other commands (SADD set ..., and --prune's SADD and EXPIRE) on the
 * set key's node.  0 or a status.
 */
int	cluster_write(struct put *p, struct chunk *ch, const char *what);
/*
 * members[0..n) (SREM set ...) on the set key's node, then DEL of
 * names[0..count), by slot, adding the keys deleted to *deleted.
 */
int	cluster_delete(struct put *p, const char **names, const size_t *lens,
	    size_t count, struct multi_cmd *members, int n, const char *what,
	    long long *deleted);

#endif
