/*
 * The record scanner (see recscan.h).  On its general path yajl reads the
 * text in one call; its callbacks keep the decoded keys of the open
 * objects (for duplicates), the depth, and what the top-level members
 * hold.  One yajl handle is kept
 * across texts: with yajl_allow_multiple_values a finished value leaves it
 * ready for the next; after any failure it is replaced, since yajl keeps
 * the error (or a token cut short) in it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "jsonstrict.h"
#include "recflat.h"
#include "recscan.h"
#include "xalloc.h"

enum { M_OTHER, M_RECORD, M_EXPR, M_INDEX, M_WANT };

/* One key of an open object: its decoded bytes in keys. */
struct keyref {
	size_t	 at, len;
};

struct scanner {
	yajl_handle	 h;
	const char	*text, *want;
	size_t		 len, wantlen;
	int		 depth;		/* containers open */
	int		 values;	/* top-level values begun */
	int		 bad;		/* a rule of jansson's broken */
	int		 ascii;		/* the text has no byte above 0x7f */
	int		 member;	/* whose value comes next at depth 1 */
	size_t		 top_end;	/* after the top-level value, once closed */
	char		*keys;
	size_t		 keys_len, keys_cap;
	struct keyref	*refs;
	size_t		 nrefs, crefs;
	size_t		*open;		/* each open object's first ref */
	size_t		 nopen, copen;
	struct recscan	 out;
};

static struct scanner sc;

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	/* Even for nothing: s->keys + 0 on a NULL pointer is undefined. */
	if (p != NULL && need <= *cap)
		return p;
	*cap = need < 16 ? 16 : need * 2;
	return xreallocarray(p, *cap, size);
}

/* A value begins at the current depth: jansson's depth limit, one top value. */
static int
value(struct scanner *s, int top)
{
	if (s->depth + 1 > JSON_PARSER_MAX_DEPTH)
		return s->bad = 1, 0;
	if (s->depth == 0) {
		if (s->values++ > 0 || top == 0)
			return s->bad = 1, 0;
		s->out.top = top;
	}
	return 1;
}

/* Whether a value at this depth is a member of the top-level object. */
static int
member(const struct scanner *s)
{
	return s->depth == 1 && s->out.top == '{' ? s->member : M_OTHER;
}

static void
not_string(struct scanner *s)
{
	switch (member(s)) {
	case M_RECORD: s->out.name.state = RS_OTHER; break;
	case M_EXPR: s->out.expr.state = RS_OTHER; break;
	case M_INDEX: s->out.index_state = RS_OTHER; break;
	case M_WANT: s->out.want.state = RS_OTHER; break;
	}
}

/*
 * Where the string whose closing quote is at text[end] opens: at the first
 * quote before it that no odd run of backslashes escapes.  yajl has just
 * read that string (so end is where it stopped), but its bytes it hands
 * over decoded.
 */
