/*
 * The listing scanner (src/common/listing.c) against the reader it
 * replaced (listing_ref.h: yajl's parser held to jansson's rules): the
 * first byte picks a ?keys listing, a recursive one, or one with foreign
 * keys too; the rest is the body.  The scanner must take the body exactly
 * when the old reader does, and hand on the same entries (keys, numbers,
 * indexes, value bytes) or keys, in order, and count the same elements:
 * fed whole, in two pieces cut at every byte, and in pieces of one to a
 * few bytes.  One exception: yajl ends a body whose array is closed
 * without an error when an unfinished token follows (`[] "abc`), and the
 * old reader took it; the scanner refuses text after the array, as
 * jansson does.  So where the old reader takes a body jansson refuses
 * (nesting too deep for jansson aside), the scanner must refuse it.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "listing_ref.h"

#define PREFIX	"prometheus/records"

/* What a reader handed on, written out. */
struct transcript {
	char	*s;
	size_t	 len, cap;
};

static void
add(struct transcript *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		t->cap = 2 * (t->len + len + 1);
		if ((t->s = realloc(t->s, t->cap)) == NULL)
			abort();
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

static void
on_entry(const struct kv_entry *e, void *arg)
{
	struct transcript *t = arg;
	char head[64];
	size_t i;

	FUZZ_CHECK(e->value[e->value_len] == '\0', "the value ends in a NUL");
	add(t, e->key, strlen(e->key));
	snprintf(head, sizeof(head), "\t%lld\t%llu\t", e->number,
	    e->modify_index);
	add(t, head, strlen(head));
	for (i = 0; i < e->value_len; i++) {
		snprintf(head, sizeof(head), "%02x",
		    (unsigned char)e->value[i]);
		add(t, head, 2);
	}
	add(t, "\n", 1);
}

static void
on_key(const char *key, void *arg)
{
	add(arg, key, strlen(key));
	add(arg, "\n", 1);
}

/* The outcome of one reading: taken or not, and what was handed on. */
struct outcome {
	int			 rc;
	unsigned long		 elements;
	struct transcript	 t;
};

static void
old_reader(int mode, const char *body, size_t len, struct outcome *o)
{
	struct ref_listing *l = mode == 0 ? ref_listing_keys(on_key, &o->t) :
	    ref_listing_entries(PREFIX, mode == 2, on_entry, &o->t);

	o->rc = ref_listing_feed(l, body, len);
	if (o->rc == 0)
		o->rc = ref_listing_end(l);
	o->elements = ref_listing_elements(l);
	ref_listing_free(l);
}

/* The scanner fed the pieces that cuts[0..ncuts) make. */
static void
scanner(int mode, const char *body, size_t len, const size_t *cuts,
    size_t ncuts, struct outcome *o)
{
	struct listing *l = mode == 0 ? listing_keys(on_key, &o->t) :
	    listing_entries(PREFIX, mode == 2, on_entry, &o->t);
	size_t i, at = 0;

	o->rc = 0;
	for (i = 0; i <= ncuts && o->rc == 0; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		o->rc = listing_feed(l, body + at, to - at);
		at = to;
	}
	if (o->rc == 0)
		o->rc = listing_end(l);
	FUZZ_CHECK(listing_failed(l) == (o->rc != 0), "failed says so");
	o->elements = listing_elements(l);
	listing_free(l);
}

static void
same(const struct outcome *want, int mode, const char *body, size_t len,
    const size_t *cuts, size_t ncuts)
{
	struct outcome got = { 0, 0, { NULL, 0, 0 } };

	scanner(mode, body, len, cuts, ncuts, &got);
	FUZZ_CHECK((got.rc == 0) == (want->rc == 0),
	    "the scanner takes the body exactly when the old reader does");
	if (want->rc == 0) {
		FUZZ_CHECK(got.t.len == want->t.len && (got.t.len == 0 ||
		    memcmp(got.t.s, want->t.s, got.t.len) == 0),
		    "it hands on the same entries, in order");
		FUZZ_CHECK(got.elements == want->elements,
		    "it counts the same elements");
	}
	free(got.t.s);
}

/*
 * Whether a body the old reader took is one jansson refuses, not for
 * nesting deeper than jansson goes: text after the array.
 */
static int
after_array(const char *body, size_t len)
{
	json_t *whole = json_loadb(body, len, 0, NULL);
	size_t i;
	int depth = 0, most = 0;

	if (whole != NULL) {
		json_decref(whole);
		return 0;
	}
	for (i = 0; i < len; i++) {
		depth += (body[i] == '[' || body[i] == '{') -
		    (body[i] == ']' || body[i] == '}');
		if (depth > most)
			most = depth;
	}
	return most < 2048;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome want = { 0, 0, { NULL, 0, 0 } };
	const char *body = (const char *)data + 1;
	size_t len = size - 1, k, piece, *cuts;
	int mode;

	fuzz_init("fuzz-listing-diff");
	if (size == 0)
		return 0;
	mode = data[0] % 3;
	old_reader(mode, body, len, &want);
	if (want.rc == 0 && after_array(body, len))
		want.rc = -1;
	same(&want, mode, body, len, NULL, 0);
	/* Two pieces, cut at every byte (every 1/512th of a long body). */
	for (k = 0; k <= len; k += len > 2048 ? len / 512 : 1)
		same(&want, mode, body, len, &k, 1);
	if ((cuts = malloc((len + 1) * sizeof(*cuts))) == NULL)
		abort();
	for (piece = 1; piece <= 5; piece++) {
		size_t n = 0, at;

		for (at = piece; at < len; at += piece)
			cuts[n++] = at;
		same(&want, mode, body, len, cuts, n);
	}
	free(cuts);
	free(want.t.s);
	return 0;
}
