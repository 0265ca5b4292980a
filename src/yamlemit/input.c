/*
 * Reading the records.  This is record_read()'s loop (same checks, same
 * messages) kept here because a duplicate or an unsharded record must be
 * reported with its file:line, and record_input does not tell the line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xalloc.h"
#include "yamlemit.h"

/* The worst status wins: I/O errors, then unreadable input, then bad data. */
static void
worsen(int *status, int s)
{
	if (*status == EX_OK || s == EX_IOERR ||
	    (s == EX_NOINPUT && *status == EX_DATAERR))
		*status = s;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Decodes one line into *r; warns and returns -1 when it is not a record. */
static int
decode(const char *file, unsigned long line, const char *buf, size_t len,
    struct record *r)
{
	json_error_t err;
	const char *why;
	json_t *obj;

	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL) {
		warn_at(file, line, "not a JSON record: %s (column %d)",
		    err.text, err.column);
		return -1;
	}
	if (record_from_json(obj, r, &why) != 0) {
		warn_at(file, line, "%s", why);
		json_decref(obj);
		return -1;
	}
	return 0;
}

/* Whether --shard keeps r; a record without an index is an error. */
static int
in_shard(const struct shard *sh, const char *file, unsigned long line,
    const struct record *r, int *status)
{
	if (sh->n == 0)
		return 1;
	if (r->index == 0) {
		warn_at(file, line, "no \"index\" to shard by");
		worsen(status, EX_DATAERR);
		return 0;
	}
	return r->index % sh->n == sh->k;
}

static void
push(struct ruleset *rs, const char *text, size_t len, const struct record *r,
    const char *file, unsigned long line)
{
	size_t namelen = strlen(r->name);
	struct item *it;

	if (rs->nitems == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 1024;
		rs->items = xreallocarray(rs->items, rs->cap, sizeof(*rs->items));
	}
	it = &rs->items[rs->nitems++];
	memset(it, 0, sizeof(*it));
	it->text = xmalloc(len + namelen + 2);
	memcpy(it->text, text, len);
	it->text[len] = '\0';
	memcpy(it->text + len + 1, r->name, namelen + 1);
	it->name = it->text + len + 1;
	it->len = len;
	it->index = r->index;
	it->file = file;
	it->line = line;
}

void
item_record(const struct item *it, struct record *r)
{
	json_t *obj = json_loadb(it->text, it->len, JSON_REJECT_DUPLICATES, NULL);
	const char *why;

	/* It decoded when it was read: failing now is a bug. */
	if (obj == NULL || record_from_json(obj, r, &why) != 0)
		die(EX_SOFTWARE, "%s:%lu: the record no longer decodes",
		    it->file, it->line);
}

/* Reads one open stream to its end. */
static void
read_stream(struct ruleset *rs, FILE *fp, const char *file,
    const struct shard *sh, int *status)
{
	char *buf = NULL;
	size_t cap = 0, len;
	unsigned long line = 0;
	ssize_t got;
	struct record r;

	while ((got = getline(&buf, &cap, fp)) != -1) {
		len = (size_t)got;
		line++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		if (blank(buf, len))
			continue;
		if (decode(file, line, buf, len, &r) != 0) {
			worsen(status, EX_DATAERR);
			continue;
		}
		rs->nread++;
		if (in_shard(sh, file, line, &r, status))
			push(rs, buf, len, &r, file, line);
		record_free(&r);
	}
	if (ferror(fp)) {
		warnmsg("%s: read error: %s", file, strerror(errno));
		worsen(status, EX_IOERR);
	}
	free(buf);
}

int
ruleset_read(struct ruleset *rs, int argc, char **argv, const struct shard *sh)
{
	static char *stdin_only[] = { "-" };
	int i, status = EX_OK;
	FILE *fp;

	if (argc == 0) {
		argc = 1;
		argv = stdin_only;
	}
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			read_stream(rs, stdin, "<stdin>", sh, &status);
			continue;
		}
		if ((fp = fopen(argv[i], "r")) == NULL) {
			warnmsg("%s: %s", argv[i], strerror(errno));
			worsen(&status, EX_NOINPUT);
			continue;
		}
		read_stream(rs, fp, argv[i], sh, &status);
		fclose(fp);
	}
	return status;
}

/* By record name, bytewise; equal names in input order. */
static int
cmp_sorted(const void *a, const void *b, void *arg)
{
	const struct item *items = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(items[x].name, items[y].name);

	return c ? c : (x > y) - (x < y);
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
	struct record a, b;
	int same;

	item_record(dup, &a);
	item_record(first, &b);
	same = strcmp(a.expr, b.expr) == 0;
	record_free(&a);
	record_free(&b);
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
	for (i = 0; i < rs->nitems; i++)
		rs->sorted[i] = i;
	qsort_r(rs->sorted, rs->nitems, sizeof(*rs->sorted), cmp_sorted,
	    rs->items);
	/* Keep the first of each name; list the others to report in input order. */
	dups = xreallocarray(NULL, rs->nitems ? rs->nitems : 1, sizeof(*dups));
	for (i = 0; i < rs->nitems; i++) {
		struct item *it = &rs->items[rs->sorted[i]];

		if (n > 0 && strcmp(it->name,
		    rs->items[rs->sorted[first]].name) == 0) {
			it->dropped = 1;
			dups[ndup++] = rs->sorted[i];
			continue;
		}
		first = n;
		rs->sorted[n++] = rs->sorted[i];
	}
	rs->nsorted = n;
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

	for (i = 0; i < rs->nitems; i++) {
		free(rs->items[i].text);
		free(rs->items[i].reject);
	}
	free(rs->items);
	free(rs->sorted);
	memset(rs, 0, sizeof(*rs));
}
