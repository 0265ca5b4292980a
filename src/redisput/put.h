/*
 * put: records gathered into chunks, each written as one transaction,
 * and passed through to stdout once it committed.
 *
 * Writing, a chunk is MULTI, MSET name expr ..., SADD set name ..., EXEC;
 * deleting, MULTI, DEL name ..., SREM set name ..., EXEC; with --prune a
 * writing chunk also adds the names to a temporary set (SADD, EXPIRE).
 * Behind sentinels, a chunk that failed because the master went away (the
 * connection lost, READONLY) is run again on the master the sentinels
 * name next: MULTI/EXEC made it land whole or not at all, and running it
 * twice changes nothing.  In a cluster a chunk is written by slot instead
 * (see cluster.h).
 * A chunk's records are owned by the struct put from put_add() until they
 * are printed and freed; the command vectors point into them, so nothing
 * is copied.
 */
#ifndef REDISPUT_PUT_H
#define REDISPUT_PUT_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "record.h"
#include "redis_store.h"

struct put {
	struct redis_store *s;
	const char	*set_key;
	int		 delete;
	size_t		 chunk;		/* records a chunk */
	size_t		 n;		/* records held */
	struct record	*recs;
	/* The MSET (DEL) and SADD (SREM) vectors. */
	const char	**kv, **members;
	size_t		*kvlen, *memlen;
	unsigned long	 chunks, done;	/* committed: chunks, records */
	long long	 keys;		/* keys set; deleted: DEL's results */
	long long	 members_changed; /* SADD's or SREM's results */
	/* With --prune (see prune.h): the server-side set of names written. */
	char		*seen_key;
	const char	**seen;
	size_t		*seenlen;
	long long	 seen_added, pruned;
};

void	put_init(struct put *p, struct redis_store *s, const char *set_key,
	    size_t chunk, int delete);
/* Takes r; commits when the chunk is full.  0, or an exit status. */
int	put_add(struct put *p, struct record *r);
/* Commits what is held.  0, or an exit status. */
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
/* Frees the records still held (a chunk that did not commit) unprinted. */
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
