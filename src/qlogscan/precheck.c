/*
 * The raw pre-check: most lines of a query log are light queries, and
 * decoding each with jansson would cost most of the run.  This walks the
 * line's bytes once, without decoding, and answers whether any timing could
 * reach the threshold; only lines where one could are decoded.
 *
 * Why it never drops a line the full rules would keep: a line is heavy only
 * if jansson decodes queryPreparationTime or innerEvalTime to a number at
 * least the threshold.  JSON numbers are never escaped, so that value is a
 * literal in the text, right after the member's key and colon, and strtod
 * reads it as jansson does.  The key's raw text is either the name itself
 * or holds a backslash escape; both count here, at any depth and however
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

/* A key that names, or may decode to, one of the two timings we test. */
static int
timing_key(const char *s, size_t n)
{
	return (n == 13 && memcmp(s, "innerEvalTime", 13) == 0) ||
	    (n == 20 && memcmp(s, "queryPreparationTime", 20) == 0) ||
	    memchr(s, '\\', n) != NULL;
}

int
precheck_may_be_heavy(const char *line, size_t len, double threshold)
{
	const char *p = line, *end = line + len, *s, *e;
	int want = 0;	/* just past a timing key's colon */
	char *num;

	while (p < end) {
		if (*p == '"') {
			s = p + 1;
			if ((e = skip_string(s, end)) == NULL)
				return 1;	/* let jansson say what is wrong */
			for (p = e; p < end && json_space(*p); p++)
				continue;
			want = p < end && *p == ':' && timing_key(s, e - 1 - s);
			p += want;
		} else if (want && (*p == '-' || (*p >= '0' && *p <= '9'))) {
			/* The line is NUL-terminated: strtod stops there. */
			if (strtod(p, &num) >= threshold)
				return 1;
			p = num > p ? num : p + 1;
			want = 0;
		} else {
			want = want && json_space(*p);
			p++;
		}
	}
	return 0;
}
