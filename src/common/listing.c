/*
 * The listing scanner (see listing.h).  An element is read whole from one
 * contiguous run of text: straight from the piece curl hands over, or,
 * for the element a piece's end cuts, from a carry buffer that the next
 * pieces complete.  Blanks, commas and brackets between elements are
 * taken one at a time, so the carry always starts at an element.
 *
 * It takes exactly what yajl's parser held to jansson's rules took before
 * it (tests/fuzz/listing_ref.h, checked by the listing_diff harness):
 * blanks are space, tab, CR and LF; a string has no raw control byte, no
 * \u0000, no surrogate out of a pair, and is UTF-8 as jansson wants it;
 * an integer fits a long long and a real does not overflow; a member's
 * value may be anything JSON, nested values included, which are checked
 * and skipped.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base64.h"
#include "diag.h"
#include "jsonstrict.h"
#include "listing.h"
#include "utf8.h"
#include "xalloc.h"

/* What reading a thing found: it, the text's end before its end, or junk. */
enum { OK, MORE, BAD };

/* The member of an element being read. */
enum member { OTHER, KEY, MODIFY_INDEX, VALUE };

/* What an element's member held, the last time it was given. */
enum held { ABSENT, GOOD, WRONG };

/* Where the array stands: before it, after '[' or ',', after an element. */
enum place { BEFORE, FIRST, NEXT_ELEMENT, AFTER_ELEMENT, DONE };

/* A growable buffer. */
struct buf {
	char	*s;
	size_t	 len, cap;
};

struct listing {
	const char		*prefix;
	int			 all;		/* foreign keys too */
	kv_scan_fn		*entry_fn;	/* a recursive listing */
	kv_key_fn		*key_fn;	/* a ?keys listing */
	void			*arg;
	enum place		 place;
	int			 failed;
	unsigned long		 elements;
	struct buf		 carry;		/* an element cut by a piece's end */
	size_t			 carry_try;	/* read it again at this length */

	/* The element being read. */
	enum held		 key, modify_index, value;
	int			 value_bad;	/* not base64 */
	unsigned long long	 modify_index_value;
	struct buf		 keybuf, valbuf;
	struct buf		 str;		/* a string with escapes, decoded */
	struct buf		 nest;		/* the brackets of a nested value */
};

static void
buf_room(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	b->cap = b->len + more > 2 * b->cap ? b->len + more : 2 * b->cap;
	b->s = xreallocarray(b->s, b->cap, 1);
}

static void
buf_add(struct buf *b, const char *s, size_t len)
{
	if (len == 0)		/* b->s may be NULL yet */
		return;
	buf_room(b, len);
	memcpy(b->s + b->len, s, len);
	b->len += len;
}

static int
blank(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && blank(*p))
		p++;
	return p;
}

/* The code point cp, in UTF-8, at b's end. */
static void
put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];

	buf_add(b, u, utf8_write(cp, u));
}

/*
 * A \u escape at p (the backslash), decoded into b; the escape's end in
 * *next.  A surrogate must be half of a pair, and \u0000 is refused, as
 * jansson does.
 */
static int
unicode_escape(const char *p, const char *end, struct buf *b,
    const char **next)
{
	long hi, lo;

	if (end - p < 6)
		return MORE;
	if ((hi = json_hex4(p + 2)) < 0 || hi == 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return BAD;
	if (hi < 0xd800 || hi > 0xdbff) {
		put_utf8(b, (unsigned long)hi);
		*next = p + 6;
		return OK;
	}
	if (end - p < 7 || (p[6] == '\\' && end - p < 12))
		return MORE;
	if (p[6] != '\\' || p[7] != 'u' || (lo = json_hex4(p + 8)) < 0xdc00 ||
	    lo > 0xdfff)
		return BAD;
	put_utf8(b, 0x10000 + ((unsigned long)(hi - 0xd800) << 10) +
	    (unsigned long)(lo - 0xdc00));
	*next = p + 12;
	return OK;
}

/* The byte an escape other than \u stands for, or -1. */
static int
simple_escape(char c)
{
	switch (c) {
	case '"': case '\\': case '/': return c;
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	}
	return -1;
}

/*
 * The plain bytes from p on (none of '"', '\\', a control byte, a byte
 * above ASCII): where the first other byte is, or end.  With SSE2 (every
 * x86-64) sixteen bytes a step.
 */
static const char *
plain_bytes(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(' ');
	int bits;

	for (; end - p >= 16; p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

		/* Signed: a byte above ASCII is below a space too. */
		bits = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
		    _mm_cmplt_epi8(x, space)));
		if (bits != 0)
			return p + __builtin_ctz((unsigned)bits);
	}
