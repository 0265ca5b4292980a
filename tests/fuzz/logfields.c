/*
 * --usage's field walker (src/qlogscan/logfields.c) against jansson: a line
 * the walker vouches for must be one JSON object to jansson too, and the
 * fields it found must be jansson's: the time ("ts", else "time"), whether
 * there is an httpRequest, params.query and each params.match[] selector,
 * decoded by log_span_text() to jansson's very bytes.  (A line the walker
 * leaves to jansson is jansson's to judge: nothing to check.)
 *
 * The input is one line as scan.c hands it over: without a NUL byte (bad
 * before the walk) and without its line end, NUL-terminated.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "qlogscan.h"

/* The span decodes to jansson's string v (NULL: the span is absent). */
static int
same_text(const struct span *s, json_t *v)
{
	char *t;
	int same;

	if (s->text == NULL || v == NULL)
		return s->text == NULL && v == NULL;
	if (!json_is_string(v) || (t = log_span_text(s)) == NULL)
		return 0;
	same = strlen(t) == json_string_length(v) &&
	    memcmp(t, json_string_value(v), strlen(t)) == 0;
	free(t);
	return same;
}

static void
check_match(const struct log_fields *f, json_t *m)
{
	size_t i;

	if (m == NULL) {
		FUZZ_CHECK(f->nmatch == 0, "match[] found where there is none");
		return;
	}
	if (json_is_string(m)) {
		FUZZ_CHECK(f->nmatch == 1 && same_text(&f->match[0], m),
		    "match[] as one string");
		return;
	}
	FUZZ_CHECK(json_is_array(m) && f->nmatch == json_array_size(m),
	    "match[]: as many selectors as jansson's array");
	for (i = 0; i < f->nmatch; i++)
		FUZZ_CHECK(same_text(&f->match[i], json_array_get(m, i)),
		    "match[]: each selector as jansson decodes it");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_fields f = { 0 };
	json_t *o, *params, *time;
	char *line;

	fuzz_init("fuzz-logfields");
	if (memchr(data, '\0', size) != NULL || memchr(data, '\n', size) != NULL)
		return 0;
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	if (log_fields_walk(line, size, &f) == 0) {
		o = json_loadb(line, size, 0, NULL);
		FUZZ_CHECK(json_is_object(o), "a line the walker takes is an object");
		params = json_object_get(o, "params");
		FUZZ_CHECK(params == NULL || json_is_object(params),
		    "params is an object");
		FUZZ_CHECK(f.http == (json_object_get(o, "httpRequest") != NULL),
		    "httpRequest found as jansson finds it");
		if ((time = json_object_get(o, "ts")) == NULL)
			time = json_object_get(o, "time");
		FUZZ_CHECK(same_text(&f.time, time), "the time as jansson's");
		FUZZ_CHECK(same_text(&f.query, json_object_get(params, "query")),
		    "params.query as jansson's");
		check_match(&f, json_object_get(params, "match[]"));
		json_decref(o);
	}
	free(f.match);
	free(line);
	return 0;
}
