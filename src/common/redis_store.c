#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "diag.h"
#include "redis_cluster.h"
#include "redis_sentinel.h"
#include "redis_slot.h"
#include "redis_store.h"
#include "redis_url.h"
#include "xalloc.h"

static double
failover_wait(const struct redis_store *s)
{
	return s->timeout > REDIS_FAILOVER_WAIT ? s->timeout :
	    REDIS_FAILOVER_WAIT;
}

int
redis_store_connect(struct redis_store *s, struct redis_url *u,
    double timeout)
{
	int status = 0;

	memset(s, 0, sizeof(*s));
	s->timeout = timeout;
	s->url = *u;
	memset(u, 0, sizeof(*u));
	switch (s->url.kind) {
	case REDIS_CLUSTER:
		s->cluster = redis_cluster_open(&s->url, timeout, &status);
		break;
	case REDIS_SENTINEL:
		s->c = redis_sentinel_master(&s->url, timeout, 0, &status);
		break;
	default:
		s->c = redis_open(&s->url, timeout, &status);
	}
	if (s->c == NULL && s->cluster == NULL)
		redis_url_free(&s->url);
	return s->c == NULL && s->cluster == NULL ? status : 0;
}

int
redis_store_open(struct redis_store *s, const char *text, const char *what,
    double timeout)
{
	struct redis_url u;
	const char *why;

	memset(s, 0, sizeof(*s));
	if (redis_url_parse(text, &u, &why) != 0) {
		warnmsg("%s: %s", what, why);
		return EX_USAGE;
	}
	return redis_store_connect(s, &u, timeout);
}

int
redis_store_reconnect(struct redis_store *s)
{
	int status = EX_UNAVAILABLE;

	if (s->url.kind != REDIS_SENTINEL)
		return status;
	if (s->c != NULL)
		redisFree(s->c);
	s->c = redis_sentinel_master(&s->url, s->timeout, failover_wait(s),
	    &status);
	return s->c == NULL ? status : 0;
}

redisReply *
redis_store_command(struct redis_store *s, const char *key, int argc,
    const char **argv, const size_t *lens, int *status)
{
	redisReply *r;

	if (s->cluster != NULL)
		return redis_cluster_command(s->cluster, key, strlen(key), argc,
		    argv, lens, status);
	if (s->c == NULL || s->c->err != 0) {
		warnmsg("%s %s: %s", argv[0], key, s->c == NULL ?
		    "no connection" : redis_ctx_error(s->c));
		*status = EX_UNAVAILABLE;
		return NULL;
	}
	if ((r = redisCommandArgv(s->c, argc, argv, lens)) == NULL) {
		warnmsg("%s %s: %s", argv[0], key, redis_ctx_error(s->c));
		*status = EX_UNAVAILABLE;
	}
	return r;
}

/* One MGET on one connection, its elements handed out one by one. */
static int
get_one_server(struct redis_store *s, const char **keys, const size_t *lens,
    size_t n, redisReply **values)
{
	const char **argv = xcalloc(n + 1, sizeof(*argv));
	size_t i, *alen = xcalloc(n + 1, sizeof(*alen));
	redisReply *r;
	int status = EX_UNAVAILABLE;

	argv[0] = "MGET";
	alen[0] = 4;
	for (i = 0; i < n; i++) {
		argv[i + 1] = keys[i];
		alen[i + 1] = lens ? lens[i] : strlen(keys[i]);
	}
	if ((r = redis_store_command(s, keys[0], (int)n + 1, argv, alen,
	    &status)) == NULL)
		;
	else if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
		warnmsg("MGET: %s", r->type == REDIS_REPLY_ERROR ? r->str :
		    "unexpected reply");
		status = r->type == REDIS_REPLY_ERROR ?
		    redis_error_status(r) : EX_UNAVAILABLE;
	} else {
		/* freeReplyObject() skips the elements taken. */
		for (i = 0; i < n; i++) {
			values[i] = r->element[i];
			r->element[i] = NULL;
		}
		status = 0;
	}
	freeReplyObject(r);
	free(argv);
	free(alen);
	return status;
}

/* GETs routed by slot, every node at once. */
static int
get_cluster(struct redis_store *s, const char **keys, const size_t *lens,
    size_t n, redisReply **values)
{
	struct cluster_cmd *cmds = xcalloc(n, sizeof(*cmds));
	const char **argv = xcalloc(2 * n, sizeof(*argv));
	size_t i, *alen = xcalloc(2 * n, sizeof(*alen));
	int status;

	for (i = 0; i < n; i++) {
		argv[2 * i] = "GET";
		alen[2 * i] = 3;
		argv[2 * i + 1] = keys[i];
		alen[2 * i + 1] = lens ? lens[i] : strlen(keys[i]);
		cmds[i].slot = redis_key_slot(keys[i], alen[2 * i + 1]);
		cmds[i].argc = 2;
		cmds[i].argv = argv + 2 * i;
		cmds[i].lens = alen + 2 * i;
		cmds[i].keep = 1;
	}
	status = redis_cluster_run(s->cluster, cmds, n, "GET");
	for (i = 0; i < n; i++)
		values[i] = cmds[i].reply;
	free(cmds);
	free(argv);
	free(alen);
	return status;
}

int
redis_store_get(struct redis_store *s, const char **keys, const size_t *lens,
    size_t n, redisReply **values)
{
	size_t i;
	int status;

	memset(values, 0, n * sizeof(*values));
	if (n == 0)
		return 0;
	status = s->cluster != NULL ? get_cluster(s, keys, lens, n, values) :
	    get_one_server(s, keys, lens, n, values);
	if (status != 0)
		for (i = 0; i < n; i++) {
			freeReplyObject(values[i]);
			values[i] = NULL;
		}
	return status;
}

void
redis_store_close(struct redis_store *s)
{
	if (s->c != NULL)
		redisFree(s->c);
	redis_cluster_close(s->cluster);
	redis_url_free(&s->url);
	memset(s, 0, sizeof(*s));
}
