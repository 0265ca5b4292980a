/*
 * The Consul listing reader: the body of a recursive GET under the prefix,
 * fed to the streaming reader (src/common/listing.c, yajl) in pieces, as
 * kv_scan() and kv_scan_all() read it (the first byte picks the piece size
 * and which), and each entry turned into a record as kvdiff and kvpush do.
 *
 * Against a reading of the whole body as one tree by jansson, with base64
 * decoded by the rules of RFC 4648 written out here: when jansson takes
 * the body, the stream takes it too, or refuses it exactly when one of its
 * elements is no KV entry as Consul sends one; the entries found are the
 * same, in order, keys, numbers, indexes and value bytes; and a body the
 * stream takes is one jansson takes (but for nesting deeper than jansson
 * goes).
 *
 * The whole input is also read as one stored value by kv_entry_record()
 * (and kv_entry_value(), which must agree with it),
 * against jansson: a record exactly when jansson's tree of it (without
 * its "index", the key's number being the index) is one, and then the
 * record's text is one line and jansson's tree with "index": N.
 */
#include <string.h>

#include <jansson.h>

#include "base64_ref.h"
#include "fuzz.h"
#include "kv.h"
#include "listing.h"

#define PREFIX	"prometheus/records"

/* One entry as [key, number, index, value in hex], for json_equal(). */
static json_t *
entry(const char *key, long long number, json_int_t index, const char *value,
    size_t len)
{
	char *hex = malloc(2 * len + 1);
	json_t *e;
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)value[i]);
	hex[2 * len] = '\0';
	e = json_pack("[s,I,I,s]", key, (json_int_t)number, index, hex);
	free(hex);
	return e;
}

/* What the callback needs: the entries so far, and kv_scan_all or not. */
struct seen {
	json_t	*entries;
	int	 all;
};

static void
on_entry(const struct kv_entry *e, void *arg)
{
	struct seen *seen = arg;
	struct record r;
	const char *why = NULL;

	FUZZ_CHECK(e->number == kv_key_number(PREFIX, e->key) &&
	    (seen->all || e->number > 0),
	    "only PREFIX/N keys are handed on (all keys with all), with N");
	FUZZ_CHECK(e->value[e->value_len] == '\0',
	    "the value is NUL-terminated");
	if (e->number > 0 && kv_entry_record(e, &r, &why) == 0) {
		FUZZ_CHECK(r.index == e->number, "the record's index is N");
		FUZZ_CHECK(memchr(e->value, '\0', e->value_len) == NULL,
		    "a value with a NUL byte is no record");
		FUZZ_CHECK(record_name_valid(r.name) && r.expr_len > 0,
		    "a record from a value is valid");
		record_free(&r);
	} else if (e->number > 0)
		FUZZ_CHECK(why != NULL, "a refused value says why");
	json_array_append_new(seen->entries, entry(e->key, e->number,
	    (json_int_t)e->modify_index, e->value, e->value_len));
}

/* The body fed in pieces of `piece` bytes: 0 when it was a listing. */
static int
stream(const uint8_t *data, size_t size, size_t piece, struct seen *seen)
{
	struct listing *l = listing_entries(PREFIX, seen->all, on_entry, seen);
	size_t i;
	int rc = 0;

	for (i = 0; i < size && rc == 0; i += piece)
		rc = listing_feed(l, (const char *)data + i,
		    size - i < piece ? size - i : piece);
	if (rc == 0)
		rc = listing_end(l);
	FUZZ_CHECK(listing_failed(l) == (rc != 0), "failed says so");
	listing_free(l);
	return rc;
}

/* Nesting deeper than jansson takes whole, but yajl does. */
static int
deep(const uint8_t *data, size_t size)
{
	size_t i;
	int depth = 0, most = 0;

	for (i = 0; i < size; i++) {
		depth += (data[i] == '[' || data[i] == '{') -
		    (data[i] == ']' || data[i] == '}');
		if (depth > most)
			most = depth;
	}
	return most >= 2048;
}

