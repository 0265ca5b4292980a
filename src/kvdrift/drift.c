#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "xalloc.h"

static const struct {
	const char	*name, *text;
	int		 owns;
} kinds[DRIFT_KINDS] = {
	[REDIS_MISSING] = { "redis_missing",
	    "in Consul, not in Redis's set", 0 },
	[REDIS_NO_VALUE] = { "redis_no_value",
	    "in Redis's set, with no value", 0 },
	[REDIS_DIFFERS] = { "redis_differs",
	    "in Redis with another expression than Consul's", 0 },
	[REDIS_EXTRA] = { "redis_extra",
	    "in Redis's set, not in Consul", 1 },
	[RULES_MISSING] = { "rules_missing",
	    "in Consul, not in the rule file", 0 },
	[RULES_EXTRA] = { "rules_extra",
	    "in the rule file, not in Consul", 1 },
	[DUPLICATE] = { "duplicates",
	    "stored under two keys in Consul", 0 },
	[JUNK] = { "junk",
	    "numbered keys that hold no record", 1 },
};

void
drift_init(struct drift *d)
{
	int k;

	memset(d, 0, sizeof(*d));
	d->stored = strmap_new();
	d->redis_extra = strmap_new();
	d->rules_extra = strmap_new();
	for (k = 0; k < DRIFT_KINDS; k++)
		d->kinds[k].owns = kinds[k].owns;
}

void
drift_free(struct drift *d)
{
	size_t i;
	int k;

	for (k = 0; k < DRIFT_KINDS; k++) {
		if (d->kinds[k].owns)
			for (i = 0; i < d->kinds[k].n; i++)
				free(d->kinds[k].v[i].name);
		free(d->kinds[k].v);
	}
	for (i = 0; i < d->nall; i++)
		free(d->all[i]);
	free(d->all);
	strmap_free(d->stored);
	strmap_free(d->redis_extra);
	strmap_free(d->rules_extra);
}

struct drift_item *
drift_add(struct drift *d, enum drift_kind kind, const char *name)
{
	struct drift_list *l = &d->kinds[kind];
	struct drift_item *it;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->name = l->owns ? xstrdup(name) : (char *)name;
	return it;
}

size_t
drift_total(const struct drift *d)
{
	size_t n = 0;
	int k;

	for (k = 0; k < DRIFT_KINDS; k++)
		n += d->kinds[k].n;
	return n;
}

const char *
drift_kind_name(enum drift_kind kind)
{
	return kinds[kind].name;
}

const char *
drift_kind_text(enum drift_kind kind)
{
	return kinds[kind].text;
}
