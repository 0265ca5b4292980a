#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "base64.h"
#include "diag.h"
#include "txn.h"
#include "xalloc.h"

#define CAS_HEAD	"{\"KV\":{\"Verb\":\"cas\",\"Key\":"
#define CAS_VALUE	",\"Value\":\""
#define CAS_INDEX	"\",\"Index\":"
#define DELETE_HEAD	"{\"KV\":{\"Verb\":\"delete-cas\",\"Key\":"
#define DELETE_INDEX	",\"Index\":"
#define OP_END		"}}"
#define LIT(s)		(sizeof(s) - 1)

char *
txn_json_string(const char *s, size_t *len)
{
	json_t *str = json_string(s);
	char *text = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;

	json_decref(str);
	if (text == NULL)
		die(EX_SOFTWARE, "a Consul key that is not UTF-8");
	*len = strlen(text);
	return text;
}

static size_t
digits(unsigned long long n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

size_t
txn_cas_len(size_t key_json_len, size_t value_len, unsigned long long cas)
{
	return LIT(CAS_HEAD) + key_json_len + LIT(CAS_VALUE) +
	    base64_encoded_len(value_len) + LIT(CAS_INDEX) + digits(cas) + LIT(OP_END);
}

size_t
txn_delete_cas_len(size_t key_json_len, unsigned long long cas)
{
	return LIT(DELETE_HEAD) + key_json_len + LIT(DELETE_INDEX) +
	    digits(cas) + LIT(OP_END);
}

int
txn_size_add(struct txn_size *s, size_t oplen, size_t max_ops,
    size_t max_bytes)
{
	size_t bytes = s->bytes + oplen + (s->ops > 0);	/* and its comma */

	if (s->ops >= max_ops || bytes > max_bytes)
		return 0;
	s->ops++;
	s->bytes = bytes;
	return 1;
}

int
txn_op_fits_alone(size_t oplen, size_t max_bytes)
{
	struct txn_size s = TXN_SIZE_EMPTY;

	return txn_size_add(&s, oplen, 1, max_bytes);
}

static void
body_room(struct txn_body *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = b->len + more + 1 > 2 * b->cap ? b->len + more + 1 :
	    2 * b->cap;
	b->text = xreallocarray(b->text, b->cap, 1);
}

static void
body_put(struct txn_body *b, const char *s, size_t len)
{
	memcpy(b->text + b->len, s, len);
	b->len += len;
}

void
txn_body_start(struct txn_body *b, size_t size)
{
	b->len = b->ops = 0;
	body_room(b, size);
	b->text[b->len++] = '[';
}

/* Room for one more operation of oplen bytes, and the comma before it. */
static void
body_next(struct txn_body *b, size_t oplen)
{
	body_room(b, oplen + 2);
	if (b->ops++ > 0)
		b->text[b->len++] = ',';
}

static void
body_number(struct txn_body *b, unsigned long long n)
{
	size_t d = digits(n), i;

	for (i = d; i > 0; i--, n /= 10)
		b->text[b->len + i - 1] = (char)('0' + n % 10);
	b->len += d;
}

/*
 * Written in place: base64 needs no JSON escaping, and building each
 * operation apart (or through jansson) cost a third of kvpush's time.
 */
void
txn_body_cas(struct txn_body *b, const char *key_json, size_t klen,
    const char *value, size_t len, unsigned long long cas)
{
	if (len > INT_MAX)
		die(EX_SOFTWARE, "a value of %zu bytes", len);
	body_next(b, txn_cas_len(klen, len, cas));
	body_put(b, CAS_HEAD, LIT(CAS_HEAD));
	body_put(b, key_json, klen);
	body_put(b, CAS_VALUE, LIT(CAS_VALUE));
	b->len += base64_encode_to(b->text + b->len, value, len);
	body_put(b, CAS_INDEX, LIT(CAS_INDEX));
	body_number(b, cas);
	body_put(b, OP_END, LIT(OP_END));
}

void
txn_body_delete_cas(struct txn_body *b, const char *key_json, size_t klen,
    unsigned long long cas)
{
	body_next(b, txn_delete_cas_len(klen, cas));
	body_put(b, DELETE_HEAD, LIT(DELETE_HEAD));
	body_put(b, key_json, klen);
	body_put(b, DELETE_INDEX, LIT(DELETE_INDEX));
	body_number(b, cas);
	body_put(b, OP_END, LIT(OP_END));
}

void
txn_body_end(struct txn_body *b)
{
	body_room(b, 1);
	b->text[b->len++] = ']';
	b->text[b->len] = '\0';
}

void
txn_body_free(struct txn_body *b)
{
	free(b->text);
	memset(b, 0, sizeof(*b));
}

/* The "What" of each error in a 409's body, joined; NULL if none parse. */
static char *
conflict_reasons(const char *body, size_t len, int *denied)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *errs, *e;
	char *all = NULL, *next;
	size_t i;

	errs = json_object_get(doc, "Errors");
	json_array_foreach(errs, i, e) {
		const char *what = json_string_value(json_object_get(e, "What"));

		if (what == NULL)
			continue;
		if (strstr(what, "Permission denied") != NULL)
			*denied = 1;
		next = all ? xasprintf("%s; %s", all, what) : xstrdup(what);
		free(all);
		all = next;
	}
	json_decref(doc);
	return all;
}

