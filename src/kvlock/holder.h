/*
 * holder: who holds a lock key, for the message of a run left waiting:
 * the note the holder wrote on the key (host, pid, since) and whether the
 * session that holds it is still alive.  A holder killed outright keeps
 * an alive session until Consul's TTL (twice the TTL asked) runs out;
 * then Consul's lock-delay keeps the key a little longer, while it shows
 * no session.
 *
 * Ownership: the caller frees the string returned.
 */
#ifndef KVLOCK_HOLDER_H
#define KVLOCK_HOLDER_H

#include "consul.h"

/*
 * "pid 42 on host1 since 2026-12-03T03:20:01Z, whose session is alive",
 * or "... whose session is gone ...", or "unknown" when Consul cannot
 * tell; a note that is not kvlock's is shown as it is.
 */
char	*lock_holder_describe(struct consul *c, const char *key);

#endif
