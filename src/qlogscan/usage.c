/*
 * --usage: which records the logs show in use, with the latest time and
 * the number of lines for each.  A line over HTTP (whatever the endpoint
 * and the duration) uses a record when its query or a match[] selector
 * names it (the proxy rewrote a heavy query into its recorded series), or
 * when its query cleans and hashes to it (a heavy query that bypassed the
 * proxy).  Rule evaluations are no use: a recording rule's own evaluation
 * logs its expression every interval, and would keep every record alive.
 *
 * Memory grows with the number of distinct names, not with the logs.
 * Ownership: the table owns each entry; the strmap borrows the entries'
 * names as keys.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "qlogscan.h"
#include "strmap.h"
#include "xalloc.h"

#define MD5_HEX	32
/*
 * The texts' names are a cache: past this many bytes of text (a log of
 * ever new queries) it starts again empty, so memory stays bounded.
 */
#define TEXT_CACHE_BYTES	((size_t)64 << 20)
#define CACHE_LINE	64	/* bytes, on every x86-64 and most others */

struct use {
	char			*name;
	struct timestamp	 last;
	unsigned long long	 lines;
	unsigned long long	 counted_line;	/* the last line counted */
};

/*
 * A line of a batch, walked but not yet looked up: the lookups of a batch
 * miss the caches together rather than one after another.
 */
struct pending {
	const char	 *line;
	size_t		  len;
	int		  partial;
	int		  walked;	/* 0, or -1: jansson must decode it */
	struct log_fields fields;	/* the walker's, reused */
	uint64_t	  qhash;	/* of the query, when walked with one */
};

struct usage_table {
	const char	 *prefix;
	size_t		  prefixlen;
	struct strmap	 *map;
	struct use	**v;
	size_t		  n, cap;
	struct text_slot *texts;	/* open addressing, ns NULL when free */
	size_t		  ntexts, textcap;	/* textcap: a power of 2 */
	size_t		  textbytes;	/* the texts' keys, in bytes */
	const char	 *qtext;	/* the walked query's, and its hash */
	uint64_t	  qhash;
	struct text	 *match;	/* a line's selectors, reused */
	size_t		  nmatch;
	unsigned long long lineno;	/* lines with a time so far */
	int		  line_used;
	struct pending	  batch[USAGE_BATCH];
};

/*
 * The names a query or a selector uses, worked out once per distinct text.
 * The key lives in the same allocation: a lookup touches one block.
 */
struct names {
	struct use	**v;
	size_t		  n;
	size_t		  keylen;
	char		  key[];	/* the text, with its kind in front */
};

/*
 * A slot of the texts' table.  Each line looks a text up in a table too
 * large for the caches, so the hash is kept in the slot: a probe that
 * misses reads no entry, and a hit reads the slot and its entry only.
 */
struct text_slot {
	uint64_t	  hash;		/* of the key */
	struct names	 *ns;
};

/* A query or selector as the line has it: raw JSON (a span) or decoded. */
struct text {
	const char	*p;
	size_t		 n;
	int		 raw, escaped;
};

/* One line's fields when jansson decoded it. */
struct entry {
	char	 *time, *query;
	char	**match;
	size_t	  nmatch, matchcap;
	int	  http;
};

struct usage_table *
usage_new(const char *prefix)
{
	struct usage_table *t = xcalloc(1, sizeof(*t));

	t->prefix = prefix;
	t->prefixlen = strlen(prefix);
	t->map = strmap_new();
	t->textcap = 1024;
	t->texts = xcalloc(t->textcap, sizeof(*t->texts));
	return t;
}

size_t
usage_count(const struct usage_table *t)
{
	return t->n;
}

static void
entry_clear(struct entry *e)
{
	size_t i;

	free(e->time);
	free(e->query);
	for (i = 0; i < e->nmatch; i++)
		free(e->match[i]);
	free(e->match);
	memset(e, 0, sizeof(*e));
}

static void
entry_add_match(struct entry *e, char *s)
{
	if (e->nmatch == e->matchcap) {
		e->matchcap = e->matchcap ? 2 * e->matchcap : 4;
		e->match = xreallocarray(e->match, e->matchcap,
		    sizeof(*e->match));
	}
	e->match[e->nmatch++] = s;
}

