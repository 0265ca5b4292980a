#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "diag.h"
#include "kv.h"
#include "listing.h"
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
	if (*p < '1' || *p > '9' || strlen(p) > 18)	/* KV_MAX_NUMBER */
		return 0;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/*
 * The value without the blanks between its tokens when it holds a line
 * end, else NULL: a value someone stored pretty-printed must still print
 * as one line of the record stream.  (A line end in JSON text is always a
 * blank: in a string it is escaped.)  Other blanks are kept, as in a line
 * of input.
 */
static char *
compact_value(const char *text, size_t len, size_t *outlen)
{
	int in_string = 0, escaped = 0;
	char *out = NULL;
	size_t i, n = 0;

	*outlen = len;
	if (memchr(text, '\n', len) == NULL && memchr(text, '\r', len) == NULL)
		return NULL;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (out == NULL) {
				out = xmalloc(len);
				memcpy(out, text, i);
				n = i;
			}
			continue;
		} else if (c == '"')
			in_string = 1;
		if (out != NULL)
			out[n++] = c;
	}
	*outlen = out != NULL ? n : len;
	return out;
}

/*
 * A value whose "index" is not a positive integer: the member is dropped,
 * as the key's number is the index, and the rest read again.  Rare (no
 * recsync tool stores an index), so through a jansson tree.
 */
static int
record_without_index(const char *text, size_t len, struct record *r,
    const char **why)
{
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);

	if (obj == NULL)
		return *why = "value is not JSON", -1;
	json_object_del(obj, "index");
	if (record_from_json(obj, r, why) != 0) {
		json_decref(obj);
		return -1;
	}
	return 0;
}

int
kv_entry_value(const struct kv_entry *e, struct record *r, const char **why)
{
	size_t len = e->value_len;
	char *compact;
	const char *text;
	int rc;

	/* JSON text never holds one; a NUL in a string is \u0000. */
	if (memchr(e->value, '\0', e->value_len) != NULL)
		return *why = "value holds a NUL byte", -1;
	compact = compact_value(e->value, e->value_len, &len);
	text = compact != NULL ? compact : e->value;
	/* The value is read as an input line is: one parse, no tree. */
	rc = record_parse(text, len, r, why, NULL);
	if (rc != 0 && *why == NULL)
		*why = "value is not JSON";
	else if (rc != 0 && strstr(*why, "\"index\"") != NULL)
		rc = record_without_index(text, len, r, why);
	free(compact);
	return rc;
}

int
kv_entry_record(const struct kv_entry *e, struct record *r, const char **why)
{
	if (kv_entry_value(e, r, why) != 0)
		return -1;
	record_set_index(r, e->number);
	return 0;
}

/*
 * The verdict on a listing: 0, a sysexits status after a message, or -1
 * (also after a message) when Consul could not be reached at all.
 */
static int
listing_status(struct consul *c, const char *prefix, int rc,
    struct http_reply *rep, struct listing *l)
{
	char *msg;

	if (rc != 0 && listing_failed(l)) {
		warnmsg("reading %s/: Consul's answer is not the expected JSON",
		    prefix);
		return EX_PROTOCOL;
	}
	if (rc != 0 && consul_answer_cut(c)) {
		warnmsg("reading %s/: Consul's answer was cut off: %s", prefix,
		    consul_error(c));
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
	if (listing_end(l) != 0) {
		warnmsg("reading %s/: Consul's answer is not the expected JSON",
		    prefix);
		return EX_PROTOCOL;
	}
	return 0;
}

static int
feed(const char *data, size_t len, void *arg)
{
	return listing_feed(arg, data, len);
}

/* Whether a failed listing may be tried again: nothing was handed on yet. */
static int
may_retry(struct consul *c, int rc, const struct http_reply *rep,
    const struct listing *l, int attempt)
{
	if (listing_elements(l) > 0 || attempt >= consul_retries(c))
		return 0;
	return (rc != 0 && !listing_failed(l)) ||
	    (rc == 0 && consul_try_later(rep->status));
}

/* What a listing hands its elements to. */
struct scan_ctx {
	const char	*prefix;
	kv_scan_fn	*fn;		/* the entries of ?recurse */
	void		*arg;
	int		 all;		/* foreign keys too */
	long long	 max;		/* the largest N of ?keys */
};

static void
max_key(const char *key, void *arg)
{
	struct scan_ctx *ctx = arg;
	long long n = kv_key_number(ctx->prefix, key);

	if (n > ctx->max)
		ctx->max = n;
}

static struct listing *
listing_for(struct scan_ctx *ctx)
{
	if (ctx->fn == NULL)
		return listing_keys(max_key, ctx);
	return listing_entries(ctx->prefix, ctx->all, ctx->fn, ctx->arg);
}

/*
 * Streams the elements of the array GET PREFIX/?query answers into ctx,
 * one at a time as they arrive.  404 (nothing there) is an empty array.
 * Returns 0 or a sysexits status, after saying why.
 */
static int
list_prefix(struct consul *c, const char *query, struct scan_ctx *ctx)
{
	char *key = xasprintf("%s/", ctx->prefix);
	char *path = consul_kv_path(key, query);
	struct listing *l;
	struct http_reply rep;
	int attempt, rc;

	free(key);
	for (attempt = 0;; attempt++) {
		l = listing_for(ctx);
		rc = consul_get_stream(c, path, feed, l, &rep);
		if (!may_retry(c, rc, &rep, l, attempt))
			break;
		info("reading %s/: %s; trying again", ctx->prefix,
		    rc ? consul_error(c) : rep.status == 429 ?
		    "rate limited (HTTP 429)" : "server error");
		if (rc == 0)
			http_reply_free(&rep);
		listing_free(l);
		consul_backoff(attempt + 1);
	}
	free(path);
	rc = listing_status(c, ctx->prefix, rc, &rep, l);
	http_reply_free(&rep);
	listing_free(l);
	return rc < 0 ? EX_UNAVAILABLE : rc;
}

int
kv_scan(struct consul *c, const char *prefix, kv_scan_fn *fn, void *arg)
{
	struct scan_ctx ctx = { prefix, fn, arg, 0, 0 };

	return list_prefix(c, "recurse", &ctx);
}

int
kv_scan_all(struct consul *c, const char *prefix, kv_scan_fn *fn, void *arg)
{
	struct scan_ctx ctx = { prefix, fn, arg, 1, 0 };

	return list_prefix(c, "recurse", &ctx);
}

int
kv_max_number(struct consul *c, const char *prefix, long long *max)
{
	struct scan_ctx ctx = { prefix, NULL, NULL, 0, 0 };
	int rc = list_prefix(c, "keys&separator=/", &ctx);

	*max = ctx.max;
	return rc;
}
