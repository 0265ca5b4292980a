#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "diag.h"
#include "jsonsplit.h"
#include "kv.h"
#include "xalloc.h"

long long
kv_key_number(const char *prefix, const char *key)
{
	size_t plen = strlen(prefix);
	const char *p;
	long long n = 0;

	if (strncmp(key, prefix, plen) != 0 || key[plen] != '/')
		return 0;
	p = key + plen + 1;
	/* Plain decimal only: "007" or "+7" would alias 7 in a renderer. */
	if (*p < '1' || *p > '9' || strlen(p) > 18)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n;
}

int
kv_entry_record(const struct kv_entry *e, struct record *r, const char **why)
{
	json_error_t err;
	json_t *obj;

	/* jansson would take a NUL after a number, true, false or null. */
	if (memchr(e->value, '\0', e->value_len) != NULL)
		return *why = "value holds a NUL byte", -1;
	obj = json_loadb(e->value, e->value_len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL)
		return *why = "value is not JSON", -1;
	json_object_del(obj, "index");
	if (record_from_json(obj, r, why) != 0) {
		json_decref(obj);
		return -1;
	}
	record_set_index(r, e->number);
	return 0;
}

char *
kv_record_value(const struct record *r)
{
	json_t *v = json_pack("{s:s%, s:s%}", "record", r->name,
	    strlen(r->name), "expr", r->expr, r->expr_len);
	char *s = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (s == NULL)
		die(EX_OSERR, "out of memory");
	return s;
}

/*
 * The verdict on a listing: 0, a sysexits status after a message, or -1
 * (also after a message) when Consul could not be reached at all.
 */
static int
listing_status(struct consul *c, const char *prefix, int rc,
    struct http_reply *rep, struct json_split *split)
{
	char *msg;

	if (rc != 0 && split->failed) {
		warnmsg("reading %s/: Consul's answer is not the expected JSON",
		    prefix);
		return EX_PROTOCOL;
	}
	if (rc != 0) {
		warnmsg("cannot reach Consul at %s: %s", consul_url(c),
		    consul_error(c));
		return -1;
	}
	if (rep->status == 404)
		return 0;
	if (rep->status != 200) {
		msg = consul_fail_message(rep);
		warnmsg("reading %s/: %s", prefix, msg);
		free(msg);
		return consul_fail_status(rep);
	}
	if (json_split_end(split) != 0) {
		warnmsg("reading %s/: Consul's answer is not the expected JSON",
		    prefix);
		return EX_PROTOCOL;
	}
	return 0;
}

static int
feed(const char *data, size_t len, void *arg)
{
	return json_split_feed(arg, data, len);
}

/* Whether a failed listing may be tried again: nothing was handed on yet. */
static int
may_retry(struct consul *c, int rc, const struct http_reply *rep,
    const struct json_split *split, int attempt)
{
	if (split->elements > 0 || attempt >= consul_retries(c))
		return 0;
	return (rc != 0 && !split->failed) || (rc == 0 && rep->status >= 500);
}

/*
 * Streams the elements of the array GET PREFIX/?query answers into fn,
 * one at a time as they arrive.  404 (nothing there) is an empty array.
 * Returns 0 or a sysexits status, after saying why.
 */
static int
list_prefix(struct consul *c, const char *prefix, const char *query,
    json_element_fn *fn, void *arg)
{
	char *key = xasprintf("%s/", prefix), *path = consul_kv_path(key, query);
	struct json_split split;
	struct http_reply rep;
	int attempt, rc;

	free(key);
	for (attempt = 0;; attempt++) {
		json_split_init(&split, fn, arg);
		rc = consul_get_stream(c, path, feed, &split, &rep);
		if (!may_retry(c, rc, &rep, &split, attempt))
			break;
		info("reading %s/: %s; trying again", prefix, rc ? consul_error(c) :
		    "server error");
		if (rc == 0)
			http_reply_free(&rep);
		json_split_free(&split);
		consul_backoff(attempt + 1);
	}
	free(path);
	rc = listing_status(c, prefix, rc, &rep, &split);
	http_reply_free(&rep);
	json_split_free(&split);
	return rc < 0 ? EX_UNAVAILABLE : rc;
}

/* One element of a recursive GET: decodes it and calls fn if it is ours. */
static int
scan_element(json_t *el, const char *prefix, int all, kv_scan_fn *fn,
    void *arg)
{
	struct kv_entry e;
	json_t *value;
	json_int_t modify_index;
	char *decoded = NULL;

	memset(&e, 0, sizeof(e));
	if (json_unpack(el, "{s:s, s:I, s:o}", "Key", &e.key, "ModifyIndex",
	    &modify_index, "Value", &value) != 0)
		return -1;
	e.modify_index = (unsigned long long)modify_index;
	e.number = kv_key_number(prefix, e.key);
	if (e.number == 0 && !all) {
		debug("ignoring %s: not a PREFIX/N key", e.key);
		return 0;
	}
	if (json_is_string(value)) {
		if (base64_decode(json_string_value(value),
		    json_string_length(value), &decoded, &e.value_len) != 0)
			return -1;
		e.value = decoded;
	} else
		e.value = "";
	fn(&e, arg);
	free(decoded);
	return 0;
}

/* Element callbacks carry what they need in one of these. */
struct scan_ctx {
	const char	*prefix;
	kv_scan_fn	*fn;
	void		*arg;
	long long	 max;
	int		 all;		/* foreign keys too */
};

int
kv_scan_element(const char *text, size_t len, const char *prefix, int all,
    kv_scan_fn *fn, void *arg)
{
	json_t *el = json_loadb(text, len, 0, NULL);
	int rc = el ? scan_element(el, prefix, all, fn, arg) : -1;

	json_decref(el);
	return rc;
}

static int
scan_one(const char *text, size_t len, void *arg)
{
	struct scan_ctx *ctx = arg;

	return kv_scan_element(text, len, ctx->prefix, ctx->all, ctx->fn,
	    ctx->arg);
}

int
kv_scan(struct consul *c, const char *prefix, kv_scan_fn *fn, void *arg)
{
	struct scan_ctx ctx = { prefix, fn, arg, 0, 0 };

	return list_prefix(c, prefix, "recurse", scan_one, &ctx);
}

int
kv_scan_all(struct consul *c, const char *prefix, kv_scan_fn *fn, void *arg)
{
	struct scan_ctx ctx = { prefix, fn, arg, 0, 1 };

	return list_prefix(c, prefix, "recurse", scan_one, &ctx);
}

static int
max_one(const char *text, size_t len, void *arg)
{
	struct scan_ctx *ctx = arg;
	json_t *key = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	long long n;

	if (!json_is_string(key)) {
		json_decref(key);
		return -1;
	}
	n = kv_key_number(ctx->prefix, json_string_value(key));
	if (n > ctx->max)
		ctx->max = n;
	json_decref(key);
	return 0;
}

int
kv_max_number(struct consul *c, const char *prefix, long long *max)
{
	struct scan_ctx ctx = { prefix, NULL, NULL, 0, 0 };
	int rc = list_prefix(c, prefix, "keys&separator=/", max_one, &ctx);

	*max = ctx.max;
	return rc;
}