/* The entries the tree holds into want; -1 when an element is not one. */
static int
tree_entries(json_t *arr, int all, json_t *want)
{
	size_t i;
	json_t *el;

	json_array_foreach(arr, i, el) {
		json_t *key = json_object_get(el, "Key");
		json_t *mi = json_object_get(el, "ModifyIndex");
		json_t *v = json_object_get(el, "Value");
		const char *vs = json_is_string(v) ? json_string_value(v) : "";
		size_t vlen = json_is_string(v) ? json_string_length(v) : 0, n;
		long long num;
		char *val;

		if (!json_is_object(el) || !json_is_string(key) ||
		    !json_is_integer(mi) || v == NULL)
			return -1;
		num = kv_key_number(PREFIX, json_string_value(key));
		if (num == 0 && !all)
			continue;
		val = malloc(vlen / 4 * 3 + 3);
		if (b64_decode(vs, vlen, val, &n) != 0) {
			free(val);
			return -1;
		}
		json_array_append_new(want, entry(json_string_value(key), num,
		    json_integer_value(mi), val, n));
		free(val);
	}
	return 0;
}

/* The record a stored value makes for key N = 1 by jansson, or NULL. */
static json_t *
value_oracle(const char *v, size_t len)
{
	json_t *o, *name, *expr;

	if (memchr(v, '\0', len) != NULL)
		return NULL;
	o = json_loadb(v, len, JSON_REJECT_DUPLICATES, NULL);
	json_object_del(o, "index");
	name = json_object_get(o, "record");
	expr = json_object_get(o, "expr");
	if (!json_is_object(o) || !json_is_string(name) ||
	    !record_name_valid(json_string_value(name)) ||
	    !json_is_string(expr) || json_string_length(expr) == 0) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "index", json_integer(1));
	return o;
}

/*
 * kv_entry_value() takes a value exactly when kv_entry_record() does, and
 * finds the same name and expression (r is kv_entry_record's record).
 */
static void
same_as_value(const struct kv_entry *e, int rc, const struct record *r)
{
	struct record v;
	const char *why = NULL;

	FUZZ_CHECK((kv_entry_value(e, &v, &why) == 0) == (rc == 0),
	    "kv_entry_value takes a value exactly when kv_entry_record does");
	if (rc != 0)
		return;
	FUZZ_CHECK(strcmp(v.name, r->name) == 0 && v.expr_len == r->expr_len &&
	    memcmp(v.expr, r->expr, v.expr_len) == 0,
	    "and finds the same name and expression");
	record_free(&v);
}

static void
check_value(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	struct kv_entry e = { PREFIX "/1", 1, 7, v, size };
	json_t *want, *got;
	struct record r;
	const char *why = NULL;
	int rc;

	memcpy(v, data, size);
	v[size] = '\0';
	want = value_oracle(v, size);
	rc = kv_entry_record(&e, &r, &why);
	same_as_value(&e, rc, &r);
	FUZZ_CHECK((rc == 0) == (want != NULL), "a value is a record exactly "
	    "when jansson's tree of it is one");
	FUZZ_CHECK(rc == 0 || why != NULL, "a refused value says why");
	if (rc == 0 && r.text != NULL) {
		got = json_loadb(r.text, r.text_len, JSON_REJECT_DUPLICATES,
		    NULL);
		FUZZ_CHECK(memchr(r.text, '\n', r.text_len) == NULL,
		    "a record from a value is one line");
		FUZZ_CHECK(json_equal(got, want), "a record from a value is "
		    "jansson's tree of it, with index N");
		json_decref(got);
	}
	if (rc == 0) {
		FUZZ_CHECK(strcmp(r.name, json_string_value(json_object_get(
		    want, "record"))) == 0 && r.index == 1,
		    "its name and index are jansson's");
		record_free(&r);
	}
	json_decref(want);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { json_array(), size > 0 && (data[0] & 0x40) };
	json_t *want = json_array(), *whole;
	int rc;

	fuzz_init("fuzz-listing");
	check_value(data, size);
	rc = stream(data, size, size > 0 ? 1 + data[0] % 32 : 1, &seen);
	whole = json_loadb((const char *)data, size, 0, NULL);
	if (rc == 0 && !deep(data, size))
		FUZZ_CHECK(json_is_array(whole), "a body the stream takes is "
		    "an array jansson takes");
	if (json_is_array(whole) && memchr(data, '\0', size) == NULL) {
		int entries = tree_entries(whole, seen.all, want);

		FUZZ_CHECK((rc == 0) == (entries == 0),
		    "the stream refuses a body jansson takes only for an "
		    "element that is no KV entry");
		if (rc == 0)
			FUZZ_CHECK(json_equal(seen.entries, want),
			    "the entries are those of the tree");
	}
	json_decref(whole);
	json_decref(seen.entries);
	json_decref(want);
	return 0;
}
