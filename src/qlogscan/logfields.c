/*
 * The fields of a query-log line that --usage needs: the time (2.x "ts",
 * 3.x "time"), whether the line came over HTTP, the query, and any series
 * selectors (match[]).  Every line of a log counts in --usage, so decoding
 * each with jansson would cost ten times the heavy-query mode (60 MB/s
 * against 1 GB/s on the benchmark log).
 *
 * So a line is first walked here, byte by byte, by a checker of the whole
 * JSON grammar that keeps only where those few values lie.  A line it
 * cannot vouch for (a syntax error, an escaped or repeated key where keys
 * matter, a value of another type, \u0000, a surrogate escape, nesting
 * deeper than it follows) goes to jansson, which has the last word and
 * says what is wrong.  A string with escapes is decoded by jansson too, on
 * its own, so that no unescaping is written here.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "bytescan.h"
#include "qlogscan.h"
#include "utf8.h"
#include "xalloc.h"

#define MAX_DEPTH	32	/* deeper lines go to jansson */

/* What a value is to --usage, decided by the keys above it. */
enum role { ROLE_NONE, ROLE_TOP, ROLE_PARAMS, ROLE_HTTP, ROLE_TIME,
    ROLE_QUERY, ROLE_MATCH };

struct walk {
	const unsigned char	*p, *end;
	struct log_fields	*f;
	int			 depth;
};