#endif
	for (; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x80 ||
		    *p == '"' || *p == '\\')
			break;
	return p;
}

/*
 * The rest of a string from p (just after its opening quote): *s and *len
 * are its bytes decoded (in the text itself when it has no escape, else
 * in l->str), *next is after its closing quote.
 */
static int
string(struct listing *l, const char *p, const char *end, const char **s,
    size_t *len, const char **next)
{
	const char *start = p;
	unsigned high = 0;
	int escaped = 0, rc, c;
	char ch;

	for (;;) {
		/* The plain bytes, most of any string, in one step. */
		for (p = plain_bytes(p, end); p < end; p++) {
			unsigned char u = (unsigned char)*p;

			if (u < 0x20 || u == '"' || u == '\\')
				break;
			high |= u;
		}
		if (p == end)
			return MORE;
		if (escaped)
			buf_add(&l->str, start, (size_t)(p - start));
		if (*p == '"')
			break;
		if (*p != '\\')
			return BAD;	/* a raw control byte */
		/* A backslash: from here on the string is decoded. */
		if (!escaped) {
			escaped = 1;
			l->str.len = 0;
			buf_add(&l->str, start, (size_t)(p - start));
		}
		if (end - p < 2)
			return MORE;
		if (p[1] == 'u') {
			if ((rc = unicode_escape(p, end, &l->str, &p)) != OK)
				return rc;
		} else if ((c = simple_escape(p[1])) >= 0) {
			ch = (char)c;
			buf_add(&l->str, &ch, 1);
			p += 2;
		} else
			return BAD;
		start = p;
	}
	if (escaped) {
		*s = l->str.s;
		*len = l->str.len;
	} else {
		*s = start;
		*len = (size_t)(p - start);
	}
	*next = p + 1;
	/* Escapes make UTF-8 of their own: only raw bytes need checking. */
	return !(high & 0x80) || json_string_ok(*s, *len) ? OK : BAD;
}

/*
 * A number at p: its text up to *next, checked as jansson checks it;
 * *integer and *value as json_number_ok() gives them.  It ends only at a
 * byte that is no part of it: MORE at the text's end.
 */
static int
number(const char *p, const char *end, const char **next, int *integer,
    long long *value)
{
	const char *q = p;
	size_t len;

	/* Most are a few digits before a comma or a brace. */
	for (*value = 0; q < end && q - p < 18 && *q >= '0' && *q <= '9'; q++)
		*value = *value * 10 + (*q - '0');
	if (q > p && q < end && (*q == ',' || *q == '}') &&
	    (*p != '0' || q - p == 1)) {
		*integer = 1;
		*next = q;
		return OK;
	}
	q = p;
	if (q < end && *q == '-')
		q++;
	if (q == end)
		return MORE;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	else
		return BAD;
	*integer = 1;
	if (q < end && *q == '.') {
		*integer = 0;
		if (++q < end && (*q < '0' || *q > '9'))
			return BAD;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		*integer = 0;
		if (++q < end && (*q == '+' || *q == '-'))
			q++;
		if (q < end && (*q < '0' || *q > '9'))
			return BAD;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q == end)
		return MORE;
	*next = q;
	len = (size_t)(q - p);
	if (*integer && len <= 18) {	/* no overflow possible */
		*value = 0;
		for (q = p + (*p == '-'); q < *next; q++)
			*value = *value * 10 + (*q - '0');
		if (*p == '-')
			*value = -*value;
		return OK;
	}
	return json_number_ok(p, len, integer, value) ? OK : BAD;
}

/* true, false or null at p. */
static int
literal(const char *p, const char *end, const char **next)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i, n, avail = (size_t)(end - p);

	for (i = 0; i < 3; i++) {
		if (*p != words[i][0])
			continue;
		n = strlen(words[i]);
		if (memcmp(p, words[i], avail < n ? avail : n) != 0)
			return BAD;
		if (avail < n)
			return MORE;
		*next = p + n;
		return OK;
	}
	return BAD;
}

