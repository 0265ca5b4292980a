/*
 * The Consul listing reader as it was before it got a scanner of its own
 * (2026-12-03): yajl's streaming parser, held to jansson's rules by
 * jsonstrict.c.  The listing_diff harness and listing_test check that the
 * scanner in src/common/listing.c takes exactly the listings this one
 * takes, and hands on the same entries, wherever the pieces are cut.
 */
#ifndef LISTING_REF_H
#define LISTING_REF_H

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "base64.h"
#include "diag.h"
#include "jsonstrict.h"
#include "kv.h"
#include "listing.h"
#include "xalloc.h"

/* The member of an element being read. */
enum ref_member { REF_OTHER, REF_KEY, REF_MODIFY_INDEX, REF_VALUE };

/* What an element's member held, the last time it was given. */
enum ref_held { REF_ABSENT, REF_GOOD, REF_WRONG };

/* Depths: outside the array, inside it, inside an element. */
enum { REF_TOP, REF_ARRAY, REF_ELEMENT };

struct ref_listing {
	yajl_handle		 yajl;
	struct json_escapes	 escapes;
	const char		*prefix;
	int			 all;		/* foreign keys too */
	kv_scan_fn		*entry_fn;	/* a recursive listing */
	kv_key_fn		*key_fn;	/* a ?keys listing */
	void			*arg;
	int			 depth;
	int			 done;		/* the array is closed */
	int			 failed;
	unsigned long		 elements;

	/* The element being read. */
	enum ref_member		 member;
	enum ref_held		 key, modify_index, value;
	int			 value_bad;	/* not base64 */
	unsigned long long	 modify_index_value;
	char			*keybuf, *valbuf;
	size_t			 keycap, valcap, value_len;
};

/* Keeps a key, NUL-terminated, in l->keybuf. */
static void
ref_keep_key(struct ref_listing *l, const unsigned char *s, size_t len)
{
	if (len + 1 > l->keycap) {
		l->keycap = len + 1 > 2 * l->keycap ? len + 1 : 2 * l->keycap;
		l->keybuf = xreallocarray(l->keybuf, l->keycap, 1);
	}
	memcpy(l->keybuf, s, len);
	l->keybuf[len] = '\0';
}

/*
 * A value other than a string: 0 to stop when it is the whole answer or
 * an element of the array (an entry is an object, a key a string).
 */
static int
ref_non_string(struct ref_listing *l)
{
	if (l->depth <= REF_ARRAY)
		return 0;
	if (l->depth > REF_ELEMENT)		/* inside a member: not ours to read */
		return 1;
	if (l->member == REF_KEY)
		l->key = REF_WRONG;
	else if (l->member == REF_MODIFY_INDEX)
		l->modify_index = REF_WRONG;
	else if (l->member == REF_VALUE) {
		l->value = REF_GOOD;	/* null: a key with no value */
		l->value_len = 0;
		l->value_bad = 0;
	}
	return 1;
}

static int
ref_on_null(void *ctx)
{
	return ref_non_string(ctx);
}

static int
ref_on_boolean(void *ctx, int b)
{
	(void)b;
	return ref_non_string(ctx);
}

static int
ref_on_number(void *ctx, const char *text, size_t len)
{
	struct ref_listing *l = ctx;
	long long value;
	int integer;

	if (!json_number_ok(text, len, &integer, &value))
		return 0;
	if (l->depth == REF_ELEMENT && l->member == REF_MODIFY_INDEX) {
		/* Held to the scanner's rule since: 1 or more. */
		l->modify_index = integer && value > 0 ? REF_GOOD : REF_WRONG;
		l->modify_index_value = (unsigned long long)value;
		return 1;
	}
	return ref_non_string(l);
}

static int
ref_on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct ref_listing *l = ctx;

	/* A Value of ours is checked below: base64 is ASCII with no NUL. */
	if ((l->depth != REF_ELEMENT || l->member != REF_VALUE) &&
	    !json_string_ok((const char *)s, len))
		return 0;
	if (l->depth == REF_ARRAY && l->key_fn != NULL) {
		ref_keep_key(l, s, len);
		l->key_fn(l->keybuf, l->arg);
		l->elements++;
		return 1;
	}
	if (l->depth != REF_ELEMENT)
		return l->depth > REF_ELEMENT;	/* deeper: not ours to read */
	switch (l->member) {
	case REF_KEY:
		ref_keep_key(l, s, len);
		l->key = REF_GOOD;
		break;
	case REF_VALUE:
		/* Decoded now, judged at the element's end: is it ours? */
		l->value = REF_GOOD;
		l->value_bad = base64_decode_into((const char *)s, len,
		    &l->valbuf, &l->valcap, &l->value_len) != 0;
		/* Not base64: still JSON only if jansson's kind of string. */
		if (l->value_bad && !json_string_ok((const char *)s, len))
			return 0;
		break;
	case REF_MODIFY_INDEX:
		l->modify_index = REF_WRONG;
		break;
	case REF_OTHER:
		break;
	}
	return 1;
}

