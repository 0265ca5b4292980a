/*
 * multi: one MULTI/EXEC transaction, pipelined.  Every command is appended
 * to hiredis's output buffer (resp.h: binary-safe, lengths given) and the lot
 * goes out in one write; its replies are read and checked later, after
 * other transactions may have been sent behind it: OK for MULTI, QUEUED
 * for each command, and EXEC's array holding each command's result.
 * All replies are freed here; the caller gets the integers.
 */
#ifndef REDISPUT_MULTI_H
#define REDISPUT_MULTI_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct multi_cmd {
	int		 argc;
	const char	**argv;
	const size_t	*lens;
	int		 want;		/* REDIS_REPLY_STATUS or _INTEGER */
	long long	 result;	/* filled when want is _INTEGER */
};

/*
 * Sends cmds[0..n) as one transaction, without waiting for its replies.
 * A connection that fails is left for multi_recv() to report: -1, else 0.
 */
int	multi_send(redisContext *c, const struct multi_cmd *cmds, int n);
/*
 * Reads the replies of the transaction sent first of those not yet read.
 * Returns 0, or, after a message beginning with what, the exit status the
 * failure calls for, as multi_run().
 */
int	multi_recv(redisContext *c, struct multi_cmd *cmds, int n,
	    const char *what, int *moved);
/*
 * Runs cmds[0..n) as one transaction: send and receive.  Returns 0, or, after a message
 * beginning with what, the exit status the failure calls for: EX_NOPERM
 * for an ACL or authentication error, EX_UNAVAILABLE otherwise.  *moved
 * is set when the failure is one a failover explains (the connection
 * lost, or the server now a replica: READONLY), so that the master may
 * be looked up again and the transaction rerun.
 */
int	multi_run(redisContext *c, struct multi_cmd *cmds, int n,
	    const char *what, int *moved);

#endif
