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
 */
#include <stdlib.h>
#include <string.h>

#include "qlogscan.h"

static int
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * From just after an opening quote, returns just after the closing one, or
 * NULL when the string does not end on this line.
 */
static const char *
skip_string(const char *p, const char *end)
{
	const char *q, *b;

	while ((q = memchr(p, '"', end - p)) != NULL) {
		/* The quote ends the string unless an odd run of \ escapes it. */
		for (b = q; b > p && b[-1] == '\\'; b--)
			continue;
		if ((q - b) % 2 == 0)
			return q + 1;
		p = q + 1;
	}
	return NULL;
}

/* 1 or 2 for the two timings we test, 0 for another key, -1 if escaped. */
static int
key_kind(const char *s, size_t n)
{
	if (n == 20 && memcmp(s, "queryPreparationTime", 20) == 0)
		return 1;
	if (n == 13 && memcmp(s, "innerEvalTime", 13) == 0)
		return 2;
	return memchr(s, '\\', n) != NULL ? -1 : 0;
}

/* A string at p, and its colon if it is a key; *kind as key_kind. */
static const char *
string_token(const char *p, const char *end, int *kind)
{
	const char *s = p + 1, *e;

	*kind = 0;
	if ((e = skip_string(s, end)) == NULL)
		return NULL;
	for (p = e; p < end && json_space(*p); p++)
		continue;
	if (p < end && *p == ':') {
		*kind = key_kind(s, e - 1 - s);
		return p + 1;
	}
	return p;
}

int
precheck_may_be_heavy(const char *line, size_t len, double threshold)
{
	const char *p = line, *end = line + len;
	int depth = 0, want = 0, seen = 0, kind;
	char *num;

	while (p < end && json_space(*p))
		p++;
	while (end > p && json_space(end[-1]))
		end--;
	if (p == end || *p != '{' || end[-1] != '}')
		return 1;
	for (line = p; p < end; ) {
		if (depth == 0 && p > line)
			return 1;	/* more after the object */
		if (*p == '"') {
			if (want || (p = string_token(p, end, &kind)) == NULL ||
			    kind < 0)
				return 1;
			seen |= kind;
			want = kind;
		} else if (want && !json_space(*p)) {
			/* The line is NUL-terminated: strtod stops there. */
			if (strtod(p, &num) >= threshold || num == p)
				return 1;
			p = num;
			want = 0;
		} else {
			depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
			if (depth < 0)
				return 1;
			p++;
		}
	}
	return depth != 0 || seen != 3;
}
