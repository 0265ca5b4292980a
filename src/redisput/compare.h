/*
 * compare: what a chunk needs written, read from Redis first (compare
 * mode, see put.h).  A record needs its value written when its key is
 * missing, holds something else or is not a string, and its member added
 * when the set does not have it.  A name the chunk holds twice is written
 * each time, in order, as MSET would: the last one wins.
 *
 * On one server the reads are MGET name ... and SMISMEMBER set name ...,
 * pipelined behind the chunks already sent, so that they see their
 * writes; in a cluster, a GET a key by slot, every node at once, and
 * SMISMEMBER on the set key's node.  Replies are freed here.
 */
#ifndef REDISPUT_COMPARE_H
#define REDISPUT_COMPARE_H

#include "put.h"

/* Sends the chunk's reads on the one server, without waiting. */
void	compare_send(struct put *p, struct chunk *ch);
/*
 * Reads the replies compare_send() asked for and sets ch->need.  0, or a
 * status after a message; *moved as multi_recv() sets it.
 */
int	compare_recv(struct put *p, struct chunk *ch, int *moved);
/* The same in a cluster, reads sent and read.  0, or a status. */
int	compare_cluster(struct put *p, struct chunk *ch);

#endif
