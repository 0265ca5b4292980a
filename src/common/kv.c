#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "diag.h"
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

char *
base64_encode(const char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data,
	    (int)len);
	return out;
}

int
base64_decode(const char *text, size_t len, char **out, size_t *outlen)
{
	int n, pad = 0;

	if (len % 4 != 0)
		return -1;
	*out = xmalloc(len / 4 * 3 + 1);
	n = len ? EVP_DecodeBlock((unsigned char *)*out,
	    (const unsigned char *)text, (int)len) : 0;
	if (n < 0) {
		free(*out);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes of output. */
	while (pad < 2 && len > (size_t)pad && text[len - 1 - pad] == '=')
		pad++;
	*outlen = (size_t)n - (size_t)pad;
	(*out)[*outlen] = '\0';
	return 0;
}

int
kv_entry_record(const struct kv_entry *e, struct record *r, const char **why)
{
	json_error_t err;
	json_t *obj;

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

/* GETs PREFIX/ with the query; 404 (nothing there) is an empty answer. */
static int
get_prefix(struct consul *c, const char *prefix, const char *query,
    struct http_reply *rep)
{
	char *key = xasprintf("%s/", prefix), *path;
	int rc;

	path = consul_kv_path(key, query);
	free(key);
	rc = consul_call_idempotent(c, "GET", path, NULL, 0, rep);
	free(path);
	if (rc != 0) {
		warnmsg("cannot reach Consul at %s: %s", consul_url(c),
		    consul_error(c));
		return EX_UNAVAILABLE;
	}
	if (rep->status == 404) {
		http_reply_free(rep);
		rep->body = xstrdup("[]");
		rep->len = 2;
	} else if (rep->status != 200) {
		char *msg = consul_fail_message(rep);

		warnmsg("reading %s/: %s", prefix, msg);
		free(msg);
		rc = consul_fail_status(rep);
		http_reply_free(rep);
		return rc;
	}
	return 0;
}

/* One element of a recursive GET: decodes it and calls fn if it is ours. */
static int
scan_element(json_t *el, const char *prefix, kv_scan_fn *fn, void *arg)
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
	if (e.number == 0) {
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

/*
 * Walks the JSON array one element at a time, so that a store of a million
 * records never becomes one tree of a million jansson objects.
 */
static int
scan_array(const char *body, size_t len, const char *prefix, kv_scan_fn *fn,
    void *arg)
{
	size_t pos = strspn(body, " \t\r\n");
	json_error_t err;

	if (pos == len || body[pos++] != '[')
		return -1;
	for (;;) {
		json_t *el;

		pos += strspn(body + pos, " \t\r\n");
		if (pos < len && body[pos] == ']')
			return 0;
		el = json_loadb(body + pos, len - pos, JSON_DISABLE_EOF_CHECK,
		    &err);
		if (el == NULL || scan_element(el, prefix, fn, arg) != 0) {
			json_decref(el);
			return -1;
		}
		json_decref(el);
		pos += (size_t)err.position;
		pos += strspn(body + pos, " \t\r\n");
		if (pos < len && body[pos] == ',')
			pos++;
		else if (pos >= len || body[pos] != ']')
			return -1;
	}
}

int
kv_scan(struct consul *c, const char *prefix, kv_scan_fn *fn, void *arg)
{
	struct http_reply rep;
	int rc = get_prefix(c, prefix, "recurse", &rep);

	if (rc != 0)
		return rc;
	if (scan_array(rep.body, rep.len, prefix, fn, arg) != 0) {
		warnmsg("reading %s/: Consul's answer is not the expected "
		    "JSON", prefix);
		rc = EX_PROTOCOL;
	}
	http_reply_free(&rep);
	return rc;
}

int
kv_max_number(struct consul *c, const char *prefix, long long *max)
{
	struct http_reply rep;
	json_error_t err;
	json_t *keys, *k;
	size_t i;
	int rc = get_prefix(c, prefix, "keys&separator=/", &rep);

	if (rc != 0)
		return rc;
	keys = json_loadb(rep.body, rep.len, 0, &err);
	http_reply_free(&rep);
	if (!json_is_array(keys)) {
		json_decref(keys);
		warnmsg("listing %s/: Consul's answer is not a JSON array",
		    prefix);
		return EX_PROTOCOL;
	}
	*max = 0;
	json_array_foreach(keys, i, k) {
		long long n = json_is_string(k) ?
		    kv_key_number(prefix, json_string_value(k)) : 0;

		if (n > *max)
			*max = n;
	}
	json_decref(keys);
	return 0;
}
