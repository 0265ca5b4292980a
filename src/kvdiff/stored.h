/*
 * stored: the records Consul holds, kept compact (a million is a normal
 * store): each as its name and the line kvdiff prints for it, with a hash
 * of its expression to notice a record stored with another one.
 *
 * Ownership: a stored_list owns the text of its entries; moving an entry
 * to another list moves that ownership with it.
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

/*
 * Appends r (which carries its index) to the list; r stays the caller's.
 * Without with_line only the name is kept: enough to subtract, not to print.
 */
void		 stored_add(struct stored_list *l, const struct record *r,
		    int with_line);
/* Appends *s to the list, which takes its text over. */
void		 stored_move(struct stored_list *l, struct stored *s);
void		 stored_sort_by_index(struct stored_list *l);
void		 stored_list_free(struct stored_list *l);

const char	*stored_name(const struct stored *s);
/* Prints the record's line on stdout. */
void		 stored_print(const struct stored *s);

#endif
