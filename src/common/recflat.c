/*
 * The flat record scanner (see recflat.h).  One pass: each string is
 * decoded as it is scanned, sixteen bytes a step with SSE2 while they are
 * printable ASCII other than '"' and '\\'.  It gives up (returns NULL)
 * wherever the general path might find something it does not: there is no
 * error to report here, only a text to hand on.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jsonstrict.h"
#include "recflat.h"
#include "utf8.h"
#include "xalloc.h"

enum { M_OTHER, M_RECORD, M_EXPR, M_INDEX, M_WANT };

struct flat {
	const char		*text;
	const char		*want;
	size_t			 wantlen;
	/* The keys: in the text when they hold no escape, else in escaped. */
	const char		*key[RECFLAT_MEMBERS];
	size_t			 key_len[RECFLAT_MEMBERS];
	char			*escaped;	/* one after another; never moved */
	size_t			 escaped_len, escaped_cap;
	int			 nkeys;
	struct recscan_string	 other;		/* a member's value not kept */
	struct recscan		 out;
};

static struct flat fl;

/* Makes room for n more bytes at *buf, len of them in use. */
static char *
room(char *buf, size_t *cap, size_t len, size_t n)
{
	if (len + n <= *cap)
		return buf;
	*cap = (len + n) * 2;
	return xreallocarray(buf, *cap, 1);
}

static const char *
blanks(const char *p, const char *end)
{
	/* Most calls find a token at once: one compare says so. */
	while (p < end && (unsigned char)*p <= ' ' && (*p == ' ' ||
	    *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A byte a string holds as it is: printable ASCII but '"' and '\\'. */
static int
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * Copies the plain bytes at p to *o; returns where they stop.  *o has room
 * for end - p + SLACK bytes at least: a step stores all its sixteen bytes,
 * those past the first that is not plain to be written over.
 */
#define SLACK	16

#ifdef __SSE2__
static const char *
copy_plain(const char *p, const char *end, char **o)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(' ');
	char *w = *o, tail[16];
	__m128i v, odd;
	unsigned mask;

	for (;; p += 16, w += 16) {
		if (end - p >= 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)p);
		} else {
			/* The last bytes, padded with quotes: nothing read past. */
			memset(tail, '"', sizeof(tail));
			memcpy(tail, p, (size_t)(end - p));
			v = _mm_loadu_si128((const __m128i *)(const void *)tail);
		}
		/* Signed: a byte above 0x7f is below the space too. */
		odd = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
		_mm_storeu_si128((__m128i *)(void *)w, v);
		if ((mask = (unsigned)_mm_movemask_epi8(odd)) != 0) {
			mask = (unsigned)__builtin_ctz(mask);
			*o = w + mask;
			return p + mask;
		}
	}
}
#else
static const char *
copy_plain(const char *p, const char *end, char **o)
{
	char *w = *o;

	while (p < end && plain((unsigned char)*p))
		*w++ = *p++;
	*o = w;
	return p;
}
#endif

/* The four hex digits at p (before end) in *v; 0 when they are not. */
static int
hex4(const char *p, const char *end, unsigned long *v)
{
	long x;

	if (end - p < 4 || (x = json_hex4(p)) < 0)
		return 0;
	*v = (unsigned long)x;
	return 1;
}

/*
 * The \u escape at p (after its backslash and 'u'): its code point, with
 * the low half when it is a high surrogate; where it ends, or NULL for
 * what jsonstrict.h refuses (\u0000, a lone surrogate) and bad hex.
 */
static const char *
unicode_escape(const char *p, const char *end, unsigned long *cp)
{
	unsigned long low;

	if (!hex4(p, end, cp) || *cp == 0 || (*cp >= 0xdc00 && *cp <= 0xdfff))
		return NULL;
	p += 4;
	if (*cp < 0xd800 || *cp > 0xdbff)
		return p;
	if (end - p < 2 || p[0] != '\\' || p[1] != 'u' ||
	    !hex4(p + 2, end, &low) || low < 0xdc00 || low > 0xdfff)
		return NULL;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (low - 0xdc00);
	return p + 6;
}

/* Decodes the escape at p (its backslash) to *o; where it ends, or NULL. */
static const char *
escape(const char *p, const char *end, char **o)
{
	/* What each escape's letter stands for; 0: no such escape. */
	static const char to[256] = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/',
	    ['b'] = '\b', ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t' };
	unsigned long cp;

	if (end - p < 2)
		return NULL;
	if (p[1] == 'u') {
		if ((p = unicode_escape(p + 2, end, &cp)) != NULL)
			*o += utf8_write(cp, *o);
		return p;
	}
	if (to[(unsigned char)p[1]] == '\0')
		return NULL;
	*(*o)++ = to[(unsigned char)p[1]];
	return p + 2;
}

/*
 * Copies the UTF-8 sequence at p to *o when it is one jansson takes
 * (utf8_decode()'s rules); where it ends, or NULL.
 */
static const char *
copy_utf8(const char *p, const char *end, char **o)
{
	unsigned char seq[5] = { 0 };	/* NUL-terminated for utf8_decode() */
	size_t n = end - p < 4 ? (size_t)(end - p) : 4;
	unsigned long cp;

	memcpy(seq, p, n);
	if ((n = utf8_decode(seq, &cp)) == 0)
		return NULL;
	memcpy(*o, p, n);
	*o += n;
	return p + n;
}

/*
 * Decodes the string whose opening quote is just before p into out (room
 * for end - p + SLACK bytes: nothing decodes longer than it is), NUL-terminated,
 * its length in *len; returns its closing quote, or NULL.
 */