/* A string member, copied; NULL when absent. 0, or -1 for another type. */
static int
member_string(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static enum reason
bad(char **why, const char *what)
{
	*why = xstrdup(what);
	return R_BAD;
}

/* The entry from jansson's tree: the reasons a line is bad live here. */
static enum reason
entry_from_tree(struct entry *e, json_t *o, char **why)
{
	json_t *req = json_object_get(o, "httpRequest");
	json_t *params = json_object_get(o, "params"), *m, *v;
	size_t i;

	if (!json_is_object(o))
		return bad(why, "not a JSON object");
	if (req != NULL && !json_is_object(req))
		return bad(why, "\"httpRequest\" is not an object");
	e->http = req != NULL;
	if (member_string(o, "ts", &e->time) != 0 ||
	    (e->time == NULL && member_string(o, "time", &e->time) != 0))
		return bad(why, "\"ts\" or \"time\" is not a string");
	if (params != NULL && !json_is_object(params))
		return bad(why, "\"params\" is not an object");
	if (member_string(params, "query", &e->query) != 0)
		return bad(why, "\"params.query\" is not a string");
	m = json_object_get(params, "match[]");
	if (json_is_string(m))
		entry_add_match(e, xstrdup(json_string_value(m)));
	json_array_foreach(m, i, v) {
		if (!json_is_string(v))
			break;
		entry_add_match(e, xstrdup(json_string_value(v)));
	}
	if (m != NULL && e->nmatch < (json_is_array(m) ? json_array_size(m) : 1))
		return bad(why, "\"params.match[]\" is not a string or an array "
		    "of strings");
	return R_SELECTED;
}

/* Decodes a line the walker could not vouch for. */
static enum reason
entry_decode(struct entry *e, const char *line, size_t len, int partial,
    char **why)
{
	json_error_t err;
	enum reason r;
	json_t *o;

	if ((o = json_loadb(line, len, 0, &err)) == NULL) {
		if (jalloc_refused()) {
			*why = xstrdup("too large to decode in the memory "
			    "--max-line allows");
			return R_TOOLONG;
		}
		if (partial)
			return R_TRUNCATED;
		*why = xasprintf("not JSON: %s (column %d)", err.text,
		    err.column);
		return R_BAD;
	}
	r = entry_from_tree(e, o, why);
	json_decref(o);
	return r;
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == ':';
}

static int
md5_hex(const char *s)
{
	int i;

	for (i = 0; i < MD5_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/* The table's entry for name (taken), made on first sight. */
static struct use *
use_of(struct usage_table *t, char *name)
{
	struct use *u;

	if ((u = strmap_get(t->map, name)) != NULL) {
		free(name);
		return u;
	}
	u = xcalloc(1, sizeof(*u));
	u->name = name;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n++] = u;
	strmap_add(t->map, u->name, u);
	return u;
}

static void
names_add(struct names *ns, struct use *u)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (ns->v[i] == u)
			return;
	ns->v = xreallocarray(ns->v, ns->n + 1, sizeof(*ns->v));
	ns->v[ns->n++] = u;
}

/* Every PREFIX:<md5> that text names as a whole metric name. */
static void
find_names(struct usage_table *t, const char *text, struct names *ns)
{
	const char *p = text, *hex;

	while ((p = strstr(p, t->prefix)) != NULL) {
		hex = p + t->prefixlen + 1;
		if ((p == text || !name_char(p[-1])) && p[t->prefixlen] == ':' &&
		    strnlen(hex, MD5_HEX) == MD5_HEX && md5_hex(hex) &&
		    !name_char(hex[MD5_HEX]))
			names_add(ns, use_of(t, xstrndup(p, hex + MD5_HEX - p)));
		p++;
	}
}

/*
 * The query's own name, as the heavy-query mode would give it; none for a
 * query that already uses a recorded series, as there.
 */
static void
hash_query(struct usage_table *t, char *query, struct names *ns)
{
	if (strstr(query, t->prefix) == NULL &&
	    clean_query(query, strlen(query)) > 0)
		names_add(ns, use_of(t, heavy_name(t->prefix, query)));
}

/*
 * The hash of a text: a word at a time, as the lookup runs on every line
 * (FNV's byte at a time took a tenth of --usage).
 */
static uint64_t
text_hash(const char *p, size_t n, uint64_t seed)
{
	const uint64_t k = 0xbf58476d1ce4e5b9ULL;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 32);
}

