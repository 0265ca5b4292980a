/*
 * listing: Consul's answer to a GET under a prefix, read as it arrives
 * with yajl's streaming parser, so that a listing of a million keys is
 * never held whole nor turned into trees: each element's Key, ModifyIndex
 * and Value are taken from the parser's callbacks and handed on.
 *
 *	?recurse	[{"Key": ..., "ModifyIndex": N, "Value": "base64" | null,
 *			  other members}, ...]
 *	?keys		["key", ...]
 *
 * An element that is not a KV entry as Consul sends one (not an object,
 * Key not a string, ModifyIndex not an integer of 1 or more, no Value, a
 * Value of ours that is not base64) fails the listing, as does text that
 * is not one JSON array or that jansson would refuse: a NUL byte, \u0000,
 * a surrogate out of a pair, a number out of range, a Key that is not
 * UTF-8.
 *
 * Ownership: the struct kv_entry (and the key) handed to a callback live
 * until it returns.
 */
#ifndef RECSYNC_LISTING_H
#define RECSYNC_LISTING_H

#include <stddef.h>

#include "kv.h"

typedef void kv_key_fn(const char *key, void *arg);

struct listing;

/*
 * A recursive listing: fn is called for each PREFIX/N key (each key with
 * all), with its value decoded.
 */
struct listing	*listing_entries(const char *prefix, int all, kv_scan_fn *fn,
		    void *arg);
/* A ?keys listing: fn is called for each key. */
struct listing	*listing_keys(kv_key_fn *fn, void *arg);
/* The next piece of the answer: -1 once it is not a listing. */
int		 listing_feed(struct listing *l, const char *data, size_t len);
/* At the end of the answer: -1 unless it was one whole listing. */
int		 listing_end(struct listing *l);
/* Whether the text read so far is no listing (see above). */
int		 listing_failed(const struct listing *l);
/* The elements read whole so far. */
unsigned long	 listing_elements(const struct listing *l);
void		 listing_free(struct listing *l);

#endif