static const char *
string(const char *p, const char *end, char *out, size_t *len)
{
	char *w = out;

	for (;;) {
		p = copy_plain(p, end, &w);
		if (p == end)
			return NULL;
		if (*p == '"')
			break;
		if (*p == '\\')
			p = escape(p, end, &w);
		else if ((unsigned char)*p >= 0x80)
			p = copy_utf8(p, end, &w);
		else
			return NULL;	/* a control character */
		if (p == NULL)
			return NULL;
	}
	*w = '\0';
	*len = (size_t)(w - out);
	return p;
}

/* The string value at p (after its quote) into f; after its closing quote. */
static const char *
string_value(struct flat *f, int m, const char *p, const char *end)
{
	struct recscan_string *v = m == M_RECORD ? &f->out.name :
	    m == M_EXPR ? &f->out.expr : m == M_WANT ? &f->out.want : &f->other;
	const char *q;

	v->s = room(v->s, &v->cap, 0, (size_t)(end - p) + SLACK);
	if ((q = string(p, end, v->s, &v->len)) == NULL)
		return NULL;
	v->state = RS_STRING;
	v->at = (size_t)(p - f->text);
	v->raw_len = (size_t)(q - p);
	if (m == M_INDEX)
		f->out.index_state = RS_OTHER;
	return q + 1;
}

/*
 * The digits of "index" at p: 1 to 18 of them (no overflow), the first
 * not 0.  A longer number, a fraction or an exponent stops before the
 * next ',' or '}', so the object is left to the general path.
 */
static const char *
index_value(struct flat *f, const char *p, const char *end)
{
	const char *d = p;
	long long n = 0;

	if (p == end || *p < '1' || *p > '9')
		return NULL;
	for (; p < end && p - d < 18 && *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (*p - '0');
	f->out.index = n;
	f->out.index_state = RS_STRING;
	f->out.index_at = (size_t)(d - f->text);
	f->out.index_len = (size_t)(p - d);
	return p;
}

static int
key_is(const char *k, size_t len, const char *name, size_t nlen)
{
	return len == nlen && memcmp(k, name, len) == 0;
}

/* Which member the key names, as recscan's general path ranks them. */
static int
member_of(const struct flat *f, const char *k, size_t len)
{
	return key_is(k, len, "record", 6) ? M_RECORD :
	    key_is(k, len, "expr", 4) ? M_EXPR :
	    key_is(k, len, "index", 5) ? M_INDEX :
	    f->want && key_is(k, len, f->want, f->wantlen) ? M_WANT : M_OTHER;
}

/*
 * The key whose opening quote is just before p, kept: a short run of plain
 * bytes as the text has it, else decoded.  Its closing quote, or NULL.
 */
static const char *
key(struct flat *f, const char *p, const char *end)
{
	const char *q = p;
	char *k;

	while (q < end && plain((unsigned char)*q))
		q++;
	if (q < end && *q == '"') {
		f->key[f->nkeys] = p;
		f->key_len[f->nkeys++] = (size_t)(q - p);
		return q;
	}
	k = f->escaped + f->escaped_len;
	if ((q = string(p, end, k, &f->key_len[f->nkeys])) == NULL)
		return NULL;
	f->key[f->nkeys] = k;
	f->escaped_len += f->key_len[f->nkeys++];
	return q;
}

/* The member at p (its key's quote); after its value, or NULL. */
static const char *
member(struct flat *f, const char *p, const char *end)
{
	int m;

	if (p == end || *p != '"' || f->nkeys == RECFLAT_MEMBERS ||
	    (p = key(f, p + 1, end)) == NULL)
		return NULL;
	m = member_of(f, f->key[f->nkeys - 1], f->key_len[f->nkeys - 1]);
	p = blanks(p + 1, end);
	if (p == end || *p != ':')
		return NULL;
	p = blanks(p + 1, end);
	if (p < end && *p == '"')
		return string_value(f, m, p + 1, end);
	return m == M_INDEX ? index_value(f, p, end) : NULL;
}

static int
duplicate_keys(const struct flat *f)
{
	int i, j;

	for (i = 1; i < f->nkeys; i++)
		for (j = 0; j < i; j++)
			if (key_is(f->key[i], f->key_len[i], f->key[j],
			    f->key_len[j]))
				return 1;
	return 0;
}

static void
reset(struct flat *f, const char *text, size_t len, const char *want)
{
	f->text = text;
	f->want = want;
	f->wantlen = want ? strlen(want) : 0;
	/* Room for every key decoded: the keys found point into it. */
	f->escaped = room(f->escaped, &f->escaped_cap, 0, len + SLACK);
	f->escaped_len = 0;
	f->nkeys = 0;
	recscan_clear(&f->out);
}

/* The members after the opening brace; after the closing one, or NULL. */
static const char *
members(struct flat *f, const char *p, const char *end)
{
	p = blanks(p, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		if ((p = member(f, p, end)) == NULL)
			return NULL;
		p = blanks(p, end);
		if (p == end)
			return NULL;
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return NULL;
		p = blanks(p + 1, end);
	}
}

const struct recscan *
recflat(const char *text, size_t len, const char *want)
{
	struct flat *f = &fl;
	const char *p, *end = text + len;

	reset(f, text, len, want);
	p = blanks(text, end);
	if (p == end || *p != '{' || (p = members(f, p + 1, end)) == NULL ||
	    blanks(p, end) != end || duplicate_keys(f))
		return NULL;
	f->out.top = '{';
	return &f->out;
}