/* A text's hash, its kind and form (raw or decoded) in the seed. */
static uint64_t
text_hash_of(char kind, const struct text *x)
{
	return text_hash(x->p, x->n, (uint64_t)kind << 1 | x->raw);
}

static void
names_free(struct names *ns)
{
	free(ns->v);
	free(ns);
}

/* Empties the cache of texts (the names found stay in the table). */
static void
texts_clear(struct usage_table *t)
{
	size_t i;

	for (i = 0; i < t->textcap; i++)
		if (t->texts[i].ns != NULL) {
			names_free(t->texts[i].ns);
			t->texts[i].ns = NULL;
		}
	t->ntexts = t->textbytes = 0;
}

/* Where a slot goes in texts (textcap slots), by linear probing. */
static void
texts_put(struct text_slot *texts, size_t textcap, struct text_slot slot)
{
	size_t i = slot.hash & (textcap - 1);

	while (texts[i].ns != NULL)
		i = (i + 1) & (textcap - 1);
	texts[i] = slot;
}

static void
texts_add(struct usage_table *t, struct names *ns, uint64_t h)
{
	struct text_slot *old = t->texts;
	size_t i, oldcap = t->textcap;

	if (2 * (t->ntexts + 1) > t->textcap) {
		t->textcap *= 2;
		t->texts = xcalloc(t->textcap, sizeof(*t->texts));
		for (i = 0; i < oldcap; i++)
			if (old[i].ns != NULL)
				texts_put(t->texts, t->textcap, old[i]);
		free(old);
	}
	texts_put(t->texts, t->textcap, (struct text_slot){ h, ns });
	t->ntexts++;
	t->textbytes += ns->keylen;
}

/* The slot where text x of hash h is looked up first. */
static const struct text_slot *
texts_slot(const struct usage_table *t, uint64_t h)
{
	return &t->texts[h & (t->textcap - 1)];
}

/*
 * The entry of hash h if its first slot has it, else NULL: what a line
 * starts fetching before it looks its text up.  The caller prefetches:
 * GCC takes a static function whose only effect is a prefetch for one
 * without effects, and drops the calls (objdump showed no prefetch).
 */
static const struct names *
texts_first(const struct usage_table *t, uint64_t h)
{
	const struct text_slot *slot = texts_slot(t, h);

	return slot->hash == h ? slot->ns : NULL;
}

/* The cached names of x (of kind 'q' or 'm'), or NULL. */
static struct names *
texts_get(const struct usage_table *t, char kind, const struct text *x,
    uint64_t h)
{
	const struct text_slot *slot;
	struct names *ns;
	size_t i = h & (t->textcap - 1);

	for (; (ns = (slot = &t->texts[i])->ns) != NULL;
	    i = (i + 1) & (t->textcap - 1))
		if (slot->hash == h && ns->keylen == x->n + 2 &&
		    ns->key[0] == kind && ns->key[1] == (x->raw ? 'r' : 'd') &&
		    memcmp(ns->key + 2, x->p, x->n) == 0)
			return ns;
	return NULL;
}

/* As names_of(), for a text whose hash h is known. */
static struct names *
names_of_hashed(struct usage_table *t, char kind, const struct text *x,
    uint64_t h)
{
	struct names *ns;
	char *s;

	if ((ns = texts_get(t, kind, x, h)) != NULL)
		return ns;
	if (t->textbytes > TEXT_CACHE_BYTES)
		texts_clear(t);
	if (!x->raw)
		s = xstrndup(x->p, x->n);
	else if ((s = log_span_text(&(struct span){ x->p, x->n,
	    x->escaped })) == NULL)
		s = xstrdup("");	/* the walker let no NUL through */
	ns = xcalloc(1, sizeof(*ns) + x->n + 2);
	find_names(t, s, ns);
	if (kind == 'q')
		hash_query(t, s, ns);
	free(s);
	ns->keylen = x->n + 2;
	ns->key[0] = kind;
	ns->key[1] = x->raw ? 'r' : 'd';
	memcpy(ns->key + 2, x->p, x->n);
	texts_add(t, ns, h);
	return ns;
}

