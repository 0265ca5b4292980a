/*
 * session: a Consul session and the lock it holds on one key, the way
 * `consul lock` does it.  The session has a TTL, so a holder that dies
 * frees the lock by itself; a live holder renews it.
 *
 * Ownership: a struct lock owns its strings; lock_free() releases them.
 */
#ifndef KVLOCK_SESSION_H
#define KVLOCK_SESSION_H

#include <signal.h>

#include "consul.h"
#include "diag.h"

/* Consul's lock-delay on the session: no one takes a lock it lost sooner. */
#define LOCK_DELAY	15
/*
 * The longest time between two renewals, whatever the TTL: a session found
 * gone is noticed within it, well inside the lock-delay.
 */
#define LOCK_RENEW_EVERY 5
/* The status of a run whose session was lost: try again later. */
#define LOCK_LOST	EX_TEMPFAIL

struct lock {
	struct consul	*c;
	char		*key;
	char		*session;	/* NULL until created */
	char		*holder;	/* the value written to the key */
	double		 ttl;
	double		 renewed_at;	/* now_seconds() the last renewal that
					   succeeded (or the creation) was sent */
	double		 renew_at;	/* when lock_keep() renews next */
	int		 failures;	/* renewals failed in a row */
};

/*
 * Creates the session; ends the run (with a message) if Consul says no.
 * From then on every way out must go through lock_release().
 */
void	lock_session_create(struct lock *l, const char *name);
/*
 * Tries to take the lock until it is ours (0).  Otherwise says why and
 * returns the status to exit with: EX_TEMPFAIL when another session held
 * it for timeout seconds, LOCK_LOST when the session was lost meanwhile,
 * 128 + its number when a signal of stop (blocked by the caller) came, a
 * request's status when one failed.  The lock may
 * then be held all the same (an acquire applied, its answer lost).
 */
int	lock_acquire(struct lock *l, double timeout, const sigset_t *stop);
/*
 * Keeps the session alive: renews it once renew_at has come, every
 * min(TTL/3, LOCK_RENEW_EVERY), a second after a renewal that failed.
 * 0 while the lock may still be ours; -1, after a message, once it is
 * lost: Consul no longer knows the session, or no renewal has succeeded
 * for a TTL (as Consul's RenewPeriodic gives up: the session may be gone).
 */
int	lock_keep(struct lock *l);
/*
 * Reads the key and releases it if this session holds it, then destroys
 * the session: never the other order.  Says what it could not do.
 */
void	lock_release(struct lock *l);
void	lock_free(struct lock *l);
/* The monotonic clock in seconds, for the waits on the lock and command. */
double	now_seconds(void);

#endif
