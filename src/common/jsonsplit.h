/*
 * jsonsplit: the elements of a JSON array that arrives in pieces, handed
 * over one at a time as text, so that a Consul answer listing a million
 * keys is never held whole, nor turned into one tree of a million values.
 *
 * Only the array's structure is checked here (brackets, strings); each
 * element's text is for a JSON parser.  The element text passed to the
 * callback lives until the callback returns.
 */
#ifndef RECSYNC_JSONSPLIT_H
#define RECSYNC_JSONSPLIT_H

#include <stddef.h>

/* Returns 0 to go on, -1 to stop with an error. */
typedef int json_element_fn(const char *text, size_t len, void *arg);

struct json_split {
	json_element_fn	*fn;
	void		*arg;
	char		*elem;		/* the element read so far */
	size_t		 len, cap;
	int		 state;		/* before, inside, after the array */
	int		 depth;		/* nesting inside the current element */
	int		 in_string, escaped, failed;
	unsigned long	 elements;
};

void	json_split_init(struct json_split *s, json_element_fn *fn, void *arg);
/* Feeds the next piece: -1 once the text is not an array or fn failed. */
int	json_split_feed(struct json_split *s, const char *data, size_t len);
/* At the end of the text: -1 unless one whole array was read. */
int	json_split_end(struct json_split *s);
void	json_split_free(struct json_split *s);

#endif
