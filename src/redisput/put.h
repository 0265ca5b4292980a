/*
 * put: records gathered into chunks, each written as one transaction,
 * and passed through to stdout once it committed.
 *
 * Writing, a chunk is MULTI, MSET name expr ..., SADD set name ..., EXEC;
 * deleting, MULTI, DEL name ..., SREM set name ..., EXEC; with --prune a
 * writing chunk also adds the names to a temporary set (SADD, EXPIRE).
 *
 * On one server (or the master the sentinels name) up to depth chunks are
 * in flight: chunk k+1 is sent while chunk k's replies are on their way,
 * as redis-cli --pipe streams, and the replies are read in order as the
 * window fills.  A chunk is printed only once its own EXEC confirmed it,
 * and chunks are printed in input order, so the first chunk that fails
 * ends the run with nothing after it claimed (chunks behind it may have
 * been applied: they were sent; they are not printed).  When the input
 * has nothing more to read at once (a pipe or a terminal that waits), the
 * window is drained first, so that what committed is printed without
 * waiting for more input.
 * Behind sentinels, when the oldest chunk failed because the master went
 * away (the connection lost, READONLY), every chunk in flight is sent
 * again, in order, to the master the sentinels name next: MULTI/EXEC made
 * each land whole or not at all, and running one twice changes nothing.
 * In a cluster a chunk is written by slot instead, one at a time (see
 * cluster.h).
 *
 * Compare mode (the default when writing): a chunk first reads what Redis
 * holds (MGET of the names, SMISMEMBER of the set), then writes only the
 * values that are missing or differ and the members that are missing, in
 * one MULTI/EXEC; a chunk with nothing to write is confirmed by its reads.
 * Its reads go out after every chunk sent before it, so they see those
 * chunks' writes.  With --rewrite-all every record is written, as above.
 *
 * A chunk's records are owned by its struct chunk from put_add() until
 * they are printed and freed; the command vectors point into them, so
 * nothing is copied.
 */
#ifndef REDISPUT_PUT_H
#define REDISPUT_PUT_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "multi.h"
#include "record.h"
#include "redis_store.h"

/* What a record of a chunk needs written (compare mode). */
#define NEED_VALUE	0x1
#define NEED_MEMBER	0x2

struct chunk {
	struct record	*recs;
	size_t		 n;
	unsigned char	*need;		/* NEED_* a record; compare mode */
	/* The MSET (DEL) and SADD (SREM) vectors, and --prune's SADD. */
	const char	**kv, **members, **seen;
	size_t		*kvlen, *memlen, *seenlen;
	struct multi_cmd cmd[4];
	int		 ncmd;		/* 0: nothing to write */
	int		 ikv, imembers, iseen; /* their commands, or -1 */
	unsigned long	 seq, first;	/* its number, its first record's */
	long long	 values;	/* values it writes */
};

struct put {
	struct redis_store *s;
	const char	*set_key;
	int		 delete, compare;
	size_t		 chunk;		/* records a chunk */
	size_t		 depth;		/* chunks in flight, at most */
	struct chunk	*ring;		/* depth chunks */
	size_t		 head, inflight; /* oldest sent; how many sent */
	int		 drain;		/* the input may wait: drain first */
	unsigned long	 reconnects;	/* failovers lived through */
	unsigned long	 chunks, done;	/* committed: chunks, records */
	unsigned long	 taken;		/* records taken */
	long long	 keys;		/* keys set; deleted: DEL's results */
	long long	 members_changed; /* SADD's or SREM's results */
	/* With --prune (see prune.h): the server-side set of names written. */
	char		*seen_key;
	long long	 seen_added, pruned;
};

void	put_init(struct put *p, struct redis_store *s, const char *set_key,
	    size_t chunk, size_t depth, int delete, int compare);
/* Takes r; sends the chunk when it is full.  0, or an exit status. */
int	put_add(struct put *p, struct record *r);
/* Sends what is held and waits for every chunk.  0, or an exit status. */
int	put_flush(struct put *p);
/*
 * Streams every record of in through p (a dry run prints them only),
 * skipping, with a warning counted in *skipped, any named like the set key.
 * Returns 0, or the status of the chunk failure that stopped it.
 */
int	put_run(struct put *p, struct record_input *in, int dry_run,
	    unsigned long *skipped);
/* With -v: what was done (or would be), and the set's size (SCARD). */
void	put_report(const struct put *p, int dry_run);
/* Frees the records still held (chunks that did not commit) unprinted. */
void	put_free(struct put *p);

/* 0 when the set key holds a set or nothing; else a status (EX_CONFIG). */
int	put_check_set(struct redis_store *s, const char *set_key);
/*
 * SIGPIPE is left at its default only while stdout is written (a reader
 * that went away stops the tool); talking to Redis it is ignored, so that
 * a lost connection is an error to report, not a silent death.
 */
void	put_sigpipe(int stdout_side);

#endif
