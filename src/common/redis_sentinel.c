#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "diag.h"
#include "numparse.h"
#include "redis_sentinel.h"
#include "redis_url.h"
#include "xalloc.h"

#define RETRY_PAUSE	0.5		/* seconds between rounds */

/* The [host, port] array GET-MASTER-ADDR-BY-NAME answers, or a reason. */
static char *
read_addr(const redisReply *r, const char *master, char **host, int *port)
{
	long long v;

	if (r->type == REDIS_REPLY_NIL)
		return xasprintf("knows no master named %s", master);
	if (r->type == REDIS_REPLY_ERROR)
		return xasprintf("SENTINEL GET-MASTER-ADDR-BY-NAME refused: "
		    "%s", r->str);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    parse_long(r->element[1]->str, 1, 65535, &v) != 0)
		return xstrdup("not the answer of a sentinel to "
		    "GET-MASTER-ADDR-BY-NAME");
	*host = xstrdup(r->element[0]->str);
	*port = (int)v;
	return NULL;
}

/* Asks sentinel i for the master's address; NULL, or why it could not. */
static char *
ask_sentinel(const struct redis_url *u, size_t i, double timeout,
    char **host, int *port)
{
	struct redis_url s;
	const char *argv[] = { "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
	    u->master };
	redisContext *c;
	redisReply *r;
	char *why = NULL;
	int status;

	memset(&s, 0, sizeof(s));
	s.user = u->sentinel_user;
	s.password = u->sentinel_password;
	c = redis_node_open(&s, u->nodes[i].host, u->nodes[i].port, timeout,
	    &status, &why);
	if (c == NULL)
		return why;
	if ((r = redisCommandArgv(c, 3, argv, NULL)) == NULL)
		why = xasprintf("SENTINEL: %s", redis_ctx_error(c));
	else
		why = read_addr(r, u->master, host, port);
	freeReplyObject(r);
	redisFree(c);
	return why;
}

/* Connects to host:port as u says and checks that ROLE says master. */
static redisContext *
open_master(const struct redis_url *u, const char *host, int port,
    double timeout, int *status, char **why)
{
	redisContext *c = redis_node_open(u, host, port, timeout, status, why);
	redisReply *r;
	char *addr;

	if (c == NULL)
		return NULL;
	r = redisCommand(c, "ROLE");
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0) {
		freeReplyObject(r);
		return c;
	}
	addr = redis_addr_display(host, port);
	*why = xasprintf("named %s, whose ROLE is %s", addr,
	    r == NULL ? redis_ctx_error(c) :
	    r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING ? r->element[0]->str :
	    r->type == REDIS_REPLY_ERROR ? r->str : "not an answer");
	*status = EX_UNAVAILABLE;
	free(addr);
	freeReplyObject(r);
	redisFree(c);
	return NULL;
}

/* One round over the sentinels; reasons[i] says why sentinel i failed. */
static redisContext *
one_round(const struct redis_url *u, double timeout, char **reasons,
    int *status)
{
	redisContext *c;
	char *host;
	size_t i;
	int port = 0;

	for (i = 0; i < u->nnodes; i++) {
		free(reasons[i]);
		host = NULL;
		if ((reasons[i] = ask_sentinel(u, i, timeout, &host,
		    &port)) != NULL)
			continue;
		c = open_master(u, host, port, timeout, status, &reasons[i]);
		free(host);
		if (c != NULL)
			return c;
	}
	return NULL;
}

redisContext *
redis_sentinel_master(const struct redis_url *u, double timeout,
    double wait, int *status)
{
	char **reasons = xcalloc(u->nnodes, sizeof(*reasons)), *addr, *disp;
	double deadline = clock_seconds() + wait;
	redisContext *c;
	size_t i;

	*status = EX_UNAVAILABLE;
	/* Refused credentials will not get better by waiting. */
	while ((c = one_round(u, timeout, reasons, status)) == NULL &&
	    *status != EX_NOPERM && clock_seconds() + RETRY_PAUSE <= deadline)
		clock_pause(RETRY_PAUSE);
	disp = redis_url_display(u);
	for (i = 0; i < u->nnodes; i++) {
		addr = redis_addr_display(u->nodes[i].host, u->nodes[i].port);
		if (c == NULL)
			warnmsg("%s: sentinel %s: %s", disp, addr, reasons[i]);
		free(addr);
		free(reasons[i]);
	}
	if (c == NULL)
		warnmsg("%s: no sentinel named a usable master %s", disp,
		    u->master);
	else
		info("connected to the master %s of %s", u->master, disp);
	free(disp);
	free(reasons);
	return c;
}
