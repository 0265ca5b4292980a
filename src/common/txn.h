/*
 * txn: Consul's transaction endpoint, PUT /v1/txn.  A transaction applies
 * all of its operations or none.  Consul takes at most 64 operations and
 * a body of at most 512 KiB (txn_max_req_len) in one.
 *
 * txn_op_* build one operation's JSON text; callers join them into a body
 * with txn_body() and send it with txn_send(), which sorts the answer into
 * the outcomes a caller must tell apart.
 *
 * Ownership: every char * returned here is the caller's to free().
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
	TXN_UNKNOWN	/* no answer or a 5xx: it may or may not have applied */
};

/* {"KV":{"Verb":"cas","Key":key,"Value":base64(value),"Index":cas}} */
char	*txn_op_cas(const char *key, const char *value, size_t len,
	    unsigned long long cas);
/* {"KV":{"Verb":"delete-cas","Key":key,"Index":cas}} */
char	*txn_op_delete_cas(const char *key, unsigned long long cas);
/* The body for n operations: "[op,op,...]"; its length in *len. */
char	*txn_body(char *const *ops, size_t n, size_t *len);
/* The size txn_body() adds to a body for one more op of oplen bytes. */
size_t	 txn_op_cost(size_t oplen);

/* Sends one transaction; *why (to free) explains any other outcome. */
enum txn_outcome txn_send(struct consul *c, const char *body, size_t len,
	    char **why);

#endif
