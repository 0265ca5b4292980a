#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "diag.h"
#include "kv.h"
#include "push.h"
#include "xalloc.h"

/* How often a batch is renumbered after losing numbers to another writer. */
#define MAX_CONFLICTS	10

/*
 * What follows a value's head: when it was stored, and the object's end.
 * The time is the same length always, so sizes are reckoned before it.
 */
#define TRACKED		",\"tracked_since\":\""
#define TRACKED_END	"\"}"
#define VALUE_TAIL_LEN	(sizeof(TRACKED) - 1 + RFC3339_UTC_LEN - 1 + \
			    sizeof(TRACKED_END) - 1)

static size_t
number_width(long long n)
{
	size_t d = 1;

	for (; n >= 10; n /= 10)
		d++;
	return d;
}

#define HEAD_NAME	"{\"record\":\""
#define HEAD_EXPR	"\",\"expr\":\""
#define LIT(s)		(sizeof(s) - 1)

/*
 * The expression as a JSON string, without its quotes: the line's own
 * bytes when they are what an encoder would write, else escaped once by
 * yajl's generator.  NULL when the expression is not UTF-8.
 */
static const char *
expr_json(struct pusher *p, const struct record *r, size_t *len)
{
	const unsigned char *expr;

	if (record_expr_canonical(r)) {
		*len = r->expr_raw_len;
		return r->text + r->expr_at;
	}
	yajl_gen_reset(p->gen, NULL);
	yajl_gen_clear(p->gen);
	if (yajl_gen_string(p->gen, (const unsigned char *)r->expr,
	    r->expr_len) != yajl_gen_status_ok)
		return NULL;
	yajl_gen_get_buf(p->gen, &expr, len);
	/* Its quotes dropped. */
	*len -= 2;
	return (const char *)expr + 1;
}

/* Room in the arena for more bytes. */
static void
arena_room(struct pusher *p, size_t more)
{
	if (p->arena_len + more <= p->arena_cap)
		return;
	p->arena_cap = p->arena_len + more > 2 * p->arena_cap ?
	    p->arena_len + more : 2 * p->arena_cap;
	p->arena = xreallocarray(p->arena, p->arena_cap, 1);
}

static char *
put(char *w, const char *s, size_t len)
{
	memcpy(w, s, len);
	return w + len;
}

/*
 * Copies record r into the arena as a queued record: its value, whose
 * head is {"record":"NAME","expr":"EXPR" (a metric name needs no
 * escaping; EXPR is elen bytes of JSON string), head_len bytes, and its
 * line.
 */
static void
queue_record(struct pusher *p, const struct record *r, const char *expr,
    size_t elen, size_t head_len)
{
	struct queued *q;
	char *w;

	if (p->n == p->q_cap) {
		p->q_cap = p->q_cap ? 2 * p->q_cap : 64;
		p->q = xreallocarray(p->q, p->q_cap, sizeof(*p->q));
	}
	q = &p->q[p->n++];
	arena_room(p, head_len + VALUE_TAIL_LEN + r->text_len);
	q->at = p->arena_len;
	q->head_len = head_len;
	q->line_len = r->text_len;
	q->index_at = record_index_place(r);
	w = put(p->arena + p->arena_len, HEAD_NAME, LIT(HEAD_NAME));
	w = put(w, r->name, strlen(r->name));
	w = put(w, HEAD_EXPR, LIT(HEAD_EXPR));
	w = put(w, expr, elen);
	*w++ = '"';
	/* The time is written when the transaction is built. */
	w = put(w, TRACKED, LIT(TRACKED));
	memset(w, '0', RFC3339_UTC_LEN - 1);
	w = put(w + RFC3339_UTC_LEN - 1, TRACKED_END, LIT(TRACKED_END));
	w = put(w, r->text, r->text_len);
	p->arena_len = (size_t)(w - p->arena);
}

/* The exact length of the create-only set of a value at number n. */
static size_t
op_len(const struct pusher *p, size_t head_len, long long n)
{
	return txn_cas_len(p->key_len + number_width(n) + 1,
	    head_len + VALUE_TAIL_LEN, 0);
}

