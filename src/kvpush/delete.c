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
#include "summary.h"
#include "txn.h"
#include "xalloc.h"

#define MAX_RESCANS	10

/* Keys removed and printed so far: --summary-fd's "removed", at any exit. */
static unsigned long	removed;

struct doomed {
	struct record		 r;	/* as stored, with its index */
	char			*key;	/* as JSON */
	size_t			 key_len;
	unsigned long long	 modify_index;
};

/* names borrows from the input records; keys owns the texts in numbers. */
struct deletion {
	struct strmap	*names;		/* input names without an index */
	struct strmap	*keys;		/* "N" -> the name, for indexed ones */
	char		**numbers;
	struct doomed	*v;
	size_t		 n, cap;
	struct txn_body	 body;
	char		*what;		/* "deleting from PREFIX/" */
	size_t		 max_bytes;
	int		 too_big;	/* a delete fit no transaction */
};

/*
 * Whether the doomed key v fits a transaction of its own; when it does
 * not (a long prefix, a small --max-bytes), it is warned about and left.
 */
static int
delete_fits(struct deletion *d, const struct doomed *v, const char *key)
{
	size_t len = txn_delete_cas_len(v->key_len, v->modify_index);

	if (txn_op_fits_alone(len, d->max_bytes))
		return 1;
	warnmsg("%s (%s): %zu bytes as a transaction operation, more than a "
	    "transaction may hold (%zu); not removed", key, v->r.name, len,
	    d->max_bytes);
	d->too_big = 1;
	return 0;
}

static void
find_doomed(const struct kv_entry *e, void *arg)
{
	struct deletion *d = arg;
	struct doomed *v;
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
	v = &d->v[d->n];
	v->r = r;
	v->key = txn_json_string(e->key, &v->key_len);
	v->modify_index = e->modify_index;
	if (delete_fits(d, v, e->key)) {
		d->n++;
		return;
	}
	record_free(&v->r);
	free(v->key);
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

/* Deletes v[0..n) in one transaction: commit_batch()'s outcome. */
static enum txn_outcome
delete_batch(struct consul *c, const struct push_opts *o, struct deletion *d,
    size_t start, size_t n)
{
	const struct doomed *v = d->v + start;
	size_t i;

	txn_body_start(&d->body, 0);
	for (i = 0; i < n; i++)
		txn_body_delete_cas(&d->body, v[i].key, v[i].key_len,
		    v[i].modify_index);
	txn_body_end(&d->body);
	return commit_batch(c, o, d->what, &d->body);
}

/*
 * How many deletions from start fit one transaction: one at least, as
 * each fits alone (delete_fits).
 */
static size_t
batch_size(const struct push_opts *o, const struct deletion *d, size_t start)
{
	struct txn_size s = TXN_SIZE_EMPTY;
	size_t n;

	for (n = 0; start + n < d->n; n++)
		if (!txn_size_add(&s, txn_delete_cas_len(d->v[start + n].key_len,
		    d->v[start + n].modify_index), o->max_ops, o->max_bytes))
			break;
	if (n == 0)
		die(EX_SOFTWARE, "internal error: a delete fits no transaction");
	return n;
}

/*
 * Deletes in transactions within the limits; a conflict (a key changed
 * since it was read) means: read again and go on with what is left.
 */
static int
delete_all(struct consul *c, const struct push_opts *o, struct deletion *d)
{
	size_t start = 0, n;
	int rescans = 0, rc;
	enum txn_outcome out;

	while (start < d->n) {
		n = batch_size(o, d, start);
		if ((out = delete_batch(c, o, d, start, n)) == TXN_COMMITTED) {
			for (; n > 0; n--, start++, removed++)
				record_print(&d->v[start].r);
			fflush(stdout);
			continue;
		}
		if (out != TXN_CONFLICT)
			return txn_exit_status(out);
		if (++rescans > MAX_RESCANS) {
			warnmsg("gave up: %s/ keeps changing", o->prefix);
			return EX_TEMPFAIL;
		}
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
	summary_count("removed", &removed);
	d.what = xasprintf("deleting from %s/", o->prefix);
	d.max_bytes = o->max_bytes;
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
	free(d.what);
	txn_body_free(&d.body);
	strmap_free(d.names);
	strmap_free(d.keys);
	for (i = 0; i < input.n; i++)
		free(d.numbers[i]);
	free(d.numbers);
	record_list_free(&input);
	if (rc == EX_OK)
		rc = record_input_status(in);
	return rc == EX_OK && d.too_big ? EX_DATAERR : rc;
}
