/*
 * jansson's memory, within a budget.  A line under --max-line can still
 * decode to a tree many times its size (a 16 MB array of zeros takes some
 * 330 MB), so jansson's live allocations are counted and one past the
 * budget is refused: the decode fails and the line is skipped as too
 * long.  When malloc itself fails, the run ends as everywhere else:
 * jansson would report it as a bad line, and the line would be lost.
 */
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

#include "diag.h"
#include "qlogscan.h"

/* Each block starts with its size, in a header that keeps the alignment. */
#define HEADER	sizeof(max_align_t)

static size_t	budget, live;
static int	refused;

static void *
counted_malloc(size_t n)
{
	char *p;

	if (live >= budget || n > budget - live) {
		refused = 1;
		return NULL;
	}
	if ((p = malloc(HEADER + n)) == NULL)
		die(EX_OSERR, "out of memory");
	/* What the block takes, malloc's own overhead included. */
	n = malloc_usable_size(p) + sizeof(size_t);
	*(size_t *)p = n;
	live += n;
	return p + HEADER;
}

static void
counted_free(void *p)
{
	char *block;

	if (p == NULL)
		return;
	block = (char *)p - HEADER;
	live -= *(size_t *)block;
	free(block);
}

void
jalloc_init(size_t bytes)
{
	budget = bytes;
	json_set_alloc_funcs(counted_malloc, counted_free);
}

int
jalloc_refused(void)
{
	int r = refused;

	refused = 0;
	return r;
}
