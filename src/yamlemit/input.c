/*
 * Reading the records through record_input (it warns about bad lines and
 * skips them), sharding them, sorting them and removing duplicates.  Each
 * record is kept as the line it came in, its name and where its expression
 * lies (see yamlemit.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xalloc.h"
#include "yamlemit.h"

/* Whether --shard keeps r; a record without an index is an error. */
static int
in_shard(const struct shard *sh, const struct record_input *in,
    const struct record *r, int *unsharded)
{
	if (sh->n == 0)
		return 1;
	if (r->index == 0) {
		warn_at(record_input_file(in), record_input_line(in),
		    "no \"index\" to shard by");
		*unsharded = 1;
		return 0;
	}
	return r->index % sh->n == sh->k;
}

/*
 * A file name for the items' diagnostics, copied once.  Items outlive the
 * reader and record.h does not say how long its name lives; origins name
 * the user's files in any order.
 */
static const char *
file_name(struct ruleset *rs, const char *file, size_t len)
{
	const char *last = rs->nfiles ? rs->files[rs->nfiles - 1] : NULL;
	const char *kept;
	char *copy;

	/* Most records come from the file the one before came from. */
	if (last != NULL && strncmp(last, file, len) == 0 && last[len] == '\0')
		return last;
	copy = xstrndup(file, len);
	if (rs->file_names == NULL)
		rs->file_names = strmap_new();
	if ((kept = strmap_get(rs->file_names, copy)) != NULL) {
		free(copy);
		return kept;
	}
	rs->files = xreallocarray(rs->files, rs->nfiles + 1,
	    sizeof(*rs->files));
	rs->files[rs->nfiles++] = copy;
	strmap_add(rs->file_names, copy, copy);
	return copy;
}

/*
 * --origin: where the record was read before our input, from its
 * "origin": "FILE:LINE" (FILE may hold colons, LINE is digits).  Returns 0
 * with it->file and it->line set, or -1 when r carries no such origin.
 */
static int
take_origin(struct ruleset *rs, struct item *it, const char *s)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	unsigned long line;
	char *end;

	if (colon == NULL || colon == s || colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	line = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || line == 0)
		return -1;
	it->file = file_name(rs, s, (size_t)(colon - s));
	it->line = line;
	return 0;
}

/*
 * The items' texts are carved from chunks of TEXT_CHUNK bytes (a text
 * longer gets a chunk of its own): no allocation a record.
 */
#define TEXT_CHUNK	(4 << 20)

static char *
text_room(struct ruleset *rs, size_t size)
{
	size_t cap = size > TEXT_CHUNK ? size : TEXT_CHUNK;
	char *p;

	if (size > rs->chunk_left) {
		rs->chunks = xreallocarray(rs->chunks, rs->nchunks + 1,
		    sizeof(*rs->chunks));
		rs->chunks[rs->nchunks++] = rs->chunk_at = xmalloc(cap);
		rs->chunk_left = cap;
	}
	p = rs->chunk_at;
	rs->chunk_at += size;
	rs->chunk_left -= size;
	return p;
}

/* Up to eight bytes of name, big-endian, zeros past its end. */
static uint64_t
head_of(const char *name)
{
	uint64_t h = 0;
	int k;

	for (k = 0; k < 8; k++) {
		h = h << 8 | (unsigned char)*name;
		if (*name != '\0')
			name++;
	}
	return h;
}

/*
 * The item's sort key, made while its name is in the cache (a pass over a
 * million names afterwards missed it on each), and the bytes every name
 * shares so far: a name that shares fewer with the first leaves the keys
 * before it to be made again (sort_names()).
 */
static void
key_name(struct ruleset *rs, size_t i, size_t namelen)
{
	const char *name = rs->items[i].name, *first = rs->items[0].name;
	size_t k;

	if (i == 0)
		rs->skip = namelen;
	for (k = 0; k < rs->skip && name[k] == first[k]; k++)
		;
	if (k < rs->skip) {
		rs->skip = k;
		rs->keys_from = i;
	}
	rs->keys[i] = (struct sortkey){ head_of(name + rs->skip), i };
}

/* Keeps r as the text it was read as, with its name after the text's NUL. */
static void
push(struct ruleset *rs, const struct record_input *in, const struct record *r)
{
	size_t len = r->text_len, namelen = strlen(r->name);
	struct item *it;

	if (rs->nitems == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 1024;
		rs->items = xreallocarray(rs->items, rs->cap, sizeof(*rs->items));
		rs->keys = xreallocarray(rs->keys, rs->cap, sizeof(*rs->keys));
	}
	it = &rs->items[rs->nitems];
	memset(it, 0, sizeof(*it));
	/* The text, then the name: they lie so in r's allocation. */
	it->text = text_room(rs, len + 1 + namelen + 1);
	memcpy(it->text, r->text, len + 1 + namelen + 1);
	it->name = it->text + len + 1;
	it->expr_at = r->expr_at;
	it->expr_raw_len = r->expr_raw_len;
	it->expr_len = r->expr_len;
	it->len = len;
	it->index = r->index;
	if (!rs->origin || take_origin(rs, it, record_input_member(in)) != 0) {
		it->file = file_name(rs, record_input_file(in),
		    strlen(record_input_file(in)));
		it->line = record_input_line(in);
	}
	key_name(rs, rs->nitems++, namelen);
}

