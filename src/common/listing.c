#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "base64.h"
#include "diag.h"
#include "jsonstrict.h"
#include "listing.h"
#include "xalloc.h"

/* The member of an element being read. */
enum member { OTHER, KEY, MODIFY_INDEX, VALUE };

/* What an element's member held, the last time it was given. */
enum held { ABSENT, GOOD, WRONG };

/* Depths: outside the array, inside it, inside an element. */
enum { TOP, ARRAY, ELEMENT };

struct listing {
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
	enum member		 member;
	enum held		 key, modify_index, value;
	int			 value_bad;	/* not base64 */
	unsigned long long	 modify_index_value;
	char			*keybuf, *valbuf;
	size_t			 keycap, valcap, value_len;
};

/* Keeps a key, NUL-terminated, in l->keybuf. */
static void
keep_key(struct listing *l, const unsigned char *s, size_t len)
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
non_string(struct listing *l)
{
	if (l->depth <= ARRAY)
		return 0;
	if (l->depth > ELEMENT)		/* inside a member: not ours to read */
		return 1;
	if (l->member == KEY)
		l->key = WRONG;
	else if (l->member == MODIFY_INDEX)
		l->modify_index = WRONG;
	else if (l->member == VALUE) {
		l->value = GOOD;	/* null: a key with no value */
		l->value_len = 0;
		l->value_bad = 0;
	}
	return 1;
}

static int
on_null(void *ctx)
{
	return non_string(ctx);
}

static int
on_boolean(void *ctx, int b)
{
	(void)b;
	return non_string(ctx);
}

static int
on_number(void *ctx, const char *text, size_t len)
{
	struct listing *l = ctx;
	long long value;
	int integer;

	if (!json_number_ok(text, len, &integer, &value))
		return 0;
	if (l->depth == ELEMENT && l->member == MODIFY_INDEX) {
		l->modify_index = integer ? GOOD : WRONG;
		l->modify_index_value = (unsigned long long)value;
		return 1;
	}
	return non_string(l);
}

static int
on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct listing *l = ctx;

	/* A Value of ours is checked below: base64 is ASCII with no NUL. */
	if ((l->depth != ELEMENT || l->member != VALUE) &&
	    !json_string_ok((const char *)s, len))
		return 0;
	if (l->depth == ARRAY && l->key_fn != NULL) {
		keep_key(l, s, len);
		l->key_fn(l->keybuf, l->arg);
		l->elements++;
		return 1;
	}
	if (l->depth != ELEMENT)
		return l->depth > ELEMENT;	/* deeper: not ours to read */
	switch (l->member) {
	case KEY:
		keep_key(l, s, len);
		l->key = GOOD;
		break;
	case VALUE:
		/* Decoded now, judged at the element's end: is it ours? */
		l->value = GOOD;
		l->value_bad = base64_decode_into((const char *)s, len,
		    &l->valbuf, &l->valcap, &l->value_len) != 0;
		/* Not base64: still JSON only if jansson's kind of string. */
		if (l->value_bad && !json_string_ok((const char *)s, len))
			return 0;
		break;
	case MODIFY_INDEX:
		l->modify_index = WRONG;
		break;
	case OTHER:
		break;
	}
	return 1;
}

static int
on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct listing *l = ctx;

	if (!json_string_ok((const char *)s, len))
		return 0;
	if (l->depth != ELEMENT)
		return 1;
	if (len == 3 && memcmp(s, "Key", 3) == 0)
		l->member = KEY;
	else if (len == 11 && memcmp(s, "ModifyIndex", 11) == 0)
		l->member = MODIFY_INDEX;
	else if (len == 5 && memcmp(s, "Value", 5) == 0)
		l->member = VALUE;
	else
		l->member = OTHER;
	return 1;
}

/* An object or an array opens: one level deeper. */
static int
open_nested(struct listing *l)
{
	if (l->depth == ELEMENT && !non_string(l))
		return 0;
	l->depth++;
	return 1;
}

static int
on_start_map(void *ctx)
{
	struct listing *l = ctx;

	if (l->depth == TOP || (l->depth == ARRAY && l->key_fn != NULL))
		return 0;
	if (l->depth == ARRAY) {
		l->member = OTHER;
		l->key = l->modify_index = l->value = ABSENT;
		l->value_bad = 0;
		l->value_len = 0;
		l->depth = ELEMENT;
		return 1;
	}
	return open_nested(l);
}

static int
on_start_array(void *ctx)
{
	struct listing *l = ctx;

	if (l->depth == TOP && !l->done) {
		l->depth = ARRAY;
		return 1;
	}
	if (l->depth <= ARRAY)
		return 0;
	return open_nested(l);
}

/* An element read whole: handed on when it is a KV entry of ours. */
static int
element_end(struct listing *l)
{
	struct kv_entry e;

	if (l->key != GOOD || l->modify_index != GOOD || l->value != GOOD)
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
on_end_map(void *ctx)
{
	struct listing *l = ctx;

	l->depth--;
	return l->depth == ARRAY ? element_end(l) : 1;
}

static int
on_end_array(void *ctx)
{
	struct listing *l = ctx;

	if (--l->depth == TOP)
		l->done = 1;
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

static struct listing *
listing_new(void)
{
	struct listing *l = xcalloc(1, sizeof(*l));

	if ((l->yajl = yajl_alloc(&callbacks, NULL, l)) == NULL)
		die(EX_OSERR, "out of memory");
	/* Strings are checked by jansson's rules instead (jsonstrict.h). */
	yajl_config(l->yajl, yajl_dont_validate_strings, 1);
	json_escapes_init(&l->escapes);
	return l;
}

struct listing *
listing_entries(const char *prefix, int all, kv_scan_fn *fn, void *arg)
{
	struct listing *l = listing_new();

	l->prefix = prefix;
	l->all = all;
	l->entry_fn = fn;
	l->arg = arg;
	return l;
}

struct listing *
listing_keys(kv_key_fn *fn, void *arg)
{
	struct listing *l = listing_new();

	l->key_fn = fn;
	l->arg = arg;
	return l;
}

int
listing_feed(struct listing *l, const char *data, size_t len)
{
	if (l->failed)
		return -1;
	if (json_escapes_feed(&l->escapes, data, len) != 0 ||
	    yajl_parse(l->yajl, (const unsigned char *)data, len) != yajl_status_ok)
		l->failed = 1;
	return l->failed ? -1 : 0;
}

int
listing_end(struct listing *l)
{
	if (!l->failed && (json_escapes_end(&l->escapes) != 0 ||
	    yajl_complete_parse(l->yajl) != yajl_status_ok || !l->done))
		l->failed = 1;
	return l->failed ? -1 : 0;
}

int
listing_failed(const struct listing *l)
{
	return l->failed;
}

unsigned long
listing_elements(const struct listing *l)
{
	return l->elements;
}

void
listing_free(struct listing *l)
{
	if (l == NULL)
		return;
	yajl_free(l->yajl);
	free(l->keybuf);
	free(l->valbuf);
	free(l);
}