/* Queued record i's whole value, in the arena; its length in *len. */
static const char *
value_of(const struct pusher *p, size_t i, size_t *len)
{
	*len = p->q[i].head_len + VALUE_TAIL_LEN;
	return p->arena + p->q[i].at;
}

/* Writes the time of p->stamp into the values of the first n records. */
static void
stamp_values(struct pusher *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(p->arena + p->q[i].at + p->q[i].head_len + LIT(TRACKED),
		    p->stamp, RFC3339_UTC_LEN - 1);
}

/* The clock now, as the tracked_since of the values written next. */
static void
stamp_now(struct pusher *p)
{
	if (rfc3339_format_utc((int64_t)time(NULL), p->stamp) != 0)
		die(EX_SOFTWARE, "the clock is outside the years 0000-9999");
}

/* The next free number, from Consul: 0, or kv_max_number()'s status. */
static int
refresh_next(struct pusher *p)
{
	long long max;
	int rc = kv_max_number(p->c, p->o->prefix, &max);

	if (rc == 0) {
		p->next = max + 1;
		p->renumbered = 1;
	}
	return rc;
}

int
pusher_init(struct pusher *p, struct consul *c, const struct push_opts *o)
{
	char *quoted;
	size_t len;
	int rc;

	memset(p, 0, sizeof(*p));
	p->c = c;
	p->o = o;
	p->what = xasprintf("writing to %s/", o->prefix);
	/* "PREFIX" as JSON, its closing quote dropped for "/N\"". */
	quoted = txn_json_string(o->prefix, &len);
	p->key = xasprintf("%.*s/", (int)(len - 1), quoted);
	p->key_len = len;
	free(quoted);
	p->size = (struct txn_size)TXN_SIZE_EMPTY;
	if ((p->gen = yajl_gen_alloc(NULL)) == NULL)
		die(EX_OSERR, "out of memory");
	yajl_gen_config(p->gen, yajl_gen_validate_utf8, 1);
	if ((rc = refresh_next(p)) != 0)
		return rc;
	p->renumbered = 0;
	info("%s/: the next number is %lld", o->prefix, p->next);
	return 0;
}

/*
 * Past KV_MAX_NUMBER a key is no number of ours: kvdiff would not see the
 * record, nor kvpush the number taken, and every rerun would store it
 * again.  So the run stops there, with what fits below stored.
 */
static int
numbers_exhausted(const struct pusher *p)
{
	warnmsg("%s/: no number left: the next would be %lld, wider than the "
	    "18 digits of a record's key; the rest is not stored",
	    p->o->prefix, p->next);
	return EX_CANTCREAT;
}

/* Drops a record no transaction can hold (or not UTF-8): returns -1. */
static int
refuse(struct pusher *p, const struct record *r,
    const struct record_input *in, size_t cost)
{
	if (cost == 0)
		warn_at(record_input_file(in), record_input_line(in),
		    "%s: the expression is not UTF-8; not pushed", r->name);
	else
		warn_at(record_input_file(in), record_input_line(in),
		    "%s: %zu bytes as a transaction operation, more than a "
		    "transaction may hold (%zu); not pushed", r->name, cost,
		    p->o->max_bytes);
	p->too_big++;
	return -1;
}

/*
 * Sized by arithmetic at the number the record will get.  A record is
 * refused when it would not fit a transaction alone at the widest number,
 * so that no renumbering can leave it without one.  When its number would
 * be past the widest, what is queued is committed and the run stops.
 */
int
pusher_add(struct pusher *p, const struct record *r,
    const struct record_input *in)
{
	size_t elen, len, alone;
	const char *expr = expr_json(p, r, &elen);
	int rc;

	if (expr == NULL)
		return refuse(p, r, in, 0);
	len = LIT(HEAD_NAME) + strlen(r->name) + LIT(HEAD_EXPR) + elen + 1;
	alone = op_len(p, len, KV_MAX_NUMBER);
	if (!txn_op_fits_alone(alone, p->o->max_bytes))
		return refuse(p, r, in, alone);
	if (p->next + (long long)p->n > KV_MAX_NUMBER) {
		if ((rc = pusher_flush(p)) != 0)
			return rc;
		return numbers_exhausted(p);
	}
	if (!txn_size_add(&p->size, op_len(p, len, p->next + (long long)p->n),
	    p->o->max_ops, p->o->max_bytes)) {
		/* expr is in r's text or in p->gen, which a commit leaves. */
		if ((rc = pusher_flush(p)) != 0)
			return rc;
		txn_size_add(&p->size, op_len(p, len, p->next), p->o->max_ops,
		    p->o->max_bytes);
	}
	queue_record(p, r, expr, elen, len);
	return 0;
}

