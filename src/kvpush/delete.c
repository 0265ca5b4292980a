/*
 * kvpush --delete: every key under the prefix whose record is named in the
 * input goes, each with delete-cas on the ModifyIndex it was read with, so
 * a key rewritten in the meantime is never removed blindly.
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

struct deletion {
	struct strmap	*wanted;	/* names from the input */
	struct doomed	*v;
	size_t		 n, cap;
};

static void
find_doomed(const struct kv_entry *e, void *arg)
{
	struct deletion *d = arg;
	struct record r;
	const char *why;

	if (kv_entry_record(e, &r, &why) != 0)
		return;
	if (strmap_get(d->wanted, r.name) == NULL) {
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
	struct record_list names = { NULL, 0, 0 };
	struct record r;
	int rc;

	memset(&d, 0, sizeof(d));
	d.wanted = strmap_new();
	while (record_input_next(in, &r)) {
		if (strmap_add(d.wanted, r.name, (void *)r.name))
			record_list_push(&names, &r);
		else
			record_free(&r);
	}
	rc = kv_scan(c, o->prefix, find_doomed, &d);
	if (rc == 0)
		rc = delete_all(c, o, &d);
	info("%zu of %zu records found and %s", d.n, names.n,
	    o->dry_run ? "would be removed" : "removed");
	forget_doomed(&d);
	free(d.v);
	strmap_free(d.wanted);
	record_list_free(&names);
	return rc;
}