static size_t
opening_quote(const char *text, size_t end)
{
	size_t q = end, bs;

	for (;;) {
		q = (size_t)((const char *)memrchr(text, '"', q) - text);
		for (bs = 0; text[q - 1 - bs] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			return q;
	}
}

static void
keep_string(struct scanner *s, struct recscan_string *f, const char *v,
    size_t len)
{
	f->s = grow(f->s, &f->cap, len + 1, 1);
	memcpy(f->s, v, len);
	f->s[len] = '\0';
	f->len = len;
	f->state = RS_STRING;
	/* yajl hands over the text's own bytes unless it decoded escapes. */
	if (v >= s->text && v < s->text + s->len) {
		f->at = (size_t)(v - s->text);
		f->raw_len = len;
	} else {
		f->at = opening_quote(s->text, yajl_get_bytes_consumed(s->h) -
		    1) + 1;
		f->raw_len = yajl_get_bytes_consumed(s->h) - 1 - f->at;
	}
}

static int
cb_string(void *ctx, const unsigned char *v, size_t len)
{
	struct scanner *s = ctx;
	const char *p = (const char *)v;

	if (!value(s, 0))
		return 0;
	if (!s->ascii && !json_string_ok(p, len))
		return s->bad = 1, 0;
	switch (member(s)) {
	case M_RECORD: keep_string(s, &s->out.name, p, len); break;
	case M_EXPR: keep_string(s, &s->out.expr, p, len); break;
	case M_WANT: keep_string(s, &s->out.want, p, len); break;
	case M_INDEX: s->out.index_state = RS_OTHER; break;
	}
	return 1;
}

static int
cb_null(void *ctx)
{
	struct scanner *s = ctx;

	if (!value(s, 0))
		return 0;
	not_string(s);
	return 1;
}

static int
cb_boolean(void *ctx, int b)
{
	(void)b;
	return cb_null(ctx);
}

static int
cb_number(void *ctx, const char *v, size_t len)
{
	struct scanner *s = ctx;
	long long n;
	int integer;

	if (!value(s, 0))
		return 0;
	if (!json_number_ok(v, len, &integer, &n))
		return s->bad = 1, 0;
	if (member(s) != M_INDEX) {
		not_string(s);
		return 1;
	}
	s->out.index_state = RS_OTHER;
	if (!integer || n < 1 || v < s->text || v >= s->text + s->len)
		return 1;
	s->out.index = n;
	s->out.index_state = RS_STRING;
	s->out.index_at = (size_t)(v - s->text);
	s->out.index_len = len;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	struct scanner *s = ctx;

	if (!value(s, '{'))
		return 0;
	not_string(s);
	s->depth++;
	s->open = grow(s->open, &s->copen, s->nopen + 1, sizeof(*s->open));
	s->open[s->nopen++] = s->nrefs;
	return 1;
}

static int
cb_start_array(void *ctx)
{
	struct scanner *s = ctx;

	if (!value(s, '['))
		return 0;
	not_string(s);
	s->depth++;
	return 1;
}

static int
cmp_key(const void *a, const void *b, void *arg)
{
	const struct keyref *x = a, *y = b;
	const char *keys = arg;
	int c = memcmp(keys + x->at, keys + y->at, x->len < y->len ? x->len :
	    y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Whether refs[first, nrefs) holds a key twice; few keys are compared pairwise. */
static int
duplicate_keys(struct scanner *s, size_t first)
{
	struct keyref *r;
	size_t n = s->nrefs - first, i, j;

	if (n < 2)	/* and refs may be NULL: no arithmetic on it */
		return 0;
	r = s->refs + first;
	if (n <= 16) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (cmp_key(&r[i], &r[j], s->keys) == 0)
					return 1;
		return 0;
	}
	qsort_r(r, n, sizeof(*r), cmp_key, s->keys);
	for (i = 1; i < n; i++)
		if (cmp_key(&r[i], &r[i - 1], s->keys) == 0)
			return 1;
	return 0;
}

static void
closed(struct scanner *s)
{
	if (--s->depth == 0)
		s->top_end = yajl_get_bytes_consumed(s->h);
}

static int
cb_end_map(void *ctx)
{
	struct scanner *s = ctx;
	size_t first = s->open[--s->nopen];

	if (duplicate_keys(s, first))
		return s->bad = 1, 0;
	if (first < s->nrefs)
		s->keys_len = s->refs[first].at;
	s->nrefs = first;
	closed(s);
	return 1;
}

static int
cb_end_array(void *ctx)
{
	closed(ctx);
	return 1;
}

static int
key_is(const char *k, size_t len, const char *name, size_t nlen)
{
	return len == nlen && memcmp(k, name, len) == 0;
}

static int
cb_map_key(void *ctx, const unsigned char *v, size_t len)
{
	struct scanner *s = ctx;
	const char *k = (const char *)v;

	if (!s->ascii && !json_string_ok(k, len))
		return s->bad = 1, 0;
	s->keys = grow(s->keys, &s->keys_cap, s->keys_len + len, 1);
	memcpy(s->keys + s->keys_len, k, len);
	s->refs = grow(s->refs, &s->crefs, s->nrefs + 1, sizeof(*s->refs));
	s->refs[s->nrefs].at = s->keys_len;
	s->refs[s->nrefs++].len = len;
	s->keys_len += len;
	if (s->depth != 1)
		return 1;
	s->member = key_is(k, len, "record", 6) ? M_RECORD :
	    key_is(k, len, "expr", 4) ? M_EXPR :
	    key_is(k, len, "index", 5) ? M_INDEX :
	    s->want && key_is(k, len, s->want, s->wantlen) ? M_WANT : M_OTHER;
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

/*
 * Whether the text is ASCII, 8 bytes a step.  Then every decoded string is
 * UTF-8 without a NUL: its escapes passed json_escapes_ok(), and yajl
 * encodes the code points they name as UTF-8.
 */
static int
all_ascii(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	uint64_t w, high = 0;

	for (; end - p >= 8; p += 8) {
		memcpy(&w, p, 8);
		high |= w;
	}
	for (; p < end; p++)
		high |= (unsigned char)*p;
	return (high & 0x8080808080808080ULL) == 0;
}

static int
blanks_only(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

void
recscan_clear(struct recscan *out)
{
	out->top = 0;
	out->name.state = out->expr.state = out->want.state = RS_ABSENT;
	out->index_state = RS_ABSENT;
	out->index = 0;
	out->index_at = out->index_len = 0;
}

static void
reset(struct scanner *s, const char *text, size_t len, const char *want)
{
	s->text = text;
	s->len = len;
	s->want = want;
	s->wantlen = want ? strlen(want) : 0;
	s->depth = s->values = s->bad = 0;
	s->member = M_OTHER;
	s->top_end = 0;
	s->keys_len = s->nrefs = s->nopen = 0;
	recscan_clear(&s->out);
}

const struct recscan *
recscan(const char *text, size_t len, const char *want)
{
	const struct recscan *flat = recflat(text, len, want);

	return flat != NULL ? flat : recscan_general(text, len, want);
}

const struct recscan *
recscan_general(const char *text, size_t len, const char *want)
{
	struct scanner *s = &sc;
	yajl_status st;

	reset(s, text, len, want);
	if (!json_escapes_ok(text, len))
		return NULL;
	s->ascii = all_ascii(text, len);
	if (s->h == NULL) {
		s->h = yajl_alloc(&callbacks, NULL, s);
		if (s->h == NULL)
			return NULL;
		yajl_config(s->h, yajl_allow_multiple_values, 1);
	}
	st = yajl_parse(s->h, (const unsigned char *)text, len);
	if (st == yajl_status_ok && !s->bad && s->depth == 0 &&
	    s->values == 1 && s->top_end > 0 &&
	    blanks_only(text + s->top_end, text + len))
		return &s->out;
	/* yajl keeps an error, or a token cut short, for the next text. */
	yajl_free(s->h);
	s->h = NULL;
	return NULL;
}
