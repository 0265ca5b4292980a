#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kv.h"
#include "push.h"
#include "txn.h"
#include "xalloc.h"

/* How often a batch is renumbered after losing numbers to another writer. */
#define MAX_CONFLICTS	10
/* A key number as wide as any: sizes are reckoned with it. */
#define WIDEST_NUMBER	999999999999999999LL

static char *
record_key(const char *prefix, long long n)
{
	return xasprintf("%s/%lld", prefix, n);
}

/* The create-only set of a record's value at number n. */
static char *
record_op(const char *prefix, const char *value, long long n)
{
	char *key = record_key(prefix, n), *op;

	op = txn_op_cas(key, value, strlen(value), 0);
	free(key);
	return op;
}

static void
refresh_next(struct pusher *p)
{
	long long max;
	int rc = kv_max_number(p->c, p->o->prefix, &max);

	if (rc != 0)
		exit(rc);
	p->next = max + 1;
}

void
pusher_init(struct pusher *p, struct consul *c, const struct push_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->o = o;
	p->bytes = 2;
	refresh_next(p);
	info("%s/: the next number is %lld", o->prefix, p->next);
}

int
pusher_add(struct pusher *p, struct record *r, const struct record_input *in)
{
	char *value = kv_record_value(r);
	char *op = record_op(p->o->prefix, value, WIDEST_NUMBER);
	size_t cost = txn_op_cost(strlen(op));

	free(op);
	if (2 + cost > p->o->max_bytes) {
		free(value);
		warn_at(record_input_file(in), record_input_line(in),
		    "%s: %zu bytes as a transaction operation, more than a "
		    "transaction may hold (%zu); not pushed", r->name, cost,
		    p->o->max_bytes);
		record_free(r);
		p->too_big++;
		return -1;
	}
	if (p->batch.n == p->o->max_ops || p->bytes + cost > p->o->max_bytes)
		pusher_flush(p);
	p->values = xreallocarray(p->values, p->batch.n + 1,
	    sizeof(*p->values));
	p->values[p->batch.n] = value;
	record_list_push(&p->batch, r);
	p->bytes += cost;
	return 0;
}

/* Numbers the batch from p->next and builds its transaction body. */
static char *
numbered_body(struct pusher *p, size_t *len)
{
	char **ops = xreallocarray(NULL, p->batch.n, sizeof(*ops)), *body;
	size_t i;

	for (i = 0; i < p->batch.n; i++) {
		record_set_index(&p->batch.v[i], p->next + (long long)i);
		ops[i] = record_op(p->o->prefix, p->values[i],
		    p->batch.v[i].index);
	}
	body = txn_body(ops, p->batch.n, len);
	for (i = 0; i < p->batch.n; i++)
		free(ops[i]);
	free(ops);
	return body;
}

/*
 * Whether key holds exactly value now: 1 or 0, or -1 when Consul could not
 * tell us (the read is repeated on failure first).
 */
static int
key_holds(struct consul *c, const char *key, const char *value)
{
	char *path = consul_kv_path(key, "raw");
	struct http_reply rep;
	int same;

	if (consul_call_idempotent(c, "GET", path, NULL, 0, &rep) != 0) {
		free(path);
		return -1;
	}
	free(path);
	if (rep.status != 200 && rep.status != 404) {
		http_reply_free(&rep);
		return -1;
	}
	same = rep.status == 200 && rep.len == strlen(value) &&
	    memcmp(rep.body, value, rep.len) == 0;
	http_reply_free(&rep);
	return same;
}

/*
 * After a write that got no answer: did it land?  A transaction is all or
 * nothing, and the numbers are ours under the run's lock, so if every key
 * holds our value the batch committed and must not be written again.
 * 1 yes, 0 no, -1 when Consul could not say.
 */
static int
batch_landed(struct pusher *p)
{
	size_t i;
	int landed = 1;

	for (i = 0; i < p->batch.n && landed == 1; i++) {
		char *key = record_key(p->o->prefix, p->batch.v[i].index);

		landed = key_holds(p->c, key, p->values[i]);
		free(key);
	}
	return landed;
}

