/*
 * kvpush --delete: every key under the prefix whose record is named in the
 * input goes; an input record with an index takes only PREFIX/<index>, and
 * only while that key still holds a record of that name (how a rebuild
 * removes a duplicate and keeps the first).  Each goes with delete-cas on
 * the ModifyIndex it was read with, so a key rewritten in the meantime is
 * never removed blindly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kv.h"
#include "push.h"
#include "strmap.h"
#include "txn.h"
#include "xalloc.h"

#define MAX_RESCANS	10

struct doomed {
	struct record		 r;	/* as stored, with its index */
	char			*key;
	unsigned long long	 modify_index;
};

/* names borrows from the input records; keys owns the texts in numbers. */
struct deletion {
	struct strmap	*names;		/* input names without an index */
	struct strmap	*keys;		/* "N" -> the name, for indexed ones */
	char		**numbers;
	struct doomed	*v;
	size_t		 n, cap;
};

static void
find_doomed(const struct kv_entry *e, void *arg)
{
	struct deletion *d = arg;
	struct record r;
	const char *why;

	const char *name;
	char *number;

	if (kv_entry_record(e, &r, &why) != 0)
		return;
	number = xasprintf("%lld", e->number);
	name = strmap_get(d->keys, number);
	free(number);
	if (!strmap_has(d->names, r.name) &&
	    (name == NULL || strcmp(name, r.name) != 0)) {
		record_free(&r);
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n].r = r;
	d->v[d->n].key = xstrdup(e->key);
	d->v[d->n].modify_index = e->modify_index;
	d->n++;
}

static void
forget_doomed(struct deletion *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		record_free(&d->v[i].r);
		free(d->v[i].key);
	}
	d->n = 0;
}

/* Deletes v[0..n) in one transaction: 0 done, 1 conflict; dies otherwise. */
static int
delete_batch(struct consul *c, const struct push_opts *o, struct doomed *v,
    size_t n)
{
	char **ops = xreallocarray(NULL, n, sizeof(*ops)), *body, *why = NULL;
	enum txn_outcome out = TXN_COMMITTED;
	size_t i, len;

	for (i = 0; i < n; i++)
		ops[i] = txn_op_delete_cas(v[i].key, v[i].modify_index);
	body = txn_body(ops, n, &len);
	for (i = 0; i < n; i++)
		free(ops[i]);
	free(ops);
	for (i = 0; !o->dry_run && i <= (size_t)o->retries; i++) {
		free(why);
		if ((out = txn_send(c, body, len, &why)) != TXN_UNKNOWN)
			break;
		if (i < (size_t)o->retries)
			consul_backoff((int)i + 1);
	}
	free(body);
	if (out == TXN_COMMITTED || out == TXN_CONFLICT) {
		free(why);
		return out == TXN_CONFLICT;
	}
	die(out == TXN_DENIED ? EX_NOPERM : out == TXN_UNKNOWN ? EX_TEMPFAIL :
	    EX_PROTOCOL, "deleting from %s/: %s", o->prefix, why);
}

/*
 * Deletes in transactions of at most max_ops; a conflict (a key changed
 * since it was read) means: read again and go on with what is left.
 */
static int
delete_all(struct consul *c, const struct push_opts *o, struct deletion *d)
{
	size_t start = 0, n;
	int rescans = 0, rc;

	while (start < d->n) {
		n = d->n - start < o->max_ops ? d->n - start : o->max_ops;
		if (delete_batch(c, o, d->v + start, n) == 0) {
			for (; n > 0; n--, start++)
				record_print(&d->v[start].r);
			fflush(stdout);
			continue;
		}
		if (++rescans > MAX_RESCANS)
			die(EX_TEMPFAIL, "gave up: %s/ keeps changing", o->prefix);
		info("keys changed meanwhile; reading %s/ again", o->prefix);
		forget_doomed(d);
		start = 0;
		if ((rc = kv_scan(c, o->prefix, find_doomed, d)) != 0)
			return rc;
	}
	return 0;
}

int
delete_records(struct consul *c, const struct push_opts *o,
    struct record_input *in)
{
	struct deletion d;
	struct record_list input = { NULL, 0, 0 };
	struct record r;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	d.names = strmap_new();
	d.keys = strmap_new();
	while (record_input_next(in, &r))
		record_list_push(&input, &r);
	d.numbers = xcalloc(input.n, sizeof(*d.numbers));
	for (i = 0; i < input.n; i++) {
		struct record *x = &input.v[i];

		if (x->index == 0) {
			strmap_add(d.names, x->name, NULL);
			continue;
		}
		d.numbers[i] = xasprintf("%lld", x->index);
		strmap_add(d.keys, d.numbers[i], (void *)x->name);
	}
	rc = kv_scan(c, o->prefix, find_doomed, &d);
	if (rc == 0)
		rc = delete_all(c, o, &d);
	info("%zu key%s of %zu record%s found and %s", d.n, plural(d.n),
	    input.n, plural(input.n), o->dry_run ? "would be removed" : "removed");
	forget_doomed(&d);
	free(d.v);
	strmap_free(d.names);
	strmap_free(d.keys);
	for (i = 0; i < input.n; i++)
		free(d.numbers[i]);
	free(d.numbers);
	record_list_free(&input);
	return rc;
}
