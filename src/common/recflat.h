/*
 * recflat: the record's usual text read in one pass over its bytes, for
 * recscan(), which calls it first.  It takes a flat object alone: blanks
 * (space, tab, CR, LF) around its tokens, every member a string but
 * "index", which may be a plain positive integer of up to 18 digits,
 * strings holding UTF-8 as jansson wants it and escapes that decode to
 * it, at most RECFLAT_MEMBERS members, no key twice.  Anything else
 * (nesting, other numbers, true, false, null, a control character, a
 * \u0000, a lone surrogate, a byte that is no UTF-8, a duplicate key,
 * whatever is no JSON at all) it leaves to recscan's general path: a NULL
 * from it says nothing about the text.  What it returns is what
 * recscan_general() would find in the same text, field for field; the
 * differential tests (tests/unit/recflat_test.c, tests/fuzz/recflat.c)
 * hold it to that.
 *
 * Ownership: the result is recflat's own (one static scanner, apart from
 * recscan_general()'s) and valid until the next call.
 */
#ifndef RECSYNC_RECFLAT_H
#define RECSYNC_RECFLAT_H

#include <stddef.h>

#include "recscan.h"

#define RECFLAT_MEMBERS	16

/* As recscan(), or NULL when the text is not one recflat reads. */
const struct recscan	*recflat(const char *text, size_t len,
			    const char *want);

#endif
