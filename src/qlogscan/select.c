/*
 * The selection rules, applied to one decoded query-log entry in the order
 * the man page gives: the endpoint, the timings, the range, then the
 * cleaned query (empty, excluded, already recorded).  A field that is
 * needed and missing or of the wrong type makes the line bad; a rule
 * evaluation (no httpRequest) is a normal skip.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "qlogscan.h"
#include "xalloc.h"

const char *const reason_names[R_NREASONS] = {
	[R_SELECTED] = "selected",
	[R_PRECHECK] = "light-precheck",
	[R_BLANK] = "blank",
	[R_TRUNCATED] = "truncated",
	[R_BAD] = "bad",
	[R_TOOLONG] = "too-long",
	[R_NOT_HTTP] = "not-http",
	[R_PATH] = "path",
	[R_LIGHT] = "light",
	[R_TIMEOUT] = "timeout",
	[R_RANGE] = "range",
	[R_EMPTY] = "empty",
	[R_EXCLUDED] = "excluded",
	[R_RECORDED] = "recorded",
};

/* Sets *why (the caller frees it) and makes the line bad. */
static enum reason
bad(char **why, const char *what)
{
	*why = xstrdup(what);
	return R_BAD;
}

/* The endpoint: query_range, or query with --instant (*instant set). */
static enum reason
check_request(const struct rules *ru, json_t *o, int *instant, char **why)
{
	json_t *req = json_object_get(o, "httpRequest");
	const char *path;

	if (req == NULL)
		return R_NOT_HTTP;
	path = json_string_value(json_object_get(req, "path"));
	if (!json_is_object(req) || path == NULL)
		return bad(why, "\"httpRequest.path\" is missing or not a string");
	*instant = 0;
	if (strcmp(path, "/api/v1/query_range") == 0)
		return R_SELECTED;
	if (ru->instant && strcmp(path, "/api/v1/query") == 0) {
		*instant = 1;
		return R_SELECTED;
	}
	return R_PATH;
}

