/*
 * The distinct heavy queries of a run, each with its hit count and longest
 * evaluation.  Memory grows with the number of distinct heavy queries, not
 * with the size of the logs.
 *
 * Ownership: the table owns each entry and its strings; the strmap borrows
 * the entries' expr as keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "diag.h"
#include "qlogscan.h"
#include "record.h"
#include "strmap.h"
#include "xalloc.h"

struct heavy {
	char			*expr;
	char			*name;	/* set when printing */
	unsigned long long	 count;
	double			 max_eval;
	struct timestamp	 last;	/* the latest line's time */
	int			 has_last;
};

struct heavy_table {
	const char	 *prefix;
	struct strmap	 *map;
	struct heavy	**v;
	size_t		  n, cap;
};

struct heavy_table *
heavy_new(const char *prefix)
{
	struct heavy_table *t = xcalloc(1, sizeof(*t));

	t->prefix = prefix;
	t->map = strmap_new();
	return t;
}

void
heavy_add(struct heavy_table *t, const struct hit *hit)
{
	struct heavy *h = strmap_get(t->map, hit->query);

	if (h == NULL) {
		h = xcalloc(1, sizeof(*h));
		h->expr = xstrdup(hit->query);
		h->max_eval = hit->eval_seconds;
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
		}
		t->v[t->n++] = h;
		strmap_add(t->map, h->expr, h);
	}
	h->count++;
	if (hit->eval_seconds > h->max_eval)
		h->max_eval = hit->eval_seconds;
	if (hit->has_when && (!h->has_last ||
	    timestamp_later(&hit->when, &h->last))) {
		h->last = hit->when;
		h->has_last = 1;
	}
}

size_t
heavy_count(const struct heavy_table *t)
{
	return t->n;
}

static EVP_MD *md5;

static void
md5_release(void)
{
	EVP_MD_free(md5);
}

/*
 * OpenSSL 3 looks an algorithm up by name on every EVP_md5() digest
 * unless it is fetched once: here, on first use.
 */
static const EVP_MD *
md5_md(void)
{
	if (md5 == NULL) {
		if ((md5 = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL)
			die(EX_SOFTWARE, "MD5 is not available from OpenSSL");
		atexit(md5_release);
	}
	return md5;
}

/* The same name as Python's hashlib.md5(query.encode()).hexdigest(). */
char *
heavy_name(const char *prefix, const char *query)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int i, mdlen;
	size_t plen = strlen(prefix);
	char *name, *p;

	if (EVP_Digest(query, strlen(query), md, &mdlen, md5_md(), NULL) != 1)
		die(EX_SOFTWARE, "MD5 is not available from OpenSSL");
	name = xmalloc(plen + 1 + 2 * mdlen + 1);
	memcpy(name, prefix, plen);
	p = name + plen;
	*p++ = ':';
	for (i = 0; i < mdlen; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 0xf];
	}
	*p = '\0';
	return name;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct heavy *x = *(struct heavy *const *)a;
	const struct heavy *y = *(struct heavy *const *)b;

	return strcmp(x->name, y->name);
}

/* The fewest significant digits that read back as x: 0.25, not 0.2500..1. */
static int
shortest_precision(double x)
{
	char buf[64];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return p;
}

static void
print_one(const struct heavy *h)
{
	char when[RFC3339_UTC_LEN];
	json_t *obj = json_object();
	size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(
	    shortest_precision(h->max_eval));

	/* A record as record.h has it, with numbers printed as wanted. */
	if (!record_name_valid(h->name) || h->expr[0] == '\0' ||
	    json_object_set_new(obj, "record", json_string(h->name)) != 0 ||
	    json_object_set_new(obj, "expr", json_string(h->expr)) != 0)
		die(EX_SOFTWARE, "%s: not a valid record", h->name);
	json_object_set_new(obj, "count", json_integer((json_int_t)h->count));
	json_object_set_new(obj, "max_eval_seconds", json_real(h->max_eval));
	/* As qlogscan --usage has it, so that one pass can feed both. */
	if (h->has_last && rfc3339_format_utc(h->last.sec, when) == 0)
		json_object_set_new(obj, "last_used", json_string(when));
	if (json_dumpf(obj, stdout, flags) != 0 || putc('\n', stdout) == EOF)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
	json_decref(obj);
}

void
heavy_print(struct heavy_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i]->name == NULL)
			t->v[i]->name = heavy_name(t->prefix, t->v[i]->expr);
	if (t->n > 1)	/* t->v is NULL while empty */
		qsort(t->v, t->n, sizeof(*t->v), cmp_name);
	for (i = 0; i < t->n; i++)
		print_one(t->v[i]);
}

void
heavy_free(struct heavy_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i]->expr);
		free(t->v[i]->name);
		free(t->v[i]);
	}
	free(t->v);
	strmap_free(t->map);
	free(t);
}
