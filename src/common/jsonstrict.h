/*
 * jsonstrict: what yajl's parser takes and jansson refuses, so that text
 * read with yajl is held to jansson's rules (recsync's other readers):
 *
 * - the raw text, as it streams past: yajl takes a vertical tab and a form
 *   feed for blanks.
 * - \u escapes, found in the raw text as it streams past: \u0000, and a
 *   surrogate that is not half of a pair.  yajl decodes a lone high
 *   surrogate to '?' and a lone low one to bytes that are not UTF-8,
 *   where a record name or a key would silently change.  Everything else
 *   about escapes (a bad letter after the backslash, fewer than four hex
 *   digits) is left to yajl's lexer, which refuses it.
 * - strings: yajl lets overlong forms, UTF-8-encoded surrogates and code
 *   points above U+10FFFF through.
 * - numbers, as yajl hands over their text: jansson refuses an integer
 *   outside long long and a real that overflows a double.
 */
#ifndef RECSYNC_JSONSTRICT_H
#define RECSYNC_JSONSTRICT_H

#include <stddef.h>

struct json_escapes {
	int		state;
	int		digits;		/* of the \u escape being read */
	unsigned	code;		/* its value so far */
	int		high;		/* it must be a low surrogate */
};

void	json_escapes_init(struct json_escapes *e);
/* The next piece of the text: -1 once it holds what is refused above. */
int	json_escapes_feed(struct json_escapes *e, const char *data, size_t len);
/* At the end of the text: -1 when a high surrogate waits for its pair. */
int	json_escapes_end(const struct json_escapes *e);
/* Whether a whole text is free of them. */
int	json_escapes_ok(const char *text, size_t len);

/*
 * Whether a decoded string (len bytes, not NUL-terminated) is UTF-8 as
 * jansson wants it, with no NUL byte.
 */
int	json_string_ok(const char *s, size_t len);

/* The value of a \u escape's four hex digits at p, or -1 when they are not. */
long	json_hex4(const char *p);
/*
 * Whether a number's text is one jansson takes; *integer says whether it
 * is an integer (no fraction, no exponent), and then *value is its value.
 */
int	json_number_ok(const char *text, size_t len, int *integer,
	    long long *value);

#endif
