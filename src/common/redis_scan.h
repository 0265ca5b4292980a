/*
 * redis_scan: the members of a set and the value each one names, read a
 * chunk at a time: SSCAN cursor COUNT n, then the values of the members
 * that reply gave (one MGET; in a cluster, GETs routed by slot, see
 * redis_store.h).  However large the set, the client holds one chunk; it never
 * sends SMEMBERS, which would make Redis build the whole set in one reply.
 *
 * SSCAN may hand a member over more than once (the set was rehashed
 * during the scan); the callback must allow for that.  A member added or
 * removed during the scan may or may not be seen, as SSCAN documents.
 *
 * Ownership: the strings passed to the callback live until it returns;
 * every reply is freed here.
 */
#ifndef RECSYNC_REDIS_SCAN_H
#define RECSYNC_REDIS_SCAN_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "redis_store.h"

/*
 * One member (len bytes, NUL-terminated) and its key's value: NULL when
 * the key does not exist or does not hold a string.
 */
typedef void redis_member_fn(const char *member, size_t len,
    const char *value, size_t vlen, void *arg);

/*
 * Calls fn for each member of set_key, count members a chunk.  A missing
 * key is an empty set.  Returns 0, or after a message the exit status the
 * failure calls for: EX_CONFIG when the key is not a set, EX_NOPERM for an
 * ACL or authentication error, EX_UNAVAILABLE for the rest.
 */
int	redis_scan_members(struct redis_store *s, const char *set_key,
	    size_t count, redis_member_fn *fn, void *arg);

#endif