/* A scalar at p: a string, a number or a literal. */
static int
scalar(struct listing *l, const char *p, const char *end, const char **next)
{
	const char *s;
	size_t len;
	long long v;
	int integer;

	if (*p == '"')
		return string(l, p + 1, end, &s, &len, next);
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return number(p, end, next, &integer, &v);
	return literal(p, end, next);
}

static char
closer(char open)
{
	return open == '{' ? '}' : ']';
}

/*
 * An object or array nested in a member, at p: checked whole and
 * skipped.  No recsync value is one, nor any member Consul sends, so this
 * is for the rules' sake, not for speed.
 */
static int
nested(struct listing *l, const char *p, const char *end, const char **next)
{
	struct buf *st = &l->nest;
	const char *s;
	size_t len;
	int rc, first = 1;

	st->len = 0;
	buf_add(st, p++, 1);
	for (;;) {
		/* A value (a member, in an object) or the close may come. */
		if ((p = skip_blanks(p, end)) == end)
			return MORE;
		if (first && *p == closer(st->s[st->len - 1])) {
			st->len--;
			p++;
		} else {
			if (st->s[st->len - 1] == '{') {
				if (*p != '"')
					return BAD;
				if ((rc = string(l, p + 1, end, &s, &len, &p)) != OK)
					return rc;
				if ((p = skip_blanks(p, end)) == end)
					return MORE;
				if (*p++ != ':')
					return BAD;
				if ((p = skip_blanks(p, end)) == end)
					return MORE;
			}
			if (*p == '{' || *p == '[') {
				buf_add(st, p++, 1);
				first = 1;
				continue;
			}
			if ((rc = scalar(l, p, end, &p)) != OK)
				return rc;
		}
		/* After a value: a comma, or the closes of what it ends. */
		for (first = 0;; st->len--, p++) {
			if (st->len == 0) {
				*next = p;
				return OK;
			}
			if ((p = skip_blanks(p, end)) == end)
				return MORE;
			if (*p == ',')
				break;
			if (*p != closer(st->s[st->len - 1]))
				return BAD;
		}
		p++;
	}
}

/* A member's value that is no string: the member is not what it must be. */
static void
not_string(struct listing *l, enum member m)
{
	if (m == KEY)
		l->key = WRONG;
	else if (m == MODIFY_INDEX)
		l->modify_index = WRONG;
	else if (m == VALUE) {
		l->value = GOOD;	/* null: a key with no value */
		l->valbuf.len = 0;
		l->value_bad = 0;
	}
}

/*
 * The Value member's string at p (after its quote).  Consul's base64 has
 * no escape: decoded straight from the text when it is plain base64, else
 * read as any string and then decoded.
 */
static int
value_string(struct listing *l, const char *p, const char *end,
    const char **next)
{
	const char *q = memchr(p, '"', (size_t)(end - p)), *s;
	size_t len;
	int rc;

	l->value = GOOD;
	if (q != NULL && base64_decode_into(p, (size_t)(q - p), &l->valbuf.s,
	    &l->valbuf.cap, &l->valbuf.len) == 0) {
		l->value_bad = 0;
		*next = q + 1;
		return OK;
	}
	if ((rc = string(l, p, end, &s, &len, next)) != OK)
		return rc;
	l->value_bad = base64_decode_into(s, len, &l->valbuf.s, &l->valbuf.cap,
	    &l->valbuf.len) != 0;
	return OK;
}

/* A member's value at p, taken for what the member is. */
static int
member_value(struct listing *l, enum member m, const char *p, const char *end,
    const char **next)
{
	const char *s;
	size_t len;
	long long v;
	int rc, integer;

	if (*p == '"' && m == VALUE)
		return value_string(l, p + 1, end, next);
	if (*p == '"') {
		if ((rc = string(l, p + 1, end, &s, &len, next)) != OK)
			return rc;
		if (m == KEY) {
			l->keybuf.len = 0;
			buf_add(&l->keybuf, s, len);
			buf_add(&l->keybuf, "", 1);
			l->key = GOOD;
		} else if (m == MODIFY_INDEX)
			l->modify_index = WRONG;
		return OK;
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		if ((rc = number(p, end, next, &integer, &v)) != OK)
			return rc;
		if (m == MODIFY_INDEX) {
			/*
			 * A raft index, 1 or more: a ModifyIndex below would
			 * be a cas index no key has (0: create only).
			 */
			l->modify_index = integer && v > 0 ? GOOD : WRONG;
			l->modify_index_value = (unsigned long long)v;
		} else
			not_string(l, m);
		return OK;
	}
	not_string(l, m);
	if (*p == '{' || *p == '[')
		return nested(l, p, end, next);
	return literal(p, end, next);
}

