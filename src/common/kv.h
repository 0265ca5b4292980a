/*
 * kv: the records recsync keeps in Consul KV, one a key:
 *
 *	PREFIX/N = {"record": "...", "expr": "..."}	(N = 1, 2, ...)
 *
 * Only keys directly under "PREFIX/" are ours: PREFIX-old/7 and
 * PREFIX/a/b are not.  A key whose last part is not a plain decimal number
 * is foreign and ignored; a numbered key whose value is not a record is
 * warned about, and its number still counts as taken.
 *
 * Ownership: the struct kv_entry passed to a kv_scan() callback, and every
 * string in it, live only until the callback returns.
 */
#ifndef RECSYNC_KV_H
#define RECSYNC_KV_H

#include <stddef.h>

#include "consul.h"
#include "record.h"

/*
 * The largest N of a PREFIX/N key: 18 digits, which a long long holds
 * with room to add to.  A wider N is no number of ours (kv_key_number).
 */
#define KV_MAX_NUMBER	999999999999999999LL

struct kv_entry {
	const char		*key;		/* the whole key */
	long long		 number;	/* N of PREFIX/N */
	unsigned long long	 modify_index;
	const char		*value;		/* decoded, NUL-terminated */
	size_t			 value_len;
};

typedef void kv_scan_fn(const struct kv_entry *e, void *arg);

/*
 * Calls fn for each numbered key under prefix/, with one recursive GET.
 * Returns 0, or a sysexits status after printing why.
 */
int	kv_scan(struct consul *c, const char *prefix, kv_scan_fn *fn, void *arg);
/* As kv_scan, and foreign keys under prefix/ too, with number 0. */
int	kv_scan_all(struct consul *c, const char *prefix, kv_scan_fn *fn,
	    void *arg);
/* The largest N of the PREFIX/N keys (0 when none), from one GET ?keys. */
int	kv_max_number(struct consul *c, const char *prefix, long long *max);
/* The number of PREFIX/N, or 0 when key is not of that form. */
long long kv_key_number(const char *prefix, const char *key);
/*
 * The record a value holds, with its index set to the key's number.
 * -1 and *why when the value is not a record.
 */
int	kv_entry_record(const struct kv_entry *e, struct record *r,
	    const char **why);
/*
 * As kv_entry_record, but the record as the value holds it: its text not
 * edited, its index the value's own (0 when none).  For a caller that
 * wants the name and expression only, and takes the key's number from e:
 * the edit costs kvdiff a tenth of its time at a million.
 */
int	kv_entry_value(const struct kv_entry *e, struct record *r,
	    const char **why);

#endif
