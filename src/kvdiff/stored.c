#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fnv.h"
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
	s->text = NULL;
}

void
stored_add(struct stored_list *l, const struct record *r, int with_line)
{
	char *line = with_line ? json_dumps(r->obj, JSON_COMPACT) : xstrdup("");
	size_t nlen = strlen(r->name), llen;
	struct stored s;

	if (line == NULL)
		die(EX_OSERR, "out of memory");
	llen = strlen(line);
	s.text = xmalloc(nlen + 1 + llen + 1);
	memcpy(s.text, r->name, nlen + 1);
	memcpy(s.text + nlen + 1, line, llen + 1);
	free(line);
	s.expr_hash = fnv1a(r->expr, r->expr_len);
	s.index = r->index;
	stored_move(l, &s);
}

static int
cmp_index(const void *a, const void *b)
{
	const struct stored *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

void
stored_sort_by_index(struct stored_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), cmp_index);
}

void
stored_list_free(struct stored_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
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
