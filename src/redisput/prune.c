#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "diag.h"
#include "prune.h"
#include "put.h"
#include "cluster.h"
#include "redis_slot.h"
#include "redis_store.h"
#include "redis_url.h"
#include "multi.h"
#include "xalloc.h"

/*
 * Runs one command outside a transaction; returns its reply when it has
 * the type wanted, else NULL after a message with *status set.
 */
static redisReply *
call(struct put *p, int type, int *status, int argc, const char **argv)
{
	redisReply *r = redis_store_command(p->s, argv[1], argc, argv, NULL,
	    status);

	if (r == NULL)
		warnmsg("--prune: %s failed", argv[0]);
	else if (r->type != type) {
		warnmsg("--prune: %s: %s", argv[0],
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		*status = r->type == REDIS_REPLY_ERROR ? redis_error_status(r) :
		    EX_UNAVAILABLE;
		freeReplyObject(r);
		r = NULL;
	}
	return r;
}

/* DEL the temporary sets. */
static int
drop(struct put *p, const char *stale)
{
	const char *argv[] = { "DEL", p->seen_key, stale };
	redisReply *r;
	int status = 0;

	if ((r = call(p, REDIS_REPLY_INTEGER, &status, 3, argv)) != NULL)
		freeReplyObject(r);
	return status;
}

/*
 * The temporary sets must live in the set key's slot, for SDIFFSTORE in a
 * cluster: they carry the set key's hash tag, or the set key as their tag.
 */
static int
same_slot(const char *set_key, const char *name)
{
	unsigned slot = redis_key_slot(set_key, strlen(set_key));
	char *stale = xasprintf("%s:stale", name);
	int same = redis_key_slot(name, strlen(name)) == slot &&
	    redis_key_slot(stale, strlen(stale)) == slot;

	free(stale);
	return same;
}

static char *
seen_name(const char *set_key)
{
	char *name;

	name = xasprintf("%s:redisput-prune:%ld.%ld", set_key,
	    (long)time(NULL), (long)getpid());
	if (same_slot(set_key, name))
		return name;
	free(name);
	name = xasprintf("{%s}:redisput-prune:%ld.%ld", set_key,
	    (long)time(NULL), (long)getpid());
	if (same_slot(set_key, name))
		return name;
	free(name);
	return NULL;
}

int
prune_begin(struct put *p)
{
	int status;
	char *stale;

	p->pruned = -1;			/* not (yet) pruned */
	if ((p->seen_key = seen_name(p->set_key)) == NULL) {
		warnmsg("--prune: no key in the slot of %s can hold the names "
		    "written (give the set key a hash tag, as {name})",
		    p->set_key);
		return EX_CONFIG;
	}
	stale = xasprintf("%s:stale", p->seen_key);
	status = drop(p, stale);
	free(stale);
	return status;
}

/* MULTI; DEL name ...; SREM set name ...; EXEC for the names in r. */
static int
remove_names(struct put *p, const redisReply *r, unsigned long batch)
{
	struct chunk *ch = &p->ring[0];	/* free once every chunk is done */
	struct multi_cmd cmd[2];
	size_t i;
	char *what;
	int status, moved;

	ch->kv[0] = "DEL";
	ch->kvlen[0] = 3;
	ch->members[0] = "SREM";
	ch->memlen[0] = 4;
	ch->members[1] = p->set_key;
	ch->memlen[1] = strlen(p->set_key);
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			warnmsg("--prune: SPOP: unexpected reply");
			return EX_UNAVAILABLE;
		}
		ch->kv[1 + i] = ch->members[2 + i] = r->element[i]->str;
		ch->kvlen[1 + i] = ch->memlen[2 + i] = r->element[i]->len;
	}
	cmd[0] = (struct multi_cmd){ (int)(1 + r->elements), ch->kv, ch->kvlen,
	    REDIS_REPLY_INTEGER, 0 };
	cmd[1] = (struct multi_cmd){ (int)(2 + r->elements), ch->members,
	    ch->memlen, REDIS_REPLY_INTEGER, 0 };
	what = xasprintf("--prune: batch %lu", batch);
	if (p->s->cluster != NULL)
		status = cluster_delete(p, ch->kv + 1, ch->kvlen + 1,
		    r->elements, &cmd[1], 1, what, &cmd[0].result);
	else
		status = multi_run(p->s->c, cmd, 2, what, &moved);
	free(what);
	if (status == 0)
		p->pruned += cmd[1].result;
	return status;
}

/* Pops the stale names a chunk at a time and removes them. */
static int
remove_stale(struct put *p, const char *stale)
{
	char count[32];
	const char *argv[] = { "SPOP", stale, count };
	unsigned long batch = 0;
	redisReply *r;
	int status = 0;

	snprintf(count, sizeof(count), "%zu", p->chunk);
	while (status == 0 &&
	    (r = call(p, REDIS_REPLY_ARRAY, &status, 3, argv)) != NULL) {
		if (r->elements == 0) {
			freeReplyObject(r);
			break;
		}
		status = remove_names(p, r, ++batch);
		freeReplyObject(r);
	}
	return status;
}

/*
 * The temporary set must still hold every name written: had it expired
 * (a pause of a day between chunks), pruning would remove live records.
 */
static int
seen_intact(struct put *p)
{
	const char *argv[] = { "SCARD", p->seen_key };
	redisReply *r;
	int status = 0;

	if ((r = call(p, REDIS_REPLY_INTEGER, &status, 2, argv)) == NULL)
		return status;
	if (r->integer != p->seen_added) {
		warnmsg("--prune: the set of names written holds %lld, not "
		    "%lld (expired?); nothing pruned", r->integer,
		    p->seen_added);
		status = EX_UNAVAILABLE;
	}
	freeReplyObject(r);
	return status;
}

/* SDIFFSTORE stale set seen: the names to remove, kept for a day at most. */
static int
stale_store(struct put *p, const char *stale)
{
	const char *diff[] = { "SDIFFSTORE", stale, p->set_key, p->seen_key };
	const char *expire[] = { "EXPIRE", stale, PRUNE_TTL };
	redisReply *r;
	int status = 0;

	if ((r = call(p, REDIS_REPLY_INTEGER, &status, 4, diff)) == NULL)
		return status;
	debug("--prune: %lld member%s to remove", r->integer,
	    plural((unsigned long long)r->integer));
	freeReplyObject(r);
	if ((r = call(p, REDIS_REPLY_INTEGER, &status, 3, expire)) != NULL)
		freeReplyObject(r);
	return status;
}

int
prune_finish(struct put *p, int complete)
{
	char *stale = xasprintf("%s:stale", p->seen_key);
	int status = 0, st;

	if (!complete)
		warnmsg("--prune: the input was not read whole; "
		    "nothing pruned");
	else if ((status = seen_intact(p)) == 0 &&
	    (status = stale_store(p, stale)) == 0) {
		p->pruned = 0;
		status = remove_stale(p, stale);
	}
	/* While the connection works; a cluster's is opened anew. */
	if (p->s->cluster != NULL || p->s->c->err == 0) {
		st = drop(p, stale);
		status = status != 0 ? status : st;
	}
	free(stale);
	return status;
}