int
ruleset_read(struct ruleset *rs, int argc, char **argv, const struct shard *sh)
{
	struct record_input in;
	struct record r;
	int status, unsharded = 0;

	record_input_init(&in, argc, argv);
	if (rs->origin)
		in.want = "origin";
	/* Lent: each record is copied where it is kept, or dropped. */
	while (record_input_lend(&in, &r)) {
		rs->nread++;
		if (in_shard(sh, &in, &r, &unsharded))
			push(rs, &in, &r);
	}
	rs->nbad = in.bad;
	/* The input's 66 or 74 outranks the 65 of an unsharded record. */
	status = record_input_status(&in);
	return status == EX_OK && unsharded ? EX_DATAERR : status;
}

void
item_record(const struct item *it, struct record *r)
{
	const char *why;

	/* It decoded when it was read: failing now is a bug. */
	if (record_parse(it->text, it->len, r, &why, NULL) != 0)
		die(EX_SOFTWARE, "%s:%lu: the record no longer decodes",
		    it->file, it->line);
}

const char *
item_expr(const struct item *it, char **buf, size_t *cap)
{
	if (it->expr != NULL)
		return it->expr;
	if (it->expr_raw_len == it->expr_len)
		return it->text + it->expr_at;
	if (*cap < it->expr_raw_len) {
		*cap = it->expr_raw_len;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	record_unescape(it->text + it->expr_at, it->expr_raw_len, *buf);
	return *buf;
}

/* What the sort's comparison needs besides the keys. */
struct sortarg {
	const struct item	*items;
	size_t			 skip;	/* the bytes every name shares */
};

/* By record name, bytewise; equal names in input order. */
static int
cmp_sorted(const void *a, const void *b, void *arg)
{
	const struct sortkey *x = a, *y = b;
	const struct sortarg *sa = arg;
	int c;

	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	c = strcmp(sa->items[x->i].name + sa->skip,
	    sa->items[y->i].name + sa->skip);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * rs->keys sorted by name, and rs->sorted every item's index in that
 * order.  The sort reads 16 bytes an item in one array, not two scattered
 * allocations (a million names are hundreds of megabytes of cache misses
 * otherwise).
 */
static void
sort_names(struct ruleset *rs)
{
	struct sortarg sa = { rs->items, rs->skip };
	size_t i;

	if (rs->nitems == 0)
		return;		/* and keys is NULL, which qsort_r may not take */
	for (i = 0; i < rs->keys_from; i++)
		rs->keys[i].head = head_of(rs->items[i].name + rs->skip);
	qsort_r(rs->keys, rs->nitems, sizeof(*rs->keys), cmp_sorted, &sa);
	for (i = 0; i < rs->nitems; i++)
		rs->sorted[i] = rs->keys[i].i;
}

static int
cmp_index(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/*
 * Reports a duplicate.  The same record twice is harmless (a note); one name
 * with two different expressions is bad data.
 */
static int
report_duplicate(const struct item *dup, const struct item *first)
{
	char *a = NULL, *b = NULL;
	size_t acap = 0, bcap = 0;
	int same = dup->expr_len == first->expr_len &&
	    memcmp(item_expr(dup, &a, &acap), item_expr(first, &b, &bcap),
	    dup->expr_len) == 0;

	free(a);
	free(b);
	if (same) {
		note("%s:%lu: record %s repeats %s:%lu; skipped", dup->file,
		    dup->line, dup->name, first->file, first->line);
		return EX_OK;
	}
	warn_at(dup->file, dup->line, "record %s was given another expr at "
	    "%s:%lu; skipped (the first is kept)", dup->name, first->file,
	    first->line);
	return EX_DATAERR;
}

/* The kept item of this name (binary search over the sorted, unique names). */
static const struct item *
kept(const struct ruleset *rs, const char *name)
{
	size_t lo = 0, hi = rs->nsorted, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(rs->items[rs->sorted[mid]].name, name);
		if (c == 0)
			return &rs->items[rs->sorted[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
ruleset_sort(struct ruleset *rs)
{
	size_t i, first = 0, n = 0, ndup = 0, *dups;
	int status = EX_OK;

	rs->sorted = xreallocarray(NULL, rs->nitems ? rs->nitems : 1,
	    sizeof(*rs->sorted));
	sort_names(rs);
	/*
	 * Keep the first of each name (rs->keys[first] in the sorted keys);
	 * list the others to report in input order.
	 */
	dups = xreallocarray(NULL, rs->nitems ? rs->nitems : 1, sizeof(*dups));
	for (i = 0; i < rs->nitems; i++) {
		struct item *it = &rs->items[rs->keys[i].i];

		/* Names with different keys differ: no look at them. */
		if (n > 0 && rs->keys[i].head == rs->keys[first].head &&
		    strcmp(it->name, rs->items[rs->keys[first].i].name) == 0) {
			it->dropped = 1;
			dups[ndup++] = rs->sorted[i];
			continue;
		}
		first = i;
		rs->sorted[n++] = rs->sorted[i];
	}
	rs->nsorted = n;
	free(rs->keys);
	rs->keys = NULL;
	qsort(dups, ndup, sizeof(*dups), cmp_index);
	for (i = 0; i < ndup; i++)
		if (report_duplicate(&rs->items[dups[i]],
		    kept(rs, rs->items[dups[i]].name)) != EX_OK)
			status = EX_DATAERR;
	free(dups);
	return status;
}

void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->nitems; i++)
		free(rs->items[i].reject);
	for (i = 0; i < rs->nchunks; i++)
		free(rs->chunks[i]);
	free(rs->chunks);
	free(rs->keys);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	if (rs->file_names != NULL)
		strmap_free(rs->file_names);
	free(rs->items);
	free(rs->sorted);
	memset(rs, 0, sizeof(*rs));
}
