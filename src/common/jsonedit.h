/*
 * jsonedit: one member of a JSON object's text set or removed, every other
 * byte of the text left as it was, so that what a tool does not own (the
 * spelling of a number, an escape, the spacing) passes through unchanged.
 *
 * The text must be one JSON object that a parser has accepted, without
 * blanks around it and without duplicate keys: only its structure is
 * walked here, nothing is checked.
 *
 * Ownership: a result (the edited text, an edit's inserted bytes) is a
 * new NUL-terminated string for the caller to free; the arguments stay the
 * caller's.
 */
#ifndef RECSYNC_JSONEDIT_H
#define RECSYNC_JSONEDIT_H

#include <stddef.h>

/*
 * The object text with member key's value replaced by value (JSON text),
 * or the member added at the end when there is none, or removed when
 * value is NULL.  *outlen is the result's length.
 */
char	*json_edit_member(const char *text, size_t len, const char *key,
	    const char *value, size_t *outlen);

/* The same edit as a splice: text[at, at + del) becomes ins[0, ins_len). */
struct json_edit {
	size_t	 at, del;
	char	*ins;
	size_t	 ins_len;
};

void	json_edit_plan(const char *text, size_t len, const char *key,
	    const char *value, struct json_edit *e);

#endif
