/*
 * The three stores, each streamed once into the drift: Consul first (the
 * records that count), then Redis's set and the rule file past them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "drift.h"
#include "hash.h"
#include "kv.h"
#include "record.h"
#include "redis_scan.h"
#include "xalloc.h"

/* Members a chunk: one SSCAN and one MGET each. */
#define REDIS_CHUNK	1000

static struct stored *
stored_new(struct drift *d, const struct record *r, long long index,
    uint64_t name_hash)
{
	size_t len = strlen(r->name);
	struct stored *s = xmalloc(sizeof(*s) + len + 1);

	memcpy(s->name, r->name, len + 1);
	s->expr_hash = hash_bytes(r->expr, r->expr_len);
	s->index = index;
	s->in_redis = s->in_rules = 0;
	if (d->nall == d->capall) {
		d->capall = d->capall ? 2 * d->capall : 1024;
		d->all = xreallocarray(d->all, d->capall, sizeof(*d->all));
	}
	d->all[d->nall++] = s;
	strmap_add_hashed(d->stored, s->name, name_hash, s);
	return s;
}

/*
 * kv_scan_all callback.  Of a name stored twice the lowest number counts,
 * as for kvdiff; the listing comes in key order, not number order.
 */
static void
take_key(const struct kv_entry *e, void *arg)
{
	struct drift *d = arg;
	struct drift_item *it;
	struct stored *s;
	struct record r;
	const char *why;
	uint64_t h;

	if (e->number == 0) {
		d->foreign++;
		return;
	}
	if (kv_entry_value(e, &r, &why) != 0) {
		it = drift_add(d, JUNK, e->key);
		it->why = why;
		return;
	}
	h = strmap_hash(r.name);
	if ((s = strmap_get_hashed(d->stored, r.name, h)) == NULL) {
		stored_new(d, &r, e->number, h);
	} else {
		it = drift_add(d, DUPLICATE, s->name);
		it->first = s->index < e->number ? s->index : e->number;
		it->other = s->index < e->number ? e->number : s->index;
		if (e->number < s->index) {
			s->index = e->number;
			s->expr_hash = hash_bytes(r.expr, r.expr_len);
		}
	}
	record_free(&r);
}

int
drift_read_consul(struct drift *d, struct consul *c, const char *prefix)
{
	int rc = kv_scan_all(c, prefix, take_key, d);

	d->consul = d->nall;
	return rc;
}

/*
 * redis_scan_members callback.  A member with a NUL byte in it is no
 * record name: it is looked up no further than the NUL, as text is.
 */
static void
take_member(const char *m, size_t len, const char *v, size_t vlen, void *arg)
{
	struct drift *d = arg;
	struct drift_item *it;
	struct stored *s = strmap_get(d->stored, m);

	(void)len;
	if (s == NULL) {
		if (strmap_has(d->redis_extra, m))
			return;
		it = drift_add(d, REDIS_EXTRA, m);
		strmap_add(d->redis_extra, it->name, NULL);
		d->redis++;
		return;
	}
	if (s->in_redis)		/* SSCAN gave it twice */
		return;
	s->in_redis = 1;
	d->redis++;
	if (v == NULL)
		drift_add(d, REDIS_NO_VALUE, s->name);
	else if (hash_bytes(v, vlen) != s->expr_hash)
		drift_add(d, REDIS_DIFFERS, s->name);
}

int
drift_read_redis(struct drift *d, struct redis_store *s, const char *set_key)
{
	return redis_scan_members(s, set_key, REDIS_CHUNK, take_member, d);
}

/* One rule's name, from the rule file. */
void
drift_take_rule(struct drift *d, const char *name)
{
	struct stored *s = strmap_get(d->stored, name);
	struct drift_item *it;

	if (s == NULL) {
		if (strmap_has(d->rules_extra, name))
			return;
		it = drift_add(d, RULES_EXTRA, name);
		strmap_add(d->rules_extra, it->name, NULL);
		d->rules++;
	} else if (!s->in_rules) {
		s->in_rules = 1;
		d->rules++;
	}
}

void
drift_forget_rules(struct drift *d)
{
	struct drift_list *l = &d->kinds[RULES_EXTRA];
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	l->n = 0;
	strmap_free(d->rules_extra);
	d->rules_extra = strmap_new();
	for (i = 0; i < d->nall; i++)
		d->all[i]->in_rules = 0;
	d->rules = 0;
	d->have_rules = 0;
}

void
drift_settle(struct drift *d)
{
	size_t i;

	for (i = 0; i < d->nall; i++) {
		if (!d->all[i]->in_redis)
			drift_add(d, REDIS_MISSING, d->all[i]->name);
		if (d->have_rules && !d->all[i]->in_rules)
			drift_add(d, RULES_MISSING, d->all[i]->name);
	}
}
