#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstrict.h"
#include "utf8.h"
#include "xalloc.h"

enum {
	TEXT,		/* outside any escape */
	BACKSLASH,	/* after a backslash */
	HEX,		/* inside \uXXXX */
	PAIR,		/* after a high surrogate: a backslash must follow */
	PAIR_U		/* after its backslash: a 'u' must follow */
};

void
json_escapes_init(struct json_escapes *e)
{
	memset(e, 0, sizeof(*e));
}

/* A hex digit's value, or -1. */
static int
hex_value(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The escape's four digits are read: what may follow. */
static int
escape_done(struct json_escapes *e)
{
	unsigned c = e->code;

	if (e->high) {
		e->high = 0;
		return c >= 0xdc00 && c <= 0xdfff ? TEXT : -1;
	}
	if (c == 0 || (c >= 0xdc00 && c <= 0xdfff))
		return -1;
	if (c >= 0xd800 && c <= 0xdbff) {
		e->high = 1;
		return PAIR;
	}
	return TEXT;
}

static int
step(struct json_escapes *e, char ch)
{
	int d;

	switch (e->state) {
	case BACKSLASH:
		if (ch != 'u')
			return TEXT;	/* \n, \\, \" ...: one character */
		e->digits = 0;
		e->code = 0;
		return HEX;
	case HEX:
		if ((d = hex_value(ch)) < 0)
			return -1;
		e->code = e->code << 4 | (unsigned)d;
		return ++e->digits < 4 ? HEX : escape_done(e);
	case PAIR:
		return ch == '\\' ? PAIR_U : -1;
	case PAIR_U:
		if (ch != 'u')
			return -1;
		e->digits = 0;
		e->code = 0;
		return HEX;
	}
	return -1;
}

int
json_escapes_feed(struct json_escapes *e, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *bs;

	/* Never in JSON text (in a string they would be escaped). */
	if (memchr(data, '\v', len) != NULL || memchr(data, '\f', len) != NULL)
		e->state = -1;
	while (p < end && e->state >= 0) {
		if (e->state == TEXT) {
			/* Backslashes are rare: most text is skipped by memchr. */
			if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL)
				break;
			e->state = BACKSLASH;
			p = bs + 1;
			continue;
		}
		e->state = step(e, *p++);
	}
	return e->state < 0 ? -1 : 0;
}

int
json_escapes_end(const struct json_escapes *e)
{
	return e->state == TEXT ? 0 : -1;
}

int
json_escapes_ok(const char *text, size_t len)
{
	struct json_escapes e;

	json_escapes_init(&e);
	return json_escapes_feed(&e, text, len) == 0 &&
	    json_escapes_end(&e) == 0;
}

int
json_string_ok(const char *s, size_t len)
{
	unsigned char seq[5] = { 0 };
	unsigned long cp;
	size_t i = 0, n;

	while (i < len) {
		/* Eight bytes at a time while none is a NUL or above ASCII. */
		while (i + 8 <= len) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (((w - 0x0101010101010101ULL) | w) &
			    0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i == len)
			break;
		if ((unsigned char)s[i] - 1u < 0x7fu) {	/* ASCII but NUL */
			i++;
			continue;
		}
		if (s[i] == '\0')
			return 0;
		/* utf8_decode() reads up to a NUL: a copy with one after it. */
		n = len - i < 4 ? len - i : 4;
		memcpy(seq, s + i, n);
		seq[n] = '\0';
		if ((n = utf8_decode(seq, &cp)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

int
json_number_ok(const char *text, size_t len, int *integer, long long *value)
{
	size_t i;
	char *copy;
	int ok;

	*integer = memchr(text, '.', len) == NULL &&
	    memchr(text, 'e', len) == NULL && memchr(text, 'E', len) == NULL;
	*value = 0;
	if (*integer && len <= 18) {	/* no overflow possible */
		for (i = text[0] == '-'; i < len; i++)
			*value = *value * 10 + (text[i] - '0');
		if (text[0] == '-')
			*value = -*value;
		return 1;
	}
	copy = xstrndup(text, len);
	errno = 0;
	if (*integer) {
		*value = strtoll(copy, NULL, 10);
		ok = errno != ERANGE;
	} else {
		double d = strtod(copy, NULL);

		ok = !(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));
	}
	free(copy);
	return ok;
}

long
json_hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}