/*
 * How many queued records, numbered from p->next, one transaction holds:
 * all, as pusher_add() reckoned, unless they were renumbered since (then
 * those that fit, up to KV_MAX_NUMBER).
 */
static size_t
fitting(const struct pusher *p)
{
	struct txn_size s = TXN_SIZE_EMPTY;
	size_t i;

	if (!p->renumbered)
		return p->n;
	for (i = 0; i < p->n && p->next + (long long)i <= KV_MAX_NUMBER; i++)
		if (!txn_size_add(&s, op_len(p, p->q[i].head_len,
		    p->next + (long long)i), p->o->max_ops, p->o->max_bytes))
			break;
	return i;
}

/* The key of number n as JSON, in buf (p->key_len + 20 bytes). */
static size_t
key_json(const struct pusher *p, long long n, char *buf)
{
	size_t width = number_width(n), i;

	memcpy(buf, p->key, p->key_len);
	for (i = width; i > 0; i--, n /= 10)
		buf[p->key_len + i - 1] = (char)('0' + n % 10);
	buf[p->key_len + width] = '"';
	return p->key_len + width + 1;
}

/* The body of the first n queued records, numbered from p->next. */
static void
build_body(struct pusher *p, size_t n)
{
	char *key = xmalloc(p->key_len + 21);
	const char *value;
	size_t i, klen, vlen;

	stamp_now(p);
	stamp_values(p, n);
	txn_body_start(&p->body, p->size.bytes);
	for (i = 0; i < n; i++) {
		klen = key_json(p, p->next + (long long)i, key);
		value = value_of(p, i, &vlen);
		txn_body_cas(&p->body, key, klen, value, vlen, 0);
	}
	txn_body_end(&p->body);
	free(key);
}

/*
 * Whether key holds exactly value now: 1 or 0, or -1 when Consul could not
 * tell us (the read is repeated on failure first).
 */
static int
key_holds(struct consul *c, const char *key, const char *value, size_t len)
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
	same = rep.status == 200 && rep.len == len &&
	    memcmp(rep.body, value, rep.len) == 0;
	http_reply_free(&rep);
	return same;
}

/*
 * After a write that got no answer: did it land?  A transaction is all or
 * nothing, and the numbers are ours under the run's lock, so if every key
 * holds our value the batch committed and must not be written again.
 */
static int
batch_landed(void *arg)
{
	struct pusher *p = arg;
	const char *value;
	size_t i, len;
	int landed = 1;

	for (i = 0; i < p->body.ops && landed == 1; i++) {
		char *key = xasprintf("%s/%lld", p->o->prefix,
		    p->next + (long long)i);

		value = value_of(p, i, &len);
		landed = key_holds(p->c, key, value, len);
		free(key);
	}
	return landed;
}

/* Queued record i's line, with its index n and a newline, at w; the end. */
static char *
put_numbered(const struct pusher *p, size_t i, long long n, char *w)
{
	const struct queued *q = &p->q[i];
	const char *line = p->arena + q->at + q->head_len + VALUE_TAIL_LEN;

	w = put(w, line, q->index_at);
	w += record_index_member(w, n);
	w = put(w, line + q->index_at, q->line_len - q->index_at);
	*w++ = '\n';
	return w;
}

/*
 * Prints the first n queued records, committed, in one write, and flushes
 * them: downstream may act on them at once.  The rest move up.
 */
