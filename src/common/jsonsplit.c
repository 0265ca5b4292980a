#include <stdlib.h>
#include <string.h>

#include "jsonsplit.h"
#include "xalloc.h"

enum { BEFORE, INSIDE, AFTER };

/* JSON's white space; not strchr, which would take a NUL for one. */
static int
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
json_split_init(struct json_split *s, json_element_fn *fn, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->fn = fn;
	s->arg = arg;
}

static void
keep(struct json_split *s, char c)
{
	if (s->len + 1 >= s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->elem = xreallocarray(s->elem, s->cap, 1);
	}
	s->elem[s->len++] = c;
}

/* A ',' or ']' at the array's own level ends the element before it. */
static int
element_end(struct json_split *s, char c)
{
	if (s->len == 0 && (c == ',' || s->elements > 0))
		return -1;		/* "[,", "[1,]" */
	while (s->len > 0 && json_space(s->elem[s->len - 1]))
		s->len--;
	if (s->len > 0) {
		s->elem[s->len] = '\0';
		if (s->fn(s->elem, s->len, s->arg) != 0)
			return -1;
		s->elements++;
		s->len = 0;
	}
	if (c == ']')
		s->state = AFTER;
	return 0;
}

static int
byte_inside(struct json_split *s, char c)
{
	if (c == '\0')
		return -1;	/* never in JSON text, not even in a string */
	if (s->in_string) {
		keep(s, c);
		if (s->escaped)
			s->escaped = 0;
		else if (c == '\\')
			s->escaped = 1;
		else if (c == '"')
			s->in_string = 0;
		return 0;
	}
	if (s->depth == 0 && (c == ',' || c == ']'))
		return element_end(s, c);
	if (s->depth == 0 && s->len == 0 && json_space(c))
		return 0;
	keep(s, c);
	if (c == '"')
		s->in_string = 1;
	else if (c == '{' || c == '[')
		s->depth++;
	else if (c == '}' || c == ']')
		return --s->depth < 0 ? -1 : 0;
	return 0;
}

int
json_split_feed(struct json_split *s, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len && !s->failed; i++) {
		char c = data[i];

		if (s->state == INSIDE)
			s->failed = byte_inside(s, c) != 0;
		else if (json_space(c))
			continue;
		else if (s->state == BEFORE && c == '[')
			s->state = INSIDE;
		else
			s->failed = 1;
	}
	return s->failed ? -1 : 0;
}

int
json_split_end(struct json_split *s)
{
	return s->failed || s->state != AFTER ? -1 : 0;
}

void
json_split_free(struct json_split *s)
{
	free(s->elem);
	s->elem = NULL;
	s->len = s->cap = 0;
}