static void
skip_spaces(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' ||
	    *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

/* Prometheus writes no white space: one test, inline, nearly always. */
static inline void
skip_space(struct walk *w)
{
	if (w->p < w->end && *w->p <= ' ')
		skip_spaces(w);
}

static int
hex4(const unsigned char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			*v = *v << 4 | (p[i] - '0');
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			*v = *v << 4 | ((p[i] | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* One escape after its backslash; \u0000 and surrogates go to jansson. */
static int
escape(struct walk *w)
{
	unsigned v;

	if (w->p >= w->end)
		return -1;
	switch (*w->p) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		w->p++;
		return 0;
	}
	if (*w->p != 'u' || w->end - w->p < 5 || hex4(w->p + 1, &v) != 0 ||
	    v == 0 || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	w->p += 5;
	return 0;
}

/* A string from its opening quote; *s gets its raw text, quotes included. */
static int
string_any(struct walk *w, struct span *s)
{
	const unsigned char *start = w->p++;
	unsigned long cp;
	size_t n;

	s->escaped = 0;
	for (;;) {
		w->p = (const unsigned char *)scan_string_stop(
		    (const char *)w->p, (const char *)w->end);
		if (w->p >= w->end || *w->p < 0x20)
			return -1;
		if (*w->p == '"')
			break;
		if (*w->p == '\\') {
			w->p++;
			s->escaped = 1;
			if (escape(w) != 0)
				return -1;
		} else if ((n = utf8_decode(w->p, &cp)) == 0 ||
		    n > (size_t)(w->end - w->p))
			return -1;
		else
			w->p += n;
	}
	w->p++;
	s->text = (const char *)start;
	s->len = w->p - start;
	return 0;
}

/*
 * As string_any(), inline for the string of plain ASCII bytes that
 * nearly every one is: one scan to its closing quote.
 */
static inline int
string(struct walk *w, struct span *s)
{
	const unsigned char *q = (const unsigned char *)scan_string_stop(
	    (const char *)w->p + 1, (const char *)w->end);

	if (q == w->end || *q != '"')
		return string_any(w, s);
	s->text = (const char *)w->p;
	s->len = q + 1 - w->p;
	s->escaped = 0;
	w->p = q + 1;
	return 0;
}

/* A run of digits, at least one; *n gets how many. */
static int
digits(struct walk *w, size_t *n)
{
	const unsigned char *start = w->p;

	while (w->p < w->end && *w->p >= '0' && *w->p <= '9')
		w->p++;
	*n = w->p - start;
	return *n > 0 ? 0 : -1;
}

/*
 * A number as JSON spells it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * and as jansson takes it: an integer must fit a json_int_t and a real
 * must not overflow a double.  Those near the edge go to jansson (18
 * digits always fit; a real below 10^300 never overflows).
 */
static int
number(struct walk *w)
{
	size_t nint = 1, n;
	long x = 0;
	int xneg = 0, real = 0;

	if (w->p < w->end && *w->p == '-')
		w->p++;
	if (w->p < w->end && *w->p == '0')
		w->p++;
	else if (digits(w, &nint) != 0)
		return -1;
	if (w->p < w->end && *w->p == '.') {
		w->p++;
		real = 1;
		if (digits(w, &n) != 0)
			return -1;
	}
	if (w->p < w->end && (*w->p == 'e' || *w->p == 'E')) {
		w->p++;
		real = 1;
		if (w->p < w->end && (*w->p == '+' || *w->p == '-'))
			xneg = *w->p++ == '-';
		for (n = 0; w->p < w->end && *w->p >= '0' && *w->p <= '9';
		    n++, w->p++)
			if (n < 5)
				x = x * 10 + (*w->p - '0');
		if (n == 0 || n > 4)
			return -1;
	}
	if (real)
		return xneg || (long)nint + x < 300 ? 0 : -1;
	return nint <= 18 ? 0 : -1;
}

static int
literal(struct walk *w, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(w->end - w->p) < n || memcmp(w->p, word, n) != 0)
		return -1;
	w->p += n;
	return 0;
}

static int value(struct walk *w, enum role role);

/* The role of the member named key (raw, quotes included) in an object. */
static enum role
member_role(enum role parent, const struct span *key)
{
#define IS(k)	(key->len == sizeof(k) + 1 && memcmp(key->text + 1, k, \
		    sizeof(k) - 1) == 0)
	if (parent == ROLE_TOP) {
		if (IS("ts") || IS("time"))
			return ROLE_TIME;
		if (IS("params"))
			return ROLE_PARAMS;
		if (IS("httpRequest"))
			return ROLE_HTTP;
	} else if (parent == ROLE_PARAMS) {
		if (IS("query"))
			return ROLE_QUERY;
		if (IS("match[]"))
			return ROLE_MATCH;
	}
	return ROLE_NONE;
#undef IS
}

/*
 * Keys matter only in the top object and in params: there an escaped key
 * (it might decode to one we look for) or a repeated one (jansson keeps
 * the last) is left to jansson.
 */
static int
object(struct walk *w, enum role role)
{
	struct span key;
	enum role child;
	unsigned seen = 0;

	w->p++;
	skip_space(w);
	if (w->p < w->end && *w->p == '}') {
		w->p++;
		return 0;
	}
	for (;;) {
		if (w->p >= w->end || *w->p != '"' || string(w, &key) != 0)
			return -1;
		child = member_role(role, &key);
		if (role != ROLE_NONE && key.escaped)
			return -1;
		if (child != ROLE_NONE) {
			if (seen & 1u << child)
				return -1;
			seen |= 1u << child;
		}
		skip_space(w);
		if (w->p >= w->end || *w->p++ != ':')
			return -1;
		skip_space(w);
		if (value(w, child) != 0)
			return -1;
		skip_space(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			skip_space(w);
			continue;
		}
		if (w->p < w->end && *w->p == '}') {
			w->p++;
			return 0;
		}
		return -1;
	}
}

/* An array; in match[], each element is a selector to keep. */
static int
array(struct walk *w, enum role role)
{
	w->p++;
	skip_space(w);
	if (w->p < w->end && *w->p == ']') {
		w->p++;
		return 0;
	}
	for (;;) {
		if (role == ROLE_MATCH && (w->p >= w->end || *w->p != '"'))
			return -1;
		if (value(w, role) != 0)
			return -1;
		skip_space(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			skip_space(w);
			continue;
		}
		if (w->p < w->end && *w->p == ']') {
			w->p++;
			return 0;
		}
		return -1;
	}
}

/* A string where a field of ours is: kept. */
static int
field_string(struct walk *w, enum role role)
{
	struct log_fields *f = w->f;
	struct span s;

	if (string(w, &s) != 0)
		return -1;
	if (role == ROLE_TIME)
		f->time = s;
	else if (role == ROLE_QUERY)
		f->query = s;
	else if (role == ROLE_MATCH) {
		if (f->nmatch == f->matchcap) {
			f->matchcap = f->matchcap ? 2 * f->matchcap : 4;
			f->match = xreallocarray(f->match, f->matchcap,
			    sizeof(*f->match));
		}
		f->match[f->nmatch++] = s;
	}
	return 0;
}

static int
nested(struct walk *w, enum role role)
{
	int r;

	if (++w->depth > MAX_DEPTH)
		return -1;
	if (role == ROLE_HTTP)
		w->f->http = 1;
	r = *w->p == '{' ? object(w, role == ROLE_HTTP ? ROLE_NONE : role) :
	    array(w, role);
	w->depth--;
	return r;
}

static int
value(struct walk *w, enum role role)
{
	int is_object, is_string;

	if (w->p >= w->end)
		return -1;
	is_object = *w->p == '{';
	is_string = *w->p == '"';
	/* A field of another type than ours: jansson says what is wrong. */
	if (((role == ROLE_TOP || role == ROLE_PARAMS || role == ROLE_HTTP) &&
	    !is_object) || ((role == ROLE_TIME || role == ROLE_QUERY) &&
	    !is_string) || (role == ROLE_MATCH && !is_string && *w->p != '['))
		return -1;
	switch (*w->p) {
	case '{':
	case '[':	return nested(w, role);
	case '"':	return field_string(w, role);
	case 't':	return literal(w, "true");
	case 'f':	return literal(w, "false");
	case 'n':	return literal(w, "null");
	default:	return number(w);
	}
}

int
log_fields_walk(const char *line, size_t len, struct log_fields *f)
{
	struct walk w = { (const unsigned char *)line,
	    (const unsigned char *)line + len, f, 0 };

	f->http = 0;
	f->nmatch = 0;
	f->time.text = f->query.text = NULL;
	skip_space(&w);
	if (value(&w, ROLE_TOP) != 0)
		return -1;
	skip_space(&w);
	return w.p == w.end ? 0 : -1;
}

/* The text of a string span in a new NUL-terminated string (jansson decodes
 * one with escapes); NULL when it holds a NUL, which no field may. */
char *
log_span_text(const struct span *s)
{
	json_t *j;
	char *t;

	if (!s->escaped)
		return xstrndup(s->text + 1, s->len - 2);
	if ((j = json_loadb(s->text, s->len, JSON_DECODE_ANY, NULL)) == NULL)
		return NULL;
	t = xstrndup(json_string_value(j), json_string_length(j));
	json_decref(j);
	return t;
}