/*
 * The names a query (or a selector) uses.  A log repeats the same few
 * queries over and over, so each distinct text, raw or decoded, is
 * decoded, cleaned and hashed once, and its names kept under the text.
 */
static struct names *
names_of(struct usage_table *t, char kind, const struct text *x)
{
	return names_of_hashed(t, kind, x, text_hash_of(kind, x));
}

/* Counts the line for each name it uses: once, however often it names it. */
static void
line_uses(struct usage_table *t, const struct names *ns,
    const struct timestamp *when)
{
	size_t i;

	for (i = 0; i < ns->n; i++) {
		if (ns->v[i]->counted_line == t->lineno)
			continue;
		ns->v[i]->counted_line = t->lineno;
		if (ns->v[i]->lines++ == 0 || timestamp_later(when, &ns->v[i]->last))
			ns->v[i]->last = *when;
		t->line_used = 1;
	}
}

/*
 * A line's time: 0, or -1 when it is no RFC 3339 time.  Every line has
 * one: a plain one is parsed from a copy on the stack, not the heap.
 */
static int
line_time(const struct text *x, struct timestamp *when)
{
	char buf[64], *s;
	int r;

	if (x->raw && !x->escaped && x->n - 2 < sizeof(buf)) {
		memcpy(buf, x->p + 1, x->n - 2);
		buf[x->n - 2] = '\0';
		return rfc3339_parse(buf, when);
	}
	if (!x->raw || x->escaped)
		s = x->raw ? log_span_text(&(struct span){ x->p, x->n, 1 }) :
		    xstrndup(x->p, x->n);
	else
		s = xstrndup(x->p + 1, x->n - 2);
	r = s != NULL ? rfc3339_parse(s, when) : -1;
	free(s);
	return r;
}

/* What a line uses: R_SELECTED when it uses a name. */
static enum reason
usage_of(struct usage_table *t, int http, const struct text *time,
    const struct text *query, const struct text *match, size_t nmatch,
    char **why)
{
	struct timestamp when;
	uint64_t h = 0;
	size_t i;

	if (!http)
		return R_NOT_HTTP;
	/*
	 * The query's entry is fetched from memory while the time parses
	 * (a batch's walked lines have theirs on the way already).
	 */
	if (query->p != NULL) {
		h = query->p == t->qtext ? t->qhash : text_hash_of('q', query);
		__builtin_prefetch(texts_first(t, h));
	}
	if (time->p == NULL)
		return bad(why, "\"ts\" or \"time\" is missing");
	if (line_time(time, &when) != 0)
		return bad(why, "\"ts\" or \"time\" is not an RFC 3339 time");
	t->lineno++;
	t->line_used = 0;
	if (query->p != NULL)
		line_uses(t, names_of_hashed(t, 'q', query, h), &when);
	for (i = 0; i < nmatch; i++)
		line_uses(t, names_of(t, 'm', &match[i]), &when);
	return t->line_used ? R_SELECTED : R_EMPTY;
}

static struct text
raw_text(const struct span *s)
{
	return (struct text){ s->text, s->len, 1, s->escaped };
}

static struct text
decoded_text(const char *s)
{
	return (struct text){ s, s != NULL ? strlen(s) : 0, 0, 0 };
}

/* A line the walker vouched for, its fields still raw JSON. */
static enum reason
usage_of_walked(struct usage_table *t, const struct log_fields *f,
    char **why)
{
	struct text time = raw_text(&f->time), query = raw_text(&f->query);
	size_t i;

	if (t->nmatch < f->nmatch) {
		t->match = xreallocarray(t->match, f->nmatch,
		    sizeof(*t->match));
		t->nmatch = f->nmatch;
	}
	for (i = 0; i < f->nmatch; i++)
		t->match[i] = raw_text(&f->match[i]);
	return usage_of(t, f->http, &time, &query, t->match, f->nmatch, why);
}

