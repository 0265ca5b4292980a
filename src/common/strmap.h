/*
 * strmap: a hash map from strings to pointers, open addressing with linear
 * probing, for the sets of record names a run holds (a million is normal).
 *
 * Ownership: the map borrows its keys; each must outlive the map or its
 * removal.  Values are the caller's.
 */
#ifndef RECSYNC_STRMAP_H
#define RECSYNC_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap	*strmap_new(void);
void		 strmap_free(struct strmap *m);
/* The value stored under key, or NULL. */
void		*strmap_get(const struct strmap *m, const char *key);
/* Whether key is there (its value may be NULL). */
int		 strmap_has(const struct strmap *m, const char *key);
/* Stores key -> value unless key is there: returns 1 if added, 0 if not. */
int		 strmap_add(struct strmap *m, const char *key, void *value);
size_t		 strmap_count(const struct strmap *m);

#endif
