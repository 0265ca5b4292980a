#include <string.h>

#include <hiredis/hiredis.h>

#include "diag.h"
#include "redis_url.h"
#include "resp.h"
#include "multi.h"

/* The connection failed mid-transaction: EXEC may have run or not. */
static int
lost(const redisContext *c, const char *what)
{
	warnmsg("%s: %s; the chunk may or may not have been applied", what,
	    redis_ctx_error(c));
	return EX_UNAVAILABLE;
}

static int
unexpected(const redisReply *r, const char *cmd, const char *what)
{
	warnmsg("%s: unexpected reply to %s (type %d%s%s)", what, cmd, r->type,
	    r->str ? ": " : "", r->str ? r->str : "");
	return EX_UNAVAILABLE;
}

/* The reply to MULTI (OK) or to a queued command (QUEUED). */
static int
check_ack(const redisReply *r, const char *cmd, const char *want,
    const char *what)
{
	if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, want) == 0)
		return 0;
	if (r->type != REDIS_REPLY_ERROR)
		return unexpected(r, cmd, what);
	if (strcmp(cmd, "MULTI") == 0)
		warnmsg("%s: MULTI refused: %s; the chunk's commands may have "
		    "run outside a transaction", what, r->str);
	else
		warnmsg("%s: %s refused: %s; nothing of the chunk was applied",
		    what, cmd, r->str);
	return redis_error_status(r);
}

/* One element of EXEC's array: the result of cmd. */
static int
check_result(const redisReply *r, struct multi_cmd *cmd, const char *what)
{
	if (r->type == REDIS_REPLY_ERROR) {
		warnmsg("%s: %s failed inside the transaction: %s (Redis does "
		    "not roll back: the chunk's other commands were applied)",
		    what, cmd->argv[0], r->str);
		return redis_error_status(r);
	}
	if (cmd->want == REDIS_REPLY_INTEGER &&
	    r->type == REDIS_REPLY_INTEGER) {
		cmd->result = r->integer;
		return 0;
	}
	if (cmd->want == REDIS_REPLY_STATUS && r->type == REDIS_REPLY_STATUS &&
	    strcmp(r->str, "OK") == 0)
		return 0;
	return unexpected(r, cmd->argv[0], what);
}

static int
check_exec(const redisReply *r, struct multi_cmd *cmds, int n, const char *what)
{
	size_t i;
	int status;

	if (r->type == REDIS_REPLY_ERROR) {
		warnmsg("%s: EXEC refused: %s", what, r->str);
		return redis_error_status(r);
	}
	if (r->type == REDIS_REPLY_NIL) {
		warnmsg("%s: EXEC aborted the transaction", what);
		return EX_UNAVAILABLE;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n)
		return unexpected(r, "EXEC", what);
	for (i = 0; i < r->elements; i++)
		if ((status = check_result(r->element[i], &cmds[i], what)) != 0)
			return status;
	return 0;
}

/* An error a failover explains: the server is no longer the master. */
static int
not_master(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR &&
	    (strncmp(r->str, "READONLY", 8) == 0 ||
	    strncmp(r->str, "MASTERDOWN", 10) == 0);
}

int
multi_send(redisContext *c, const struct multi_cmd *cmds, int n)
{
	static const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	int i, done = 0;

	resp_append(c, 1, multi, NULL);
	for (i = 0; i < n; i++)
		resp_append(c, cmds[i].argc, cmds[i].argv, cmds[i].lens);
	resp_append(c, 1, exec, NULL);
	/* Out now, so that the server works while the next chunk is read. */
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -1;
	return 0;
}

int
multi_recv(redisContext *c, struct multi_cmd *cmds, int n, const char *what,
    int *moved)
{
	redisReply *r;
	int i, status = 0;

	*moved = 0;
	/* Every reply is read, even after a failure, to drain the pipeline. */
	for (i = -1; i <= n; i++) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			*moved = 1;
			return lost(c, what);
		}
		if (not_master(r))
			*moved = 1;
		if (status != 0)
			;
		else if (i < 0)
			status = check_ack(r, "MULTI", "OK", what);
		else if (i < n)
			status = check_ack(r, cmds[i].argv[0], "QUEUED", what);
		else
			status = check_exec(r, cmds, n, what);
		freeReplyObject(r);
	}
	return status;
}

int
multi_run(redisContext *c, struct multi_cmd *cmds, int n, const char *what,
    int *moved)
{
	(void)multi_send(c, cmds, n);
	return multi_recv(c, cmds, n, what, moved);
}
