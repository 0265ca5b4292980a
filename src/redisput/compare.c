#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "compare.h"
#include "diag.h"
#include "multi.h"
#include "put.h"
#include "redis_store.h"
#include "redis_url.h"
#include "resp.h"
#include "strmap.h"
#include "xalloc.h"

/* MGET name ... in kv, SMISMEMBER set name ... in members. */
static void
build_reads(const struct put *p, struct chunk *ch)
{
	size_t i, len;

	ch->kv[0] = "MGET";
	ch->kvlen[0] = 4;
	ch->members[0] = "SMISMEMBER";
	ch->memlen[0] = 10;
	ch->members[1] = p->set_key;
	ch->memlen[1] = strlen(p->set_key);
	for (i = 0; i < ch->n; i++) {
		len = strlen(ch->recs[i].name);
		ch->kv[1 + i] = ch->members[2 + i] = ch->recs[i].name;
		ch->kvlen[1 + i] = ch->memlen[2 + i] = len;
	}
}

void
compare_send(struct put *p, struct chunk *ch)
{
	redisContext *c = p->s->c;
	int done = 0;

	build_reads(p, ch);
	resp_append(c, (int)ch->n + 1, ch->kv, ch->kvlen);
	resp_append(c, (int)ch->n + 2, ch->members, ch->memlen);
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			break;		/* compare_recv() reports it */
}

/* Whether value (a reply) holds exactly the record's expr. */
static int
same_value(const redisReply *v, const struct record *r)
{
	return v != NULL && v->type == REDIS_REPLY_STRING &&
	    v->len == r->expr_len && memcmp(v->str, r->expr, v->len) == 0;
}

/* A name held twice: every occurrence is written, in order. */
static void
mark_repeats(struct chunk *ch)
{
	struct strmap *m = strmap_new();
	unsigned char *first;
	size_t i;

	for (i = 0; i < ch->n; i++) {
		if (strmap_add(m, ch->recs[i].name, &ch->need[i]))
			continue;
		first = strmap_get(m, ch->recs[i].name);
		*first |= NEED_VALUE;
		ch->need[i] |= NEED_VALUE;
	}
	strmap_free(m);
}

/*
 * Sets need from the values and SMISMEMBER's array.  A set that cannot
 * answer (SMISMEMBER refused: Redis before 6.2) makes every member needed,
 * with one warning: SADD of a member it holds changes nothing.
 */
static void
set_need(struct put *p, struct chunk *ch, redisReply **values,
    const redisReply *members)
{
	static int warned;
	int ask = members->type == REDIS_REPLY_ARRAY &&
	    members->elements == ch->n;
	const redisReply *m;
	size_t i;

	if (!ask && !warned++)
		warnmsg("SMISMEMBER %s: %s; adding every member", p->set_key,
		    members->type == REDIS_REPLY_ERROR ? members->str :
		    "unexpected reply");
	for (i = 0; i < ch->n; i++) {
		ch->need[i] = same_value(values[i], &ch->recs[i]) ? 0 :
		    NEED_VALUE;
		m = ask ? members->element[i] : NULL;
		if (m == NULL || m->type != REDIS_REPLY_INTEGER ||
		    m->integer != 1)
			ch->need[i] |= NEED_MEMBER;
	}
	mark_repeats(ch);
}

/* The connection failed mid-read: nothing of the chunk was written. */
static int
lost(const struct put *p, const struct chunk *ch)
{
	warnmsg("chunk %lu (records %lu-%lu): %s while reading what Redis "
	    "holds; nothing of the chunk was written", ch->seq, ch->first,
	    ch->first + (unsigned long)ch->n - 1, redis_ctx_error(p->s->c));
	return EX_UNAVAILABLE;
}

int
compare_recv(struct put *p, struct chunk *ch, int *moved)
{
	redisReply *mget = NULL, *smis = NULL;
	int status = 0;

	*moved = 0;
	if (redisGetReply(p->s->c, (void **)&mget) != REDIS_OK ||
	    redisGetReply(p->s->c, (void **)&smis) != REDIS_OK) {
		freeReplyObject(mget);
		*moved = 1;
		return lost(p, ch);
	}
	if (mget->type != REDIS_REPLY_ARRAY || mget->elements != ch->n) {
		warnmsg("chunk %lu: MGET: %s", ch->seq,
		    mget->type == REDIS_REPLY_ERROR ? mget->str :
		    "unexpected reply");
		status = mget->type == REDIS_REPLY_ERROR ?
		    redis_error_status(mget) : EX_UNAVAILABLE;
		*moved = mget->type == REDIS_REPLY_ERROR &&
		    strncmp(mget->str, "MASTERDOWN", 10) == 0;
	} else
		set_need(p, ch, mget->element, smis);
	freeReplyObject(mget);
	freeReplyObject(smis);
	return status;
}

int
compare_cluster(struct put *p, struct chunk *ch)
{
	redisReply **values = xcalloc(ch->n, sizeof(*values)), *smis;
	size_t i;
	int status;

	build_reads(p, ch);
	status = redis_store_get(p->s, ch->kv + 1, ch->kvlen + 1, ch->n,
	    values);
	if (status == 0) {
		smis = redis_store_command(p->s, p->set_key, (int)ch->n + 2,
		    ch->members, ch->memlen, &status);
		if (smis != NULL)
			set_need(p, ch, values, smis);
		freeReplyObject(smis);
	}
	for (i = 0; i < ch->n; i++)
		freeReplyObject(values[i]);
	free(values);
	return status;
}
