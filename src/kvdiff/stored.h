/*
 * stored: the records Consul holds, kept compact (a million is a normal
 * store): each as its name and the line kvdiff prints for it, with a hash
 * of its expression to notice a record stored with another one.
 *
 * Ownership: the texts of the entries live in the stored_pool given to
 * stored_add(), in blocks (a million small allocations cost kvdiff time
 * and a sixth of their size), until stored_pool_free(); an entry moved to
 * another list keeps its text there.  A list owns only its array.
 */
#ifndef KVDIFF_STORED_H
#define KVDIFF_STORED_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct stored {
	char		*text;		/* "name\0line", or "name\0" */
	uint64_t	 expr_hash;
	long long	 index;
	int		 wanted;	/* the input names it */
};

struct stored_list {
	struct stored	*v;
	size_t		 n, cap;
};

struct stored_pool {
	char		*block;		/* the newest; each begins with the last */
	size_t		 used, size;
};

/*
 * Appends r, stored at number index, to the list; r stays the caller's.
 * Without with_line only the name is kept: enough to subtract, not to print.
 */
void		 stored_add(struct stored_list *l, struct stored_pool *pool,
		    const struct record *r, long long index, int with_line);
/* Appends *s to the list. */
void		 stored_move(struct stored_list *l, struct stored *s);
void		 stored_sort_by_index(struct stored_list *l);
void		 stored_list_free(struct stored_list *l);
void		 stored_pool_free(struct stored_pool *pool);

const char	*stored_name(const struct stored *s);
/* Prints the record's line on stdout. */
void		 stored_print(const struct stored *s);

#endif
