#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "redis_scan.h"
#include "redis_url.h"
#include "xalloc.h"

/*
 * The reply to argv when it has the type wanted; else NULL after a
 * message naming set_key, with *status set.
 */
static redisReply *
call(struct redis_store *s, const char *set_key, int type, int *status,
    int argc, const char **argv, const size_t *lens)
{
	redisReply *r = redis_store_command(s, set_key, argc, argv, lens,
	    status);

	if (r == NULL) {
		warnmsg("reading %s: %s failed", set_key, argv[0]);
		return NULL;
	}
	if (r->type == type)
		return r;
	if (r->type == REDIS_REPLY_ERROR &&
	    strncasecmp(r->str, "WRONGTYPE", 9) == 0) {
		warnmsg("%s holds something that is not a set", set_key);
		*status = EX_CONFIG;
	} else {
		warnmsg("reading %s: %s: %s", set_key, argv[0],
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		*status = r->type == REDIS_REPLY_ERROR ?
		    redis_error_status(r) : EX_UNAVAILABLE;
	}
	freeReplyObject(r);
	return NULL;
}

/* The values of the members of one SSCAN reply, each handed to fn. */
static int
fetch_values(struct redis_store *s, const char *set_key,
    const redisReply *members, redis_member_fn *fn, void *arg)
{
	size_t i, n = members->elements;
	const char **keys = xcalloc(n, sizeof(*keys));
	size_t *lens = xcalloc(n, sizeof(*lens));
	redisReply **values = xcalloc(n, sizeof(*values)), *v;
	int status = 0;

	for (i = 0; i < n; i++) {
		if (members->element[i]->type != REDIS_REPLY_STRING) {
			warnmsg("reading %s: SSCAN: unexpected reply", set_key);
			status = EX_UNAVAILABLE;
			goto out;
		}
		keys[i] = members->element[i]->str;
		lens[i] = members->element[i]->len;
	}
	if ((status = redis_store_get(s, keys, lens, n, values)) != 0) {
		warnmsg("reading the values of %s failed", set_key);
		goto out;
	}
	for (i = 0; i < n; i++) {
		v = values[i];
		fn(keys[i], lens[i],
		    v->type == REDIS_REPLY_STRING ? v->str : NULL,
		    v->type == REDIS_REPLY_STRING ? v->len : 0, arg);
		freeReplyObject(v);
	}
out:
	free(keys);
	free(lens);
	free(values);
	return status;
}

int
redis_scan_members(struct redis_store *s, const char *set_key, size_t count,
    redis_member_fn *fn, void *arg)
{
	char cursor[32] = "0", chunk[32];
	const char *argv[] = { "SSCAN", set_key, cursor, "COUNT", chunk };
	redisReply *r, *next, *members;
	int status = 0;

	snprintf(chunk, sizeof(chunk), "%zu", count);
	do {
		if ((r = call(s, set_key, REDIS_REPLY_ARRAY, &status, 5, argv,
		    NULL)) == NULL)
			return status;
		if (r->elements != 2 ||
		    (next = r->element[0])->type != REDIS_REPLY_STRING ||
		    next->len >= sizeof(cursor) ||
		    (members = r->element[1])->type != REDIS_REPLY_ARRAY) {
			warnmsg("reading %s: SSCAN: unexpected reply", set_key);
			freeReplyObject(r);
			return EX_UNAVAILABLE;
		}
		memcpy(cursor, next->str, next->len + 1);
		if (members->elements > 0)
			status = fetch_values(s, set_key, members, fn, arg);
		freeReplyObject(r);
	} while (status == 0 && strcmp(cursor, "0") != 0);
	return status;
}