static enum member
member_named(const char *s, size_t len)
{
	if (len == 3 && memcmp(s, "Key", 3) == 0)
		return KEY;
	if (len == 11 && memcmp(s, "ModifyIndex", 11) == 0)
		return MODIFY_INDEX;
	if (len == 5 && memcmp(s, "Value", 5) == 0)
		return VALUE;
	return OTHER;
}

/*
 * The name of a member Consul sends, with its closing quote, at p (after
 * the opening one): its length, or 0.  Most names are these, plain.
 */
static size_t
consul_name(const char *p, enum member *m)
{
#define IS(name)	(memcmp(p, name "\"", sizeof(name)) == 0 ? sizeof(name) : 0)
	size_t n;

	*m = OTHER;
	switch (*p) {
	case 'K': return (n = IS("Key")) ? (*m = KEY), n : 0;
	case 'M': return (n = IS("ModifyIndex")) ? (*m = MODIFY_INDEX), n : 0;
	case 'V': return (n = IS("Value")) ? (*m = VALUE), n : 0;
	case 'L': return IS("LockIndex");
	case 'F': return IS("Flags");
	case 'C': return IS("CreateIndex");
	case 'S': return IS("Session");
	}
	return 0;
#undef IS
}

/* One member at p (its name's opening quote); *next after its value. */
static int
member(struct listing *l, const char *p, const char *end, const char **next)
{
	const char *s;
	size_t len;
	enum member m;
	int rc;

	if (*p != '"')
		return BAD;
	if (end - p > 16 && (len = consul_name(p + 1, &m)) > 0)
		p += 1 + len;
	else if ((rc = string(l, p + 1, end, &s, &len, &p)) != OK)
		return rc;
	else
		m = member_named(s, len);
	if ((p = skip_blanks(p, end)) == end)
		return MORE;
	if (*p++ != ':')
		return BAD;
	if ((p = skip_blanks(p, end)) == end)
		return MORE;
	return member_value(l, m, p, end, next);
}

/* An element read whole: handed on when it is a KV entry of ours. */
static int
entry_end(struct listing *l)
{
	struct kv_entry e;

	if (l->key != GOOD || l->modify_index != GOOD || l->value != GOOD)
		return BAD;
	l->elements++;
	memset(&e, 0, sizeof(e));
	e.key = l->keybuf.s;
	e.number = kv_key_number(l->prefix, e.key);
	if (e.number == 0 && !l->all) {
		debug("ignoring %s: not a PREFIX/N key", e.key);
		return OK;
	}
	if (l->value_bad)
		return BAD;
	e.modify_index = l->modify_index_value;
	e.value = l->valbuf.len > 0 ? l->valbuf.s : "";
	e.value_len = l->valbuf.len;
	if (l->valbuf.len > 0)
		l->valbuf.s[l->valbuf.len] = '\0';
	l->entry_fn(&e, l->arg);
	return OK;
}

/* An element of a recursive listing at p: a KV entry, one object. */
static int
entry(struct listing *l, const char *p, const char *end, const char **next)
{
	int rc;

	if (*p++ != '{')
		return BAD;
	l->key = l->modify_index = l->value = ABSENT;
	l->value_bad = 0;
	l->valbuf.len = 0;
	if ((p = skip_blanks(p, end)) == end)
		return MORE;
	if (*p == '}') {
		*next = p + 1;
		return entry_end(l);
	}
	for (;;) {
		if ((rc = member(l, p, end, &p)) != OK)
			return rc;
		if ((p = skip_blanks(p, end)) == end)
			return MORE;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return BAD;
		if ((p = skip_blanks(p, end)) == end)
			return MORE;
	}
	*next = p + 1;
	return entry_end(l);
}

/* An element of a ?keys listing at p: a string. */
static int
key(struct listing *l, const char *p, const char *end, const char **next)
{
	const char *s;
	size_t len;
	int rc;

	if (*p != '"')
		return BAD;
	if ((rc = string(l, p + 1, end, &s, &len, next)) != OK)
		return rc;
	l->keybuf.len = 0;
	buf_add(&l->keybuf, s, len);
	buf_add(&l->keybuf, "", 1);
	l->key_fn(l->keybuf.s, l->arg);
	l->elements++;
	return OK;
}

