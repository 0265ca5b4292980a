/*
 * The pre-check as it was before it was made fast (qlogscan 2026-12-03):
 * a byte loop with memchr for strings and strtod for every timing.  The
 * precheck harness checks that the fast one gives its very answers, so
 * that --stats and the bad lines shown stay what they were.
 */
#ifndef PRECHECK_REF_H
#define PRECHECK_REF_H

#include <stdlib.h>
#include <string.h>

static int
ref_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * From just after an opening quote, returns just after the closing one, or
 * NULL when the string does not end on this line.
 */
static const char *
ref_skip_string(const char *p, const char *end)
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
ref_key_kind(const char *s, size_t n)
{
	if (n == 20 && memcmp(s, "queryPreparationTime", 20) == 0)
		return 1;
	if (n == 13 && memcmp(s, "innerEvalTime", 13) == 0)
		return 2;
	return memchr(s, '\\', n) != NULL ? -1 : 0;
}

/* A string at p, and its colon if it is a key; *kind as key_kind. */
static const char *
ref_string_token(const char *p, const char *end, int *kind)
{
	const char *s = p + 1, *e;

	*kind = 0;
	if ((e = ref_skip_string(s, end)) == NULL)
		return NULL;
	for (p = e; p < end && ref_json_space(*p); p++)
		continue;
	if (p < end && *p == ':') {
		*kind = ref_key_kind(s, e - 1 - s);
		return p + 1;
	}
	return p;
}

static int
precheck_ref(const char *line, size_t len, double threshold)
{
	const char *p = line, *end = line + len;
	int depth = 0, want = 0, seen = 0, kind;
	char *num;

	while (p < end && ref_json_space(*p))
		p++;
	while (end > p && ref_json_space(end[-1]))
		end--;
	if (p == end || *p != '{' || end[-1] != '}')
		return 1;
	for (line = p; p < end; ) {
		if (depth == 0 && p > line)
			return 1;	/* more after the object */
		if (*p == '"') {
			if (want || (p = ref_string_token(p, end, &kind)) == NULL ||
			    kind < 0)
				return 1;
			seen |= kind;
			want = kind;
		} else if (want && !ref_json_space(*p)) {
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

#endif