/* Sends one transaction; *why (to free) explains any other outcome. */
static enum txn_outcome
txn_send(struct consul *c, const char *body, size_t len, char **why)
{
	struct http_reply rep;
	enum txn_outcome out;
	int denied = 0;

	*why = NULL;
	if (consul_call(c, "PUT", "/v1/txn", body, len, &rep) != 0) {
		*why = xstrdup(consul_error(c));
		return TXN_UNKNOWN;
	}
	if (rep.status == 200)
		out = TXN_COMMITTED;
	else if (rep.status == 409) {
		*why = conflict_reasons(rep.body, rep.len, &denied);
		out = denied ? TXN_DENIED : TXN_CONFLICT;
	} else if (rep.status == 401 || rep.status == 403)
		out = TXN_DENIED;
	else if (rep.status == 429)
		out = TXN_LIMITED;	/* refused before it was applied */
	else
		out = rep.status >= 500 ? TXN_UNKNOWN : TXN_REFUSED;
	if (*why == NULL && out != TXN_COMMITTED)
		*why = consul_fail_message(&rep);
	http_reply_free(&rep);
	return out;
}

/*
 * After a write without an answer or in conflict: committed if it landed.
 * When that cannot be read either, neither sending it again (twice if it
 * landed) nor a caller's renumbering is safe: a failure, final.
 */
static enum txn_outcome
settle(struct txn_batch *b, enum txn_outcome out, char **why, int *final)
{
	char *msg;

	switch (b->landed(b->arg)) {
	case 1:
		info("%s: transaction of %zu operation%s: %s, but it landed",
		    b->what, b->body->ops, plural(b->body->ops), *why);
		free(*why);
		*why = NULL;
		return TXN_COMMITTED;
	case 0:
		return out;
	default:
		msg = xasprintf("%s: a transaction of %zu operation%s may or "
		    "may not have landed, and Consul cannot be read to tell: "
		    "%s", b->what, b->body->ops, plural(b->body->ops), *why);
		free(*why);
		*why = msg;
		*final = 1;
		return TXN_UNKNOWN;
	}
}

/* Puts what the batch was doing in front of the reason. */
static void
explain(struct txn_batch *b, enum txn_outcome out, char **why)
{
	char *msg;

	if (out == TXN_DENIED)
		msg = xasprintf("%s: Consul refused the write: %s", b->what,
		    *why);
	else if (out == TXN_REFUSED)
		msg = xasprintf("%s: Consul refused a transaction of %zu "
		    "operation%s: %s", b->what, b->body->ops,
		    plural(b->body->ops), *why);
	else
		return;
	free(*why);
	*why = msg;
}

enum txn_outcome
txn_commit(struct consul *c, int retries, struct txn_batch *b, char **why)
{
	enum txn_outcome out;
	int unanswered = 0, final = 0;
	char *msg;

	for (;;) {
		out = txn_send(c, b->body->text, b->body->len, why);
		b->sent++;
		if ((out == TXN_UNKNOWN || out == TXN_CONFLICT) &&
		    b->landed != NULL)
			out = settle(b, out, why, &final);
		if ((out != TXN_UNKNOWN && out != TXN_LIMITED) || final)
			break;
		if (++unanswered > retries) {
			msg = xasprintf("%s: gave up after %d %s: %s", b->what,
			    unanswered, unanswered == 1 ? "try" : "tries",
			    *why);
			free(*why);
			*why = msg;
			break;
		}
		info("%s: transaction of %zu operation%s: %s; trying again",
		    b->what, b->body->ops, plural(b->body->ops), *why);
		free(*why);
		consul_backoff(unanswered);
	}
	explain(b, out, why);
	return out;
}

int
txn_exit_status(enum txn_outcome out)
{
	switch (out) {
	case TXN_DENIED:
		return EX_NOPERM;
	case TXN_REFUSED:
		return EX_PROTOCOL;
	case TXN_UNKNOWN:
	case TXN_LIMITED:
		return EX_TEMPFAIL;
	default:
		return EX_SOFTWARE;	/* not a failure */
	}
}