/*
 * Reads what [p, end) holds whole; returns where an element the end cuts
 * begins (end when none is), or NULL when the text is no listing.
 */
static const char *
scan(struct listing *l, const char *p, const char *end)
{
	const char *next;
	int rc;

	while ((p = skip_blanks(p, end)) < end) {
		switch (l->place) {
		case BEFORE:
			if (*p++ != '[')
				return NULL;
			l->place = FIRST;
			continue;
		case AFTER_ELEMENT:
			if (*p != ',' && *p != ']')
				return NULL;
			l->place = *p++ == ',' ? NEXT_ELEMENT : DONE;
			continue;
		case DONE:
			return NULL;
		case FIRST:
			if (*p == ']') {
				p++;
				l->place = DONE;
				continue;
			}
			break;
		case NEXT_ELEMENT:
			break;
		}
		rc = l->key_fn != NULL ? key(l, p, end, &next) :
		    entry(l, p, end, &next);
		if (rc == MORE)
			return p;
		if (rc == BAD)
			return NULL;
		p = next;
		l->place = AFTER_ELEMENT;
	}
	return p;
}

static struct listing *
listing_new(void)
{
	return xcalloc(1, sizeof(struct listing));
}

struct listing *
listing_entries(const char *prefix, int all, kv_scan_fn *fn, void *arg)
{
	struct listing *l = listing_new();

	l->prefix = prefix;
	l->all = all;
	l->entry_fn = fn;
	l->arg = arg;
	return l;
}

struct listing *
listing_keys(kv_key_fn *fn, void *arg)
{
	struct listing *l = listing_new();

	l->key_fn = fn;
	l->arg = arg;
	return l;
}

/*
 * The element the last piece cut, completed from data: appended a part at
 * a time and read again once it has doubled, so that a huge element costs
 * a few readings, not one a piece.  Returns how much of data it took, or
 * -1 when the text is no listing.
 */
static long
complete_carry(struct listing *l, const char *data, size_t len)
{
	struct buf *c = &l->carry;
	const char *stop;
	size_t used = 0, take, done;

	while (c->len > 0 && used < len) {
		take = c->len < 4096 ? 4096 : c->len;
		if (l->carry_try > c->len && l->carry_try - c->len > take)
			take = l->carry_try - c->len;
		if (take > len - used)
			take = len - used;
		buf_add(c, data + used, take);
		used += take;
		if (c->len < l->carry_try)
			continue;
		if ((stop = scan(l, c->s, c->s + c->len)) == NULL)
			return -1;
		if ((done = (size_t)(stop - c->s)) == 0) {
			l->carry_try = 2 * c->len;	/* still cut */
		} else if (done >= c->len - take) {
			/* Read on in place, from where it stopped. */
			used -= c->len - done;
			c->len = 0;
		} else {
			/* An element the last part cuts: the carry anew. */
			memmove(c->s, stop, c->len - done);
			c->len -= done;
			l->carry_try = 0;
		}
	}
	return (long)used;
}

int
listing_feed(struct listing *l, const char *data, size_t len)
{
	const char *stop, *end = data + len;
	long used;

	if (l->failed)
		return -1;
	if ((used = complete_carry(l, data, len)) < 0) {
		l->failed = 1;
		return -1;
	}
	data += used;
	if (l->carry.len > 0 || data == end)
		return 0;
	if ((stop = scan(l, data, end)) == NULL) {
		l->failed = 1;
		return -1;
	}
	if (stop < end) {
		buf_add(&l->carry, stop, (size_t)(end - stop));
		l->carry_try = 0;
	}
	return 0;
}

int
listing_end(struct listing *l)
{
	struct buf *c = &l->carry;

	/* The carry may wait to double before it is read again. */
	if (!l->failed && c->len > 0 &&
	    scan(l, c->s, c->s + c->len) == c->s + c->len)
		c->len = 0;
	if (!l->failed && (c->len > 0 || l->place != DONE))
		l->failed = 1;
	return l->failed ? -1 : 0;
}

int
listing_failed(const struct listing *l)
{
	return l->failed;
}

unsigned long
listing_elements(const struct listing *l)
{
	return l->elements;
}

void
listing_free(struct listing *l)
{
	if (l == NULL)
		return;
	free(l->carry.s);
	free(l->keybuf.s);
	free(l->valbuf.s);
	free(l->str.s);
	free(l->nest.s);
	free(l);
}
