/*
 * The raw pre-check: most lines of a query log are light queries, and
 * decoding each with jansson would cost most of the run.  This walks the
 * line's bytes once, without decoding, and says a line may be skipped only
 * when it looks like one JSON object, holds both queryPreparationTime and
 * innerEvalTime keys, and every value of such a key is a number below the
 * threshold.  Anything else (text that is not JSON, a timing of another
 * type, an escaped key) goes to jansson, which says what is wrong.
 *
 * Why it never drops a line the full rules would keep: a line is heavy only
 * if jansson decodes one of the two timings to a number at least the
 * threshold.  JSON numbers are never escaped, so that value is a literal in
 * the text, right after its key and colon, and strtod reads it as jansson
 * does.  A key decodes to one of the two names only if its raw text is the
 * name or holds an escape; both are caught here, at any depth and however
 * often they occur.  A line that is not valid JSON may be answered either
 * way: jansson would reject it, so it is never selected.
 *
 * Speed: this runs on every line of the heavy-query mode, so the bytes are
 * looked at many at a time, and the timings are read without strtod when
 * their digits make a double exactly (strtod takes the rest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "qlogscan.h"

static int
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * From just after an opening quote, returns just after the closing one, or
 * NULL when the string does not end on this line; *escaped is set when it
 * holds a backslash.  A backslash escapes the byte after it, whatever it is.
 */
static const char *
skip_string(const char *p, const char *end, int *escaped)
{
	*escaped = 0;
	for (;;) {
		p = scan_escapable(p, end);
		if (p == end)
			return NULL;
		if (*p == '"')
			return p + 1;
		*escaped = 1;
		if (end - p < 2)
			return NULL;
		p += 2;
	}
}

/* 1 or 2 for the two timings we test, 0 for another key. */
static int
key_kind(const char *s, size_t n)
{
	if (n == 20 && memcmp(s, "queryPreparationTime", 20) == 0)
		return 1;
	if (n == 13 && memcmp(s, "innerEvalTime", 13) == 0)
		return 2;
	return 0;
}

/* Exact powers of ten: each a double, so m * 10^e rounds once. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * A JSON number at p read as strtod reads it, in the common case: up to
 * 19 significant digits and a power of ten whose product (or quotient) is
 * one correctly rounded operation on exact doubles, hence strtod's very
 * value (Clinger's fast path).  Returns the end, or NULL for any other
 * form (hexadecimal, inf, a dangling '.', many digits...), which strtod
 * reads instead.
 */
static const char *
number_fast(const char *p, double *out)
{
	uint64_t m = 0;
	int neg = 0, sig = 0, e = 0, x = 0, xneg = 0, xdigits = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (m != 0 || *p != '0') {
			if (++sig > 19)
				return NULL;
			m = m * 10 + (uint64_t)(*p - '0');
		}
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return NULL;
		for (; *p >= '0' && *p <= '9'; p++, e--)
			if (m != 0 || *p != '0') {
				if (++sig > 19)
					return NULL;
				m = m * 10 + (uint64_t)(*p - '0');
			}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			xneg = *p++ == '-';
		for (; *p >= '0' && *p <= '9'; p++)
			if (++xdigits > 4)
				return NULL;
			else
				x = x * 10 + (*p - '0');
		if (xdigits == 0)
			return NULL;
		e += xneg ? -x : x;
	}
	/* Anything strtod might read on with: fall back to it. */
	if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '_')
		return NULL;
	if (m == 0)
		*out = 0;
	else if (m <= (1ULL << 53) && e >= -22 && e <= 22)
		*out = e < 0 ? (double)m / pow10_exact[-e] :
		    (double)m * pow10_exact[e];
	else
		return NULL;
	if (neg)
		*out = -*out;
	return p;
}

/*
 * The value of a timing key at p: the end of a number below threshold, or
 * NULL (a number at least the threshold, or no number).  The line is
 * NUL-terminated: every read stops there.
 */
static const char *
light_number(const char *p, double threshold)
{
	const char *q;
	char *num;
	double v;

	if ((q = number_fast(p, &v)) == NULL) {
		v = strtod(p, &num);
		if (num == p)
			return NULL;
		q = num;
	}
	return v >= threshold ? NULL : q;
}

/*
 * A string at p (its opening quote): just after it, or after the key's
 * colon and the value of a timing key.  NULL when the line may be heavy:
 * an unended string, an escaped key, a timing that is not a number below
 * threshold.  *seen gets the timings met.
 */
static const char *
string_token(const char *p, const char *end, double threshold, int *seen)
{
	const char *s = p + 1, *e;
	int escaped, kind;

	if ((e = skip_string(s, end, &escaped)) == NULL)
		return NULL;
	for (p = e; p < end && json_space(*p); p++)
		continue;
	if (p == end || *p != ':')
		return p;
	if (escaped)
		return NULL;
	if ((kind = key_kind(s, e - 1 - s)) == 0)
		return p + 1;
	*seen |= kind;
	for (p++; p < end && json_space(*p); p++)
		continue;
	if (p == end || *p == '"')
		return NULL;
	return light_number(p, threshold);
}

int
precheck_may_be_heavy(const char *line, size_t len, double threshold)
{
	const char *p = line, *end = line + len;
	int depth = 0, seen = 0;

	while (p < end && json_space(*p))
		p++;
	while (end > p && json_space(end[-1]))
		end--;
	if (p == end || *p != '{' || end[-1] != '}')
		return 1;
	while ((p = scan_token(p, end)) < end) {
		switch (*p) {
		case '"':
			if ((p = string_token(p, end, threshold, &seen)) == NULL)
				return 1;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			/* Closed before the end: more after the object. */
			if (--depth <= 0 && (depth < 0 || p + 1 < end))
				return 1;
			break;
		}
		p++;
	}
	return depth != 0 || seen != 3;
}
