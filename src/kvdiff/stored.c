#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hash.h"
#include "stored.h"
#include "xalloc.h"

void
stored_move(struct stored_list *l, struct stored *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *s;
}

/* Texts are carved from blocks of this size (a longer one gets its own). */
#define POOL_BLOCK	(1 << 20)

static char *
pool_alloc(struct stored_pool *p, size_t n)
{
	char *b;

	if (p->block == NULL || p->size - p->used < n) {
		p->size = sizeof(b) + (n > POOL_BLOCK ? n : POOL_BLOCK);
		b = xmalloc(p->size);
		memcpy(b, &p->block, sizeof(b));
		p->block = b;
		p->used = sizeof(b);
	}
	b = p->block + p->used;
	p->used += n;
	return b;
}

void
stored_pool_free(struct stored_pool *p)
{
	char *prev;

	while (p->block != NULL) {
		memcpy(&prev, p->block, sizeof(prev));
		free(p->block);
		p->block = prev;
	}
	p->used = p->size = 0;
}

void
stored_add(struct stored_list *l, struct stored_pool *pool,
    const struct record *r, long long index, int with_line)
{
	size_t nlen = strlen(r->name), llen = with_line ? r->text_len : 0;
	struct stored s;

	s.text = pool_alloc(pool, nlen + 1 + llen + 1);
	memcpy(s.text, r->name, nlen + 1);
	memcpy(s.text + nlen + 1, r->text, llen);
	s.text[nlen + 1 + llen] = '\0';
	s.expr_hash = hash_bytes(r->expr, r->expr_len);
	s.wanted = 0;
	s.index = index;
	stored_move(l, &s);
}

static int
cmp_index(const void *a, const void *b)
{
	const struct stored *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Places each entry at its number: one pass, where qsort took a tenth of
 * kvdiff's time at a million.  0, or -1 (nothing moved) when two entries
 * share a number.
 */
static int
place_by_index(struct stored_list *l, long long lo, size_t range)
{
	uint32_t *slot = xcalloc(range, sizeof(*slot));
	struct stored *out;
	size_t i, k, n = 0;

	for (i = 0; i < l->n; i++) {
		k = (size_t)(l->v[i].index - lo);
		if (slot[k] != 0) {
			free(slot);
			return -1;
		}
		slot[k] = (uint32_t)i + 1;
	}
	out = xreallocarray(NULL, l->cap, sizeof(*out));
	for (k = 0; k < range; k++)
		if (slot[k] != 0)
			out[n++] = l->v[slot[k] - 1];
	free(slot);
	free(l->v);
	l->v = out;
	return 0;
}

void
stored_sort_by_index(struct stored_list *l)
{
	long long lo, hi;
	size_t i;

	if (l->n < 2)
		return;
	lo = hi = l->v[0].index;
	for (i = 1; i < l->n; i++) {
		if (l->v[i].index < lo)
			lo = l->v[i].index;
		if (l->v[i].index > hi)
			hi = l->v[i].index;
	}
	/*
	 * Key numbers are unique and mostly 1..N: placed by number when
	 * they are no sparser than one in four, else sorted.
	 */
	if ((unsigned long long)(hi - lo) / 4 < l->n && l->n < UINT32_MAX &&
	    place_by_index(l, lo, (size_t)(hi - lo) + 1) == 0)
		return;
	qsort(l->v, l->n, sizeof(l->v[0]), cmp_index);
}

void
stored_list_free(struct stored_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *
stored_name(const struct stored *s)
{
	return s->text;
}

void
stored_print(const struct stored *s)
{
	const char *line = s->text + strlen(s->text) + 1;

	if (fputs(line, stdout) == EOF || putchar('\n') == EOF)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
}
