/*
 * lock: the state of the Consul lock kvlock takes (PREFIX.lock): free, or
 * held by a session, with the holder's note ({"host", "pid", "since"})
 * and whether that session is still alive.  Read only: nothing is taken.
 *
 * Ownership: a struct lock_state owns its strings; lock_state_free().
 */
#ifndef KVDRIFT_LOCK_H
#define KVDRIFT_LOCK_H

#include "consul.h"

struct lock_state {
	int		 held;
	char		*session;	/* the holder's session ID */
	char		*host;		/* from the note; NULL if none */
	long long	 pid, since;	/* 0 when the note lacks them */
	int		 alive;		/* the session still exists */
};

/* Reads the lock on key.  0, or an exit status after a message. */
int	lock_read(struct consul *c, const char *key, struct lock_state *ls);
void	lock_state_free(struct lock_state *ls);

#endif