static int
ref_on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct ref_listing *l = ctx;

	if (!json_string_ok((const char *)s, len))
		return 0;
	if (l->depth != REF_ELEMENT)
		return 1;
	if (len == 3 && memcmp(s, "Key", 3) == 0)
		l->member = REF_KEY;
	else if (len == 11 && memcmp(s, "ModifyIndex", 11) == 0)
		l->member = REF_MODIFY_INDEX;
	else if (len == 5 && memcmp(s, "Value", 5) == 0)
		l->member = REF_VALUE;
	else
		l->member = REF_OTHER;
	return 1;
}

/* An object or an array opens: one level deeper. */
static int
ref_open_nested(struct ref_listing *l)
{
	if (l->depth == REF_ELEMENT && !ref_non_string(l))
		return 0;
	l->depth++;
	return 1;
}

static int
ref_on_start_map(void *ctx)
{
	struct ref_listing *l = ctx;

	if (l->depth == REF_TOP || (l->depth == REF_ARRAY && l->key_fn != NULL))
		return 0;
	if (l->depth == REF_ARRAY) {
		l->member = REF_OTHER;
		l->key = l->modify_index = l->value = REF_ABSENT;
		l->value_bad = 0;
		l->value_len = 0;
		l->depth = REF_ELEMENT;
		return 1;
	}
	return ref_open_nested(l);
}

static int
ref_on_start_array(void *ctx)
{
	struct ref_listing *l = ctx;

	if (l->depth == REF_TOP && !l->done) {
		l->depth = REF_ARRAY;
		return 1;
	}
	if (l->depth <= REF_ARRAY)
		return 0;
	return ref_open_nested(l);
}

/* An element read whole: handed on when it is a KV entry of ours. */
static int
ref_element_end(struct ref_listing *l)
{
	struct kv_entry e;

	if (l->key != REF_GOOD || l->modify_index != REF_GOOD || l->value != REF_GOOD)
		return 0;
	l->elements++;
	memset(&e, 0, sizeof(e));
	e.key = l->keybuf;
	e.number = kv_key_number(l->prefix, e.key);
	if (e.number == 0 && !l->all) {
		debug("ignoring %s: not a PREFIX/N key", e.key);
		return 1;
	}
	if (l->value_bad)
		return 0;
	e.modify_index = l->modify_index_value;
	e.value = l->value_len > 0 ? l->valbuf : "";
	e.value_len = l->value_len;
	l->entry_fn(&e, l->arg);
	return 1;
}

static int
ref_on_end_map(void *ctx)
{
	struct ref_listing *l = ctx;

	l->depth--;
	return l->depth == REF_ARRAY ? ref_element_end(l) : 1;
}

static int
ref_on_end_array(void *ctx)
{
	struct ref_listing *l = ctx;

	if (--l->depth == REF_TOP)
		l->done = 1;
	return 1;
}

static const yajl_callbacks ref_callbacks = {
	.yajl_null = ref_on_null,
	.yajl_boolean = ref_on_boolean,
	.yajl_number = ref_on_number,
	.yajl_string = ref_on_string,
	.yajl_start_map = ref_on_start_map,
	.yajl_map_key = ref_on_map_key,
	.yajl_end_map = ref_on_end_map,
	.yajl_start_array = ref_on_start_array,
	.yajl_end_array = ref_on_end_array,
};

static struct ref_listing *
ref_listing_new(void)
{
	struct ref_listing *l = xcalloc(1, sizeof(*l));

	if ((l->yajl = yajl_alloc(&ref_callbacks, NULL, l)) == NULL)
		die(EX_OSERR, "out of memory");
	/* Strings are checked by jansson's rules instead (jsonstrict.h). */
	yajl_config(l->yajl, yajl_dont_validate_strings, 1);
	json_escapes_init(&l->escapes);
	return l;
}

static struct ref_listing *
ref_listing_entries(const char *prefix, int all, kv_scan_fn *fn, void *arg)
{
	struct ref_listing *l = ref_listing_new();

	l->prefix = prefix;
	l->all = all;
	l->entry_fn = fn;
	l->arg = arg;
	return l;
}

static struct ref_listing *
ref_listing_keys(kv_key_fn *fn, void *arg)
{
	struct ref_listing *l = ref_listing_new();

	l->key_fn = fn;
	l->arg = arg;
	return l;
}

static int
ref_listing_feed(struct ref_listing *l, const char *data, size_t len)
{
	if (l->failed)
		return -1;
	if (json_escapes_feed(&l->escapes, data, len) != 0 ||
	    yajl_parse(l->yajl, (const unsigned char *)data, len) != yajl_status_ok)
		l->failed = 1;
	return l->failed ? -1 : 0;
}

static int
ref_listing_end(struct ref_listing *l)
{
	if (!l->failed && (json_escapes_end(&l->escapes) != 0 ||
	    yajl_complete_parse(l->yajl) != yajl_status_ok || !l->done))
		l->failed = 1;
	return l->failed ? -1 : 0;
}

static unsigned long
ref_listing_elements(const struct ref_listing *l)
{
	return l->elements;
}

static void
ref_listing_free(struct ref_listing *l)
{
	if (l == NULL)
		return;
	yajl_free(l->yajl);
	free(l->keybuf);
	free(l->valbuf);
	free(l);
}

#endif
