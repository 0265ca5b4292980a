/*
 * strmap: a hash map from strings to pointers, open addressing with linear
 * probing, for the sets of record names a run holds (a million is normal).
 *
 * A key is hashed once a call; a caller that looks one name up in several
 * maps, or looks it up and then adds it, hashes it once with strmap_hash()
 * and passes the hash to the _hashed calls.
 *
 * Ownership: the map borrows its keys; each must outlive the map or its
 * removal.  Values are the caller's.
 */
#ifndef RECSYNC_STRMAP_H
#define RECSYNC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

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

/* The hash of key the map uses, for the calls below. */
uint64_t	 strmap_hash(const char *key);
/* As strmap_get and strmap_add, with key's hash given. */
void		*strmap_get_hashed(const struct strmap *m, const char *key,
		    uint64_t hash);
int		 strmap_add_hashed(struct strmap *m, const char *key,
		    uint64_t hash, void *value);

#endif