/* A line decoded by jansson. */
static enum reason
usage_of_decoded(struct usage_table *t, const struct entry *e, char **why)
{
	struct text time = decoded_text(e->time), query =
	    decoded_text(e->query);
	size_t i;

	if (t->nmatch < e->nmatch) {
		t->match = xreallocarray(t->match, e->nmatch,
		    sizeof(*t->match));
		t->nmatch = e->nmatch;
	}
	for (i = 0; i < e->nmatch; i++)
		t->match[i] = decoded_text(e->match[i]);
	return usage_of(t, e->http, &time, &query, t->match, e->nmatch, why);
}

/* A line the walker could not vouch for (or a partial one): jansson's. */
static enum reason
usage_of_line_decoded(struct usage_table *t, const char *line, size_t len,
    int partial, char **why)
{
	struct entry e = { 0 };
	enum reason r;

	if ((r = entry_decode(&e, line, len, partial, why)) == R_SELECTED)
		r = usage_of_decoded(t, &e, why);
	entry_clear(&e);
	return r;
}

void
usage_batch_walk(struct usage_table *t, size_t k, const char *line,
    size_t len, int partial)
{
	struct pending *p = &t->batch[k];

	p->line = line;
	p->len = len;
	p->partial = partial;
	p->walked = partial ? -1 : log_fields_walk(line, len, &p->fields);
	if (p->walked == 0 && p->fields.query.text != NULL) {
		p->qhash = text_hash_of('q', &(struct text){
		    p->fields.query.text, p->fields.query.len, 1,
		    p->fields.query.escaped });
		__builtin_prefetch(texts_slot(t, p->qhash));
	}
}

void
usage_batch_prefetch(struct usage_table *t, size_t k)
{
	const struct pending *p = &t->batch[k];
	const char *ns, *end;

	/*
	 * The slot was fetched during the batch's walk; now its entry, all
	 * of it: the key that usage_batch_line() compares with the query's
	 * text spans a few cache lines, and fetching only the first left
	 * memcmp waiting on the others (8.6-11.4% of --usage's samples, now
	 * 4.9-5.5% with the prefetches).  Its key, if it is this query's, is
	 * the kind, 'r' and the text.
	 */
	if (p->walked != 0 || p->fields.query.text == NULL ||
	    (ns = (const char *)texts_first(t, p->qhash)) == NULL)
		return;
	end = ns + offsetof(struct names, key) + 2 + p->fields.query.len;
	for (; ns < end; ns += CACHE_LINE)
		__builtin_prefetch(ns);
	__builtin_prefetch(end - 1);
}

enum reason
usage_batch_line(struct usage_table *t, size_t k, char **why)
{
	struct pending *p = &t->batch[k];

	if (p->walked != 0) {
		t->qtext = NULL;
		return usage_of_line_decoded(t, p->line, p->len, p->partial,
		    why);
	}
	/* The hash is known: usage_of() takes it rather than hashing again. */
	t->qtext = p->fields.query.text;
	t->qhash = p->qhash;
	return usage_of_walked(t, &p->fields, why);
}

static int
cmp_use(const void *a, const void *b)
{
	return strcmp((*(struct use *const *)a)->name,
	    (*(struct use *const *)b)->name);
}

/*
 * One line per name, sorted.  Names are metric names and times are
 * formatted here, so nothing needs JSON escaping.
 */
void
usage_print(struct usage_table *t)
{
	char when[RFC3339_UTC_LEN];
	size_t i;

	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), cmp_use);
	for (i = 0; i < t->n; i++) {
		/* A time with an offset may leave the years 0000-9999. */
		if (rfc3339_format_utc(t->v[i]->last.sec, when) != 0)
			snprintf(when, sizeof(when), "%s", t->v[i]->last.sec < 0 ?
			    "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
		if (printf("{\"record\":\"%s\",\"last_used\":\"%s\",\"uses\":%llu}"
		    "\n", t->v[i]->name, when, t->v[i]->lines) < 0)
			die(EX_IOERR, "write error on standard output: %s",
			    strerror(errno));
	}
}

void
usage_free(struct usage_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i]->name);
		free(t->v[i]);
	}
	free(t->v);
	texts_clear(t);
	free(t->texts);
	for (i = 0; i < USAGE_BATCH; i++)
		free(t->batch[i].fields.match);
	free(t->match);
	strmap_free(t->map);
	free(t);
}
