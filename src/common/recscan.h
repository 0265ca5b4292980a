/*
 * recscan: one record's JSON text read with yajl's callbacks, building no
 * tree.  The text is taken exactly when jansson (JSON_REJECT_DUPLICATES)
 * would take it: yajl's grammar, held to jansson's rules by jsonstrict.h,
 * plus duplicate keys at any depth, nesting past JSON_PARSER_MAX_DEPTH and
 * a scalar at the top.  Of the top-level object it finds "record", "expr",
 * "index" and one more member asked for: decoded, and where their values
 * lie in the text.  For record.c, which says what a record is.
 *
 * Two paths read the text: recflat() (recflat.h) first, made for the flat
 * object every record line and Consul value is, and yajl's for whatever
 * it leaves, which alone says what the text is when it is anything else.
 * Both find the same in any text recflat() takes.
 *
 * Ownership: the result is the scanner's (one static scanner a path: the
 * tools are single-threaded) and valid until the next call.
 */
#ifndef RECSYNC_RECSCAN_H
#define RECSYNC_RECSCAN_H

#include <stddef.h>

enum { RS_ABSENT, RS_STRING, RS_OTHER };

struct recscan_string {
	int	 state;		/* RS_ABSENT, RS_STRING or RS_OTHER */
	char	*s;		/* decoded, NUL-terminated, when RS_STRING */
	size_t	 len, cap;
	size_t	 at, raw_len;	/* its bytes in the text, between the quotes */
};

struct recscan {
	int			top;	/* '{' or '[' */
	struct recscan_string	name, expr, want;
	int			index_state;	/* RS_OTHER: no positive integer */
	long long		index;
	size_t			index_at, index_len;	/* its digits */
};

/*
 * Scans text[0, len) (no NUL byte in it; blanks around it allowed); want,
 * if not NULL, names the extra member.  Returns the findings, or NULL when
 * the text is no JSON object or array.
 */
const struct recscan	*recscan(const char *text, size_t len,
			    const char *want);
/* Findings of nothing: no top-level value, every member absent. */
void			 recscan_clear(struct recscan *out);
/* The same by yajl's path alone, whatever the text (for the tests). */
const struct recscan	*recscan_general(const char *text, size_t len,
			    const char *want);

#endif