/* Prints the committed batch, flushed: downstream may act on it at once. */
static void
emit_batch(struct pusher *p)
{
	size_t i;

	for (i = 0; i < p->batch.n; i++)
		record_print(&p->batch.v[i]);
	if (fflush(stdout) != 0)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
	for (i = 0; i < p->batch.n; i++)
		free(p->values[i]);
	p->next += (long long)p->batch.n;
	p->pushed += p->batch.n;
	record_list_free(&p->batch);
	p->bytes = 2;
}

static void
dry_run_batch(struct pusher *p)
{
	size_t i;

	for (i = 0; i < p->batch.n; i++) {
		record_set_index(&p->batch.v[i], p->next + (long long)i);
		note("dry run: would create %s/%lld = %s", p->o->prefix,
		    p->batch.v[i].index, p->values[i]);
	}
	p->txns++;
	emit_batch(p);
}

/*
 * A transaction without an answer, or in conflict perhaps with itself:
 * committed if its keys hold its values.  When that cannot be read either,
 * neither renumbering (a duplicate if it landed) nor sending it again is
 * safe: the run stops.
 */
static enum txn_outcome
settle_unknown(struct pusher *p, enum txn_outcome out, const char *why)
{
	switch (batch_landed(p)) {
	case 1:
		info("transaction of %zu record%s: %s, but it landed",
		    p->batch.n, plural(p->batch.n), why);
		return TXN_COMMITTED;
	case 0:
		return out;
	default:
		die(EX_TEMPFAIL, "a transaction of %zu record%s (%s) may or "
		    "may not have landed, and Consul cannot be read to tell: "
		    "%s", p->batch.n, plural(p->batch.n), p->o->prefix, why);
	}
}

/*
 * One transaction's fate decides what is next: done, renumber and send
 * again, ask whether it landed, or give up with the matching status.
 */
void
pusher_flush(struct pusher *p)
{
	int conflicts = 0, unanswered = 0;

	if (p->batch.n == 0)
		return;
	if (p->o->dry_run) {
		dry_run_batch(p);
		return;
	}
	for (;;) {
		size_t len;
		char *why, *body = numbered_body(p, &len);
		enum txn_outcome out = txn_send(p->c, body, len, &why);

		free(body);
		p->txns++;
		/*
		 * A conflict may be with our own write: curl itself sends
		 * a request again when a kept-alive connection died before
		 * the answer, and so do we after a lost answer.
		 */
		if (out == TXN_UNKNOWN || out == TXN_CONFLICT)
			out = settle_unknown(p, out, why);
		switch (out) {
		case TXN_COMMITTED:
			free(why);
			emit_batch(p);
			return;
		case TXN_CONFLICT:
			if (++conflicts > MAX_CONFLICTS)
				die(EX_TEMPFAIL, "gave up after %d conflicting "
				    "writes: %s", conflicts - 1, why);
			info("numbers %lld.. taken meanwhile (%s); "
			    "renumbering", p->next, why);
			refresh_next(p);
			break;
		case TXN_UNKNOWN:
			if (++unanswered > p->o->retries)
				die(EX_TEMPFAIL, "gave up after %d %s: %s",
				    unanswered, unanswered == 1 ? "try" :
				    "tries", why);
			info("transaction of %zu record%s: %s; trying again",
			    p->batch.n, plural(p->batch.n), why);
			consul_backoff(unanswered);
			break;
		case TXN_DENIED:
			die(EX_NOPERM, "Consul refused the write: %s", why);
		case TXN_REFUSED:
			die(EX_PROTOCOL, "Consul refused a transaction of %zu "
			    "operation%s: %s", p->batch.n, plural(p->batch.n),
			    why);
		}
		free(why);
	}
}

void
pusher_free(struct pusher *p)
{
	free(p->values);
	p->values = NULL;
}