/* One timing, which must be a JSON number. */
static int
timing(json_t *timings, const char *name, double *out, char **why)
{
	json_t *v = json_object_get(timings, name);

	if (!json_is_number(v)) {
		*why = xasprintf("\"stats.timings.%s\" is missing or not a "
		    "number", name);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

/* Heavy enough (either timing), and no timing long enough to be a timeout. */
static enum reason
check_timings(const struct rules *ru, json_t *o, double *eval, char **why)
{
	json_t *timings = json_object_get(json_object_get(o, "stats"),
	    "timings"), *v;
	const char *key;
	double prep, inner;

	if (!json_is_object(timings))
		return bad(why, "\"stats.timings\" is missing or not an object");
	if (timing(timings, "queryPreparationTime", &prep, why) != 0 ||
	    timing(timings, "innerEvalTime", &inner, why) != 0 ||
	    timing(timings, "evalTotalTime", eval, why) != 0)
		return R_BAD;
	if (prep < ru->threshold && inner < ru->threshold)
		return R_LIGHT;
	json_object_foreach(timings, key, v) {
		if (!json_is_number(v)) {
			*why = xasprintf("\"stats.timings.%s\" is not a number",
			    key);
			return R_BAD;
		}
		if (json_number_value(v) > ru->max_time)
			return R_TIMEOUT;
	}
	return R_SELECTED;
}

/* A range query's end - start, at most --max-range. */
static enum reason
check_range(const struct rules *ru, json_t *params, char **why)
{
	const char *start = json_string_value(json_object_get(params, "start"));
	const char *end = json_string_value(json_object_get(params, "end"));
	struct timestamp ts, te;

	if (start == NULL || end == NULL)
		return bad(why, "\"params.start\" or \"params.end\" is missing "
		    "or not a string");
	if (rfc3339_parse(start, &ts) != 0 || rfc3339_parse(end, &te) != 0)
		return bad(why, "\"params.start\" or \"params.end\" is not an "
		    "RFC 3339 time");
	return timestamp_diff(&te, &ts) > ru->max_range ? R_RANGE : R_SELECTED;
}

/* Python's str.isspace(), which str.strip() trims: code point c. */
static int
py_space(unsigned long c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	    c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/*
 * The length of the UTF-8 character at s (n bytes left) when it is white
 * space, else 0.  jansson has checked the UTF-8; no space takes 4 bytes.
 */
static size_t
space_at(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80)
		return py_space(u[0]);
	if ((u[0] & 0xe0) == 0xc0 && n >= 2)
		return py_space((u[0] & 0x1fUL) << 6 | (u[1] & 0x3f)) ? 2 : 0;
	if ((u[0] & 0xf0) == 0xe0 && n >= 3)
		return py_space((u[0] & 0x0fUL) << 12 | (u[1] & 0x3fUL) << 6 |
		    (u[2] & 0x3f)) ? 3 : 0;
	return 0;
}

/* The length of the white space character that ends q[0, n), or 0. */
static size_t
space_before(const char *q, size_t n)
{
	size_t i = n;

	while (i > 0 && n - i < 3 && ((unsigned char)q[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return 0;
	i--;
	return space_at(q + i, n - i) == n - i ? n - i : 0;
}

size_t
clean_query(char *q, size_t len)
{
	size_t i, k, n = 0, start = 0;

	for (i = 0; i < len; i++)
		if (q[i] != '\r' && q[i] != '\n')
			q[n++] = q[i];
	while ((k = space_before(q, n)) > 0)
		n -= k;
	while (start < n && (k = space_at(q + start, n - start)) > 0)
		start += k;
	if (start < n && q[start] == '-')
		start++;
	memmove(q, q + start, n - start);
	q[n - start] = '\0';
	return n - start;
}

/* The cleaned query, copied to *buf, and the rules about its text. */
static enum reason
check_query(const struct rules *ru, json_t *query, char **buf, size_t *cap)
{
	size_t i, len = json_string_length(query);

	if (len + 1 > *cap) {
		*cap = len + 1;
		*buf = xreallocarray(*buf, 1, *cap);
	}
	memcpy(*buf, json_string_value(query), len);
	if (clean_query(*buf, len) == 0)
		return R_EMPTY;
	for (i = 0; i < ru->nexcludes; i++)
		if (strstr(*buf, ru->excludes[i]) != NULL)
			return R_EXCLUDED;
	if (strstr(*buf, ru->prefix) != NULL)
		return R_RECORDED;
	return R_SELECTED;
}

/*
 * The line's time, Prometheus 2.x's "ts" or 3.x's "time", for the record's
 * last_used.  A line without one is still heavy: the time only informs.
 */
static void
line_time(json_t *o, struct hit *hit)
{
	const char *s = json_string_value(json_object_get(o, "ts"));

	if (s == NULL)
		s = json_string_value(json_object_get(o, "time"));
	hit->has_when = s != NULL && rfc3339_parse(s, &hit->when) == 0;
}

/* The rules after the line has been decoded into o. */
static enum reason
check_entry(const struct rules *ru, json_t *o, struct hit *hit, char **buf,
    size_t *cap, char **why)
{
	json_t *params, *query;
	enum reason r;
	int instant;

	if ((r = check_request(ru, o, &instant, why)) != R_SELECTED ||
	    (r = check_timings(ru, o, &hit->eval_seconds, why)) != R_SELECTED)
		return r;
	params = json_object_get(o, "params");
	query = json_object_get(params, "query");
	if (!json_is_string(query))
		return bad(why, "\"params.query\" is missing or not a string");
	if (!instant && (r = check_range(ru, params, why)) != R_SELECTED)
		return r;
	if ((r = check_query(ru, query, buf, cap)) == R_SELECTED) {
		hit->query = *buf;
		line_time(o, hit);
	}
	return r;
}

/* A line whose decoding would take more memory than jansson may have. */
static enum reason
toolong(char **why)
{
	*why = xstrdup("too large to decode in the memory --max-line allows");
	return R_TOOLONG;
}

enum reason
select_line(const struct rules *ru, const char *line, size_t len,
    int partial, struct hit *hit, char **buf, size_t *bufcap, char **why)
{
	json_error_t err;
	json_t *o;
	enum reason r;

	if ((o = json_loadb(line, len, 0, &err)) == NULL) {
		if (jalloc_refused())
			return toolong(why);
		if (partial)
			return R_TRUNCATED;
		*why = xasprintf("not JSON: %s (column %d)", err.text,
		    err.column);
		return R_BAD;
	}
	if (json_is_object(o))
		r = check_entry(ru, o, hit, buf, bufcap, why);
	else
		r = bad(why, "not a JSON object");
	json_decref(o);
	return r;
}
