/*
 * What two readings of one text by the record scanner (recscan.h) found
 * differently, for the differential tests of recflat: the unit test
 * (tests/unit/recflat_test.c) and the fuzz harness (tests/fuzz/recflat.c).
 */
#ifndef RECSYNC_RECSCAN_DIFF_H
#define RECSYNC_RECSCAN_DIFF_H

#include <string.h>

#include "recscan.h"

/* Whether two findings of a string member differ: state, bytes, place. */
static inline int
recscan_string_differs(const struct recscan_string *x,
    const struct recscan_string *y)
{
	if (x->state != y->state)
		return 1;
	if (x->state != RS_STRING)
		return 0;
	return x->len != y->len || memcmp(x->s, y->s, x->len + 1) != 0 ||
	    x->at != y->at || x->raw_len != y->raw_len;
}

/* The first finding a and b differ in, or NULL when they agree. */
static inline const char *
recscan_diff(const struct recscan *a, const struct recscan *b)
{
	if (a->top != b->top)
		return "the top-level value";
	if (recscan_string_differs(&a->name, &b->name))
		return "\"record\"";
	if (recscan_string_differs(&a->expr, &b->expr))
		return "\"expr\"";
	if (recscan_string_differs(&a->want, &b->want))
		return "the member asked for";
	if (a->index_state != b->index_state || a->index != b->index ||
	    a->index_at != b->index_at || a->index_len != b->index_len)
		return "\"index\"";
	return NULL;
}

#endif
