#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "diag.h"
#include "kv.h"
#include "txn.h"
#include "xalloc.h"

static char *
dump_op(json_t *op)
{
	char *s = json_dumps(op, JSON_COMPACT);

	json_decref(op);
	if (s == NULL)
		die(EX_OSERR, "out of memory");
	return s;
}

/* key as a JSON string, quotes included. */
static char *
json_quoted(const char *key)
{
	json_t *s = json_string(key);
	char *text = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

	json_decref(s);
	if (text == NULL)
		die(EX_SOFTWARE, "a Consul key that is not UTF-8");
	return text;
}

/*
 * Put together by hand: base64 needs no JSON escaping, and having jansson
 * copy and scan every value once more cost a third of kvpush's time.
 */
char *
txn_op_cas(const char *key, const char *value, size_t len,
    unsigned long long cas)
{
	char *b64 = base64_encode(value, len), *quoted = json_quoted(key);
	char *op = xasprintf("{\"KV\":{\"Verb\":\"cas\",\"Key\":%s,"
	    "\"Value\":\"%s\",\"Index\":%llu}}", quoted, b64, cas);

	free(b64);
	free(quoted);
	return op;
}

char *
txn_op_delete_cas(const char *key, unsigned long long cas)
{
	return dump_op(json_pack("{s:{s:s, s:s, s:I}}", "KV", "Verb",
	    "delete-cas", "Key", key, "Index", (json_int_t)cas));
}

size_t
txn_op_cost(size_t oplen)
{
	return oplen + 1;	/* the op and its comma (or a bracket) */
}

char *
txn_body(char *const *ops, size_t n, size_t *len)
{
	size_t i, total = 2, off = 0;
	char *body;

	for (i = 0; i < n; i++)
		total += strlen(ops[i]) + (i > 0);
	body = xmalloc(total + 1);
	body[off++] = '[';
	for (i = 0; i < n; i++) {
		size_t l = strlen(ops[i]);

		if (i > 0)
			body[off++] = ',';
		memcpy(body + off, ops[i], l);
		off += l;
	}
	body[off++] = ']';
	body[off] = '\0';
	*len = off;
	return body;
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

enum txn_outcome
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
	else
		out = rep.status >= 500 ? TXN_UNKNOWN : TXN_REFUSED;
	if (*why == NULL && out != TXN_COMMITTED)
		*why = consul_fail_message(&rep);
	http_reply_free(&rep);
	return out;
}
