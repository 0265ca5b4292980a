/*
 * push: writing new records to Consul in create-only transactions,
 * removing stored ones, and keeping their use, for kvpush.
 */
#ifndef KVPUSH_PUSH_H
#define KVPUSH_PUSH_H

#include <stddef.h>

#include <yajl/yajl_gen.h>

#include "consul.h"
#include "record.h"
#include "rfc3339.h"
#include "txn.h"

struct push_opts {
	const char	*prefix;
	size_t		 max_ops, max_bytes;
	int		 retries;	/* tries after an unanswered write */
	int		 dry_run;
};

/*
 * A queued record, in the batch's arena: its value, {"record":…,"expr":…
 * (head_len bytes) then ,"tracked_since":"…"} (the time written when the
 * transaction is built), then its line as printed, which gets its index
 * at index_at.
 */
struct queued {
	size_t	at, head_len, line_len, index_at;
};

/*
 * A batch of new records on its way into one transaction.  The records
 * are copied into one arena, reused from batch to batch, from records the
 * input only lends: no allocation a record, and the values are encoded
 * and the lines printed from the arena as they are.
 */
struct pusher {
	struct consul		*c;
	const struct push_opts	*o;
	char			*what;	/* "writing to PREFIX/" */
	char			*key;	/* "PREFIX/ as JSON, open */
	size_t			 key_len;
	long long		 next;	/* the number the next new record gets */
	struct queued		*q;	/* the batch, in input order */
	size_t			 n, q_cap;
	char			*arena;
	size_t			 arena_len, arena_cap;
	char			*out;	/* a batch's lines, numbered */
	size_t			 out_cap;
	struct txn_size		 size;	/* the batch's, numbered from next */
	int			 renumbered; /* since size was reckoned */
	struct txn_body		 body;
	char			 stamp[RFC3339_UTC_LEN]; /* tracked_since */
	yajl_gen		 gen;	/* escapes the expressions */
	unsigned long		 txns, pushed, too_big;
};

/*
 * Reads the largest number under the prefix: 0, or the sysexits status of
 * the failed read (after a message).
 */
int	pusher_init(struct pusher *p, struct consul *c,
	    const struct push_opts *o);
/*
 * Queues a copy of a new record, committing the batch first when the
 * record would not fit: 0.  A record too large for any transaction is
 * warned about (at its place in the input in) and dropped: -1.  When that
 * commit fails, the record is dropped too and its sysexits status (> 0)
 * comes back, after a message: the run must stop.
 */
int	pusher_add(struct pusher *p, const struct record *r,
	    const struct record_input *in);
/*
 * Commits what is queued and prints it: 0, or the sysexits status of the
 * commit that failed, after a message (what is left stays queued).
 */
int	pusher_flush(struct pusher *p);
/* Frees the pusher and whatever it still holds queued. */
void	pusher_free(struct pusher *p);

/*
 * Commits a body of cas or delete-cas operations (nothing in a dry run):
 * TXN_COMMITTED; TXN_CONFLICT when a key changed since it was read (read
 * again and plan again); or a failure, already reported, for
 * txn_exit_status().
 */
enum txn_outcome commit_batch(struct consul *c, const struct push_opts *o,
	    const char *what, const struct txn_body *body);

/*
 * kvpush --delete: removes the input's records; returns a sysexits code,
 * the input's own included.
 */
int	delete_records(struct consul *c, const struct push_opts *o,
	    struct record_input *in);

/*
 * kvpush --touch: the usage lines of the files (stdin when none) into the
 * stored records' values; prints a summary; returns a sysexits code.
 */
int	touch_records(struct consul *c, const struct push_opts *o, int argc,
	    char **argv);

#endif
