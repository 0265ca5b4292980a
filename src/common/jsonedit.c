#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "jsonedit.h"
#include "xalloc.h"

/* Where one member of the object text lies. */
struct member {
	const char	*key;		/* its opening quote */
	const char	*value, *value_end;
	const char	*prev_end;	/* the member before's end, or after '{' */
	const char	*next;		/* the next key, or the closing brace */
	int		 comma;		/* whether a comma follows it */
};

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* The end of the string whose opening quote is at p. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < end ? p + 1 : end;
}

/* The end of the value at p: a string, an array or object, or a scalar. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && strchr(",}] \t\r\n", *p) == NULL)
			p++;
		return p;
	}
	do {
		if (*p == '"') {
			p = skip_string(p, end);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	} while (p < end && depth > 0);
	return p;
}

/* Whether the key string at [p, end) is key, escapes decoded. */
static int
key_is(const char *p, const char *end, const char *key)
{
	size_t n = (size_t)(end - p) - 2, klen = strlen(key);
	json_t *s;
	int same;

	if (memchr(p + 1, '\\', n) == NULL)
		return n == klen && memcmp(p + 1, key, n) == 0;
	s = json_loadb(p, (size_t)(end - p), JSON_DECODE_ANY, NULL);
	same = s != NULL && json_string_length(s) == klen &&
	    memcmp(json_string_value(s), key, klen) == 0;
	json_decref(s);
	return same;
}

/*
 * Finds the member named key; 1 with *m filled, or 0 with m->key at the
 * closing brace and m->value_end after the last value (just after the
 * opening brace when the object is empty).
 */
static int
find_member(const char *text, size_t len, const char *key, struct member *m)
{
	const char *end = text + len, *p = skip_blanks(text + 1, end), *k;

	m->value_end = text + 1;
	while (p < end && *p == '"') {
		k = skip_string(p, end);
		m->key = p;
		m->prev_end = m->value_end;
		m->value = skip_blanks(skip_blanks(k, end) + 1, end);
		m->value_end = skip_value(m->value, end);
		p = skip_blanks(m->value_end, end);
		m->comma = p < end && *p == ',';
		if (m->comma)
			p = skip_blanks(p + 1, end);
		m->next = p;
		if (key_is(m->key, k, key))
			return 1;
	}
	m->key = p;
	return 0;
}

static void
plan(struct json_edit *e, size_t at, size_t del, char *ins)
{
	e->at = at;
	e->del = del;
	e->ins = ins;
	e->ins_len = strlen(ins);
}

void
json_edit_plan(const char *text, size_t len, const char *key,
    const char *value, struct json_edit *e)
{
	struct member m;
	json_t *k;
	char *name;
	size_t at;

	if (find_member(text, len, key, &m)) {
		if (value != NULL)
			plan(e, (size_t)(m.value - text),
			    (size_t)(m.value_end - m.value), xstrdup(value));
		else if (m.comma)	/* "a":1, "b":2 -> "b":2 */
			plan(e, (size_t)(m.key - text),
			    (size_t)(m.next - m.key), xstrdup(""));
		else	/* the last member goes with the comma before it */
			plan(e, (size_t)(m.prev_end - text),
			    (size_t)(m.value_end - m.prev_end), xstrdup(""));
		return;
	}
	if (value == NULL) {
		plan(e, len, 0, xstrdup(""));
		return;
	}
	k = json_string(key);
	name = json_dumps(k, JSON_ENCODE_ANY);
	json_decref(k);
	if (name == NULL)
		die(EX_OSERR, "out of memory");
	at = (size_t)(m.value_end - text);
	plan(e, at, 0, xasprintf("%s%s:%s", at > 1 ? "," : "", name, value));
	free(name);
}

char *
json_edit_member(const char *text, size_t len, const char *key,
    const char *value, size_t *outlen)
{
	struct json_edit e;
	char *out;

	json_edit_plan(text, len, key, value, &e);
	*outlen = len - e.del + e.ins_len;
	out = xmalloc(*outlen + 1);
	memcpy(out, text, e.at);
	memcpy(out + e.at, e.ins, e.ins_len);
	memcpy(out + e.at + e.ins_len, text + e.at + e.del, len - e.at - e.del);
	out[*outlen] = '\0';
	free(e.ins);
	return out;
}
