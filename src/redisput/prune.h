/*
 * prune: with --prune, after a complete run, the set's other members are
 * removed, keys and all, so that Redis holds exactly the input.
 *
 * The input's names are gathered on the server, in a temporary set that
 * each chunk's own transaction adds to (and gives a TTL, so that a run that
 * dies leaves nothing for long); at the end SDIFFSTORE gives the stale
 * names, which are popped and deleted a chunk at a time.  The client's
 * memory stays bounded by one chunk, whatever the size of the set.
 */
#ifndef REDISPUT_PRUNE_H
#define REDISPUT_PRUNE_H

#include "put.h"

/* Seconds the temporary sets live after the last chunk touched them. */
#define PRUNE_TTL	"86400"

/* Names the temporary set and makes sure it starts empty.  0 or a status. */
int	prune_begin(struct put *p);
/*
 * Removes the members the run did not write, counting them in p->pruned.
 * complete is 0 when the input was not read whole (bad lines, unreadable
 * files): then nothing is removed.  0 or a status.
 */
int	prune_finish(struct put *p, int complete);

#endif
