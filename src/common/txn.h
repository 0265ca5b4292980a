/*
 * txn: Consul's transaction endpoint, PUT /v1/txn.  A transaction applies
 * all of its operations or none.  Consul takes at most 64 operations and
 * a body of at most 512 KiB (txn_max_req_len) in one.
 *
 * A batch is planned by arithmetic (txn_cas_len, txn_delete_cas_len and
 * txn_size_add give each operation's and the body's exact length, so a
 * batch is cut exactly at the limits), then written once into a txn_body
 * and committed with txn_commit(), the one send-and-retry loop of every
 * writer (kvpush's new records, --touch and --delete).
 *
 * Ownership: a txn_body owns its text (txn_body_free); every char * handed
 * back through a why is the caller's to free().
 */
#ifndef RECSYNC_TXN_H
#define RECSYNC_TXN_H

#include <stddef.h>

#include "consul.h"

#define TXN_MAX_OPS	64
#define TXN_MAX_BYTES	(512 * 1024)

enum txn_outcome {
	TXN_COMMITTED,	/* 200: every operation applied */
	TXN_CONFLICT,	/* 409 over a CAS or missing key: nothing applied */
	TXN_DENIED,	/* 403, or 409 "Permission denied": nothing applied */
	TXN_REFUSED,	/* another 4xx (too large, malformed): nothing applied */
	TXN_LIMITED,	/* 429, a rate limit: nothing applied, send it later */
	TXN_UNKNOWN	/* no answer or a 5xx: it may or may not have applied */
};

/* A key as a JSON string, quotes included; its length in *len. */
char	*txn_json_string(const char *s, size_t *len);

/*
 * The exact length of {"KV":{"Verb":"cas","Key":KEY,"Value":"BASE64",
 * "Index":cas}} for a key of key_json_len bytes as JSON (quotes included)
 * and a value of value_len bytes, and of the delete-cas without a value.
 */
size_t	txn_cas_len(size_t key_json_len, size_t value_len,
	    unsigned long long cas);
size_t	txn_delete_cas_len(size_t key_json_len, unsigned long long cas);

/* A transaction being planned: its operations and its body's length. */
struct txn_size {
	size_t	ops, bytes;
};
#define TXN_SIZE_EMPTY	{ 0, 2 }	/* "[]" */
/*
 * Counts one more operation of oplen bytes when the transaction still
 * holds at most max_ops operations and max_bytes bytes with it: 1, or 0
 * (nothing counted) when it would not.
 */
int	txn_size_add(struct txn_size *s, size_t oplen, size_t max_ops,
	    size_t max_bytes);
/*
 * Whether an operation of oplen bytes fits a transaction of its own: one
 * that does not must be left out, as Consul would refuse every batch
 * holding it, on every run.
 */
int	txn_op_fits_alone(size_t oplen, size_t max_bytes);

/* A body, "[op,op,...]", written in place. */
struct txn_body {
	char	*text;
	size_t	 len, cap, ops;
};

/* Empties b (keeping its memory) for a body of about size bytes. */
void	txn_body_start(struct txn_body *b, size_t size);
/* Appends a cas of value (len bytes, base64-encoded here) at key_json. */
void	txn_body_cas(struct txn_body *b, const char *key_json, size_t klen,
	    const char *value, size_t len, unsigned long long cas);
void	txn_body_delete_cas(struct txn_body *b, const char *key_json,
	    size_t klen, unsigned long long cas);
/* Closes the array: b->text is then the body, b->len long. */
void	txn_body_end(struct txn_body *b);
void	txn_body_free(struct txn_body *b);

/* A written body on its way into Consul. */
struct txn_batch {
	const char		*what;	/* "writing to P/", for messages */
	const struct txn_body	*body;
	/*
	 * After a write without an answer, or in conflict perhaps with
	 * itself (curl sends a request again when a kept-alive connection
	 * died before the answer): 1 when it took effect, 0 when not, -1
	 * when Consul cannot tell.  NULL when the batch's own checks (cas on
	 * a ModifyIndex) make sending it again harmless.
	 */
	int			(*landed)(void *arg);
	void			*arg;
	unsigned long		 sent;	/* transactions sent, counted here */
};

/*
 * Sends b, and again (up to retries times, after a pause) while it gets no
 * answer or is rate limited: TXN_COMMITTED; TXN_CONFLICT, which the caller
 * settles (read again, renumber); or a failure for txn_exit_status():
 * denied, refused, unanswered or limited after every try, or landed or not
 * with no way to tell.  *why (to free) says why for all but TXN_COMMITTED.
 */
enum txn_outcome txn_commit(struct consul *c, int retries,
	    struct txn_batch *b, char **why);
/* The sysexits status of a failed txn_commit(). */
int	txn_exit_status(enum txn_outcome out);

#endif