static void
emit_batch(struct pusher *p, size_t n)
{
	size_t i, from, need = 0;
	char *w;

	for (i = 0; i < n; i++)
		need += p->q[i].line_len + RECORD_INDEX_MEMBER_MAX + 1;
	if (need > p->out_cap) {
		p->out_cap = need;
		p->out = xreallocarray(p->out, p->out_cap, 1);
	}
	for (i = 0, w = p->out; i < n; i++)
		w = put_numbered(p, i, p->next + (long long)i, w);
	if (fwrite(p->out, 1, (size_t)(w - p->out), stdout) !=
	    (size_t)(w - p->out) || fflush(stdout) != 0)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
	p->n -= n;
	if (p->n == 0)
		p->arena_len = 0;
	else {
		from = p->q[n].at;
		p->arena_len -= from;
		memmove(p->arena, p->arena + from, p->arena_len);
		memmove(p->q, p->q + n, p->n * sizeof(*p->q));
		for (i = 0; i < p->n; i++)
			p->q[i].at -= from;
	}
	p->next += (long long)n;
	p->pushed += n;
}

static void
dry_run_batch(struct pusher *p, size_t n)
{
	const char *value;
	size_t i, len;

	stamp_now(p);
	stamp_values(p, n);
	for (i = 0; i < n; i++) {
		value = value_of(p, i, &len);
		note("dry run: would create %s/%lld = %.*s", p->o->prefix,
		    p->next + (long long)i, (int)len, value);
	}
	p->txns++;
	emit_batch(p, n);
}

/*
 * Commits what one transaction holds of the batch (all of it, unless a
 * renumbering widened the keys).  A conflict means another writer took
 * numbers: renumber and send again.  0, or the status of a failure.
 */
static int
commit_some(struct pusher *p)
{
	struct txn_batch b = { p->what, &p->body, batch_landed, p, 0 };
	enum txn_outcome out;
	int conflicts = 0, rc;
	char *why;
	size_t n;

	for (;;) {
		/*
		 * Every record fits a transaction alone at any number up to
		 * KV_MAX_NUMBER (pusher_add), so none fits only past it: an
		 * empty transaction would be sent again for ever.
		 */
		if ((n = fitting(p)) == 0 && p->next <= KV_MAX_NUMBER)
			die(EX_SOFTWARE, "internal error: record %lld fits no "
			    "transaction", p->next);
		if (n == 0)
			return numbers_exhausted(p);
		if (p->o->dry_run) {
			dry_run_batch(p, n);
			return 0;
		}
		build_body(p, n);
		out = txn_commit(p->c, p->o->retries, &b, &why);
		p->txns += b.sent;
		b.sent = 0;
		if (out == TXN_COMMITTED) {
			emit_batch(p, n);
			return 0;
		}
		if (out != TXN_CONFLICT) {
			warnmsg("%s", why);
			free(why);
			return txn_exit_status(out);
		}
		if (++conflicts > MAX_CONFLICTS) {
			warnmsg("gave up after %d conflicting writes: %s",
			    conflicts - 1, why);
			free(why);
			return EX_TEMPFAIL;
		}
		info("numbers %lld.. taken meanwhile (%s); renumbering",
		    p->next, why);
		free(why);
		if ((rc = refresh_next(p)) != 0)
			return rc;
	}
}

int
pusher_flush(struct pusher *p)
{
	int rc;

	while (p->n > 0)
		if ((rc = commit_some(p)) != 0)
			return rc;
	p->size = (struct txn_size)TXN_SIZE_EMPTY;
	p->renumbered = 0;
	return 0;
}

enum txn_outcome
commit_batch(struct consul *c, const struct push_opts *o, const char *what,
    const struct txn_body *body)
{
	struct txn_batch b = { what, body, NULL, NULL, 0 };
	enum txn_outcome out;
	char *why;

	if (o->dry_run)
		return TXN_COMMITTED;
	out = txn_commit(c, o->retries, &b, &why);
	if (out == TXN_COMMITTED)
		return out;
	if (out != TXN_CONFLICT)
		warnmsg("%s", why);
	free(why);
	return out;
}

void
pusher_free(struct pusher *p)
{
	free(p->q);
	free(p->arena);
	free(p->out);
	free(p->what);
	free(p->key);
	txn_body_free(&p->body);
	yajl_gen_free(p->gen);
}
