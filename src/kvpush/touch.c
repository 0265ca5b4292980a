/*
 * kvpush --touch: the use the query logs show (qlogscan --usage lines,
 * {"record": NAME, "last_used": RFC 3339, ...}) kept in the stored records
 * themselves, as two more members of each value:
 *
 *	"last_used":     the latest use seen, to the second, in UTC
 *	"tracked_since": when kvpush stored the record (it writes it then);
 *	                 for a record stored without one (by the original
 *	                 system, or before tracking), when a touch first
 *	                 found it in Consul
 *
 * Why in the value and not under a sibling prefix: the consumers read
 * only "record" and "expr" (the original's get_list, the confd template,
 * yamlemit), a record and its use then live and go together (a retire
 * removes both at once), and a sibling such as PREFIX-usage/ would be
 * listed by get_list's recursive GET of PREFIX, which has no trailing
 * slash.
 *
 * A value is written only when its day of last use moves on, or when it
 * has no tracked_since yet: at most once a record per calendar day (UTC)
 * of use.  The use's day, not the write's: a late use of yesterday and one
 * of today may be written on the same day, but last_used never lags the
 * logs by more than a day, as a retire counted in days needs.  Each write is a
 * cas on the ModifyIndex it was read with, in transactions within the
 * same limits as kvpush's; a key changed meanwhile is read again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "diag.h"
#include "jsonedit.h"
#include "kv.h"
#include "push.h"
#include "rfc3339.h"
#include "strmap.h"
#include "summary.h"
#include "txn.h"
#include "xalloc.h"

#define MAX_RESCANS	10
#define DAY		86400

/* A name's latest use in the input. */
struct use {
	char			*name;
	struct timestamp	 last;
	int			 matched;
};

/* One value to write. */
struct touch_write {
	char			*key;		/* as JSON */
	size_t			 key_len;
	char			*value;
	size_t			 value_len;
	unsigned long long	 modify_index;
};

struct touch {
	const struct push_opts	*o;
	struct strmap		*uses;		/* name -> struct use */
	struct use		**v;
	size_t			 n, cap;
	int64_t			 now;
	char			 today[RFC3339_UTC_LEN];
	struct touch_write	*w;
	size_t			 nw, wcap;
	struct txn_body		 body;
	char			*what;		/* "touching PREFIX/" */
	unsigned long		 read, bad, clamped, written, stored;
	int			 status;
};

static void
use_add(struct touch *t, const char *name, const struct timestamp *when)
{
	struct use *u = strmap_get(t->uses, name);

	if (u == NULL) {
		u = xcalloc(1, sizeof(*u));
		u->name = xstrdup(name);
		u->last = *when;
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 64;
			t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
		}
		t->v[t->n++] = u;
		strmap_add(t->uses, u->name, u);
	} else if (timestamp_later(when, &u->last))
		u->last = *when;
}

/* One usage line: NULL, or what is wrong with it. */
static const char *
usage_line(struct touch *t, const char *line, size_t len)
{
	struct timestamp when;
	const char *name, *last;
	json_t *o;

	if (memchr(line, '\0', len) != NULL)
		return "holds a NUL byte";
	if ((o = json_loadb(line, len, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return "not a JSON object";
	}
	name = json_string_value(json_object_get(o, "record"));
	last = json_string_value(json_object_get(o, "last_used"));
	if (name == NULL || !record_name_valid(name)) {
		json_decref(o);
		return "\"record\" is missing or not a metric name";
	}
	if (last == NULL || rfc3339_parse(last, &when) != 0) {
		json_decref(o);
		return "\"last_used\" is missing or not an RFC 3339 time";
	}
	/* A clock ahead on the logging host must not keep a record forever. */
	if (when.sec > t->now) {
		when.sec = t->now;
		when.nsec = 0;
		t->clamped++;
	}
	use_add(t, name, &when);
	json_decref(o);
	return NULL;
}

static int
blank_line(const char *s, size_t len)
{
	return strspn(s, " \t\r") == len;
}

/* Reads one file of usage lines; bad lines are shown and skipped. */
static void
read_usage_file(struct touch *t, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path, *why;
	FILE *fp = is_stdin ? stdin : fopen(path, "r");
	unsigned long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fp == NULL) {
		warnmsg("%s: %s", path, strerror(errno));
		t->status = EX_NOINPUT;
		return;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (blank_line(line, (size_t)n))
			continue;
		t->read++;
		if ((why = usage_line(t, line, (size_t)n)) != NULL) {
			warn_at(name, lineno, "%s", why);
			t->bad++;
			if (t->status == EX_OK)
				t->status = EX_DATAERR;
		}
	}
	if (ferror(fp) || !feof(fp))
		die(errno == ENOMEM ? EX_OSERR : EX_IOERR, "%s: read error: %s",
		    name, strerror(errno));
	free(line);
	if (!is_stdin)
		fclose(fp);
}

/* A member's string value in a stored value, parsed as a time. */
static int
stored_time(const struct record *r, const char *key, struct timestamp *t)
{
	char *s = record_get_string(r, key);
	int rc = s != NULL && rfc3339_parse(s, t) == 0 ? 0 : -1;

	free(s);
	return rc;
}

static int64_t
day_of(int64_t sec)
{
	return sec >= 0 ? sec / DAY : -((-sec + DAY - 1) / DAY);
}

/* text with member key set to the JSON string s; text is freed. */
static char *
set_member(char *text, size_t *len, const char *key, const char *s)
{
	char *quoted = xasprintf("\"%s\"", s), *out;

	out = json_edit_member(text, *len, key, quoted, len);
	free(quoted);
	free(text);
	return out;
}

/*
 * Queues the write of value (taken) at e's key, unless its operation alone
 * is more than a transaction may hold: a record stored near the limit
 * grows by the members a touch adds.  That one is warned about and left
 * as it is (status 65); the others are still written.
 */
static void
queue_write(struct touch *t, const struct kv_entry *e, const char *name,
    char *value)
{
	struct touch_write *w;
	size_t len;

	if (t->nw == t->wcap) {
		t->wcap = t->wcap ? 2 * t->wcap : 64;
		t->w = xreallocarray(t->w, t->wcap, sizeof(*t->w));
	}
	w = &t->w[t->nw];
	w->key = txn_json_string(e->key, &w->key_len);
	w->value = value;
	w->value_len = strlen(value);
	w->modify_index = e->modify_index;
	len = txn_cas_len(w->key_len, w->value_len, w->modify_index);
	if (txn_op_fits_alone(len, t->o->max_bytes)) {
		t->nw++;
		return;
	}
	warnmsg("%s (%s): %zu bytes as a transaction operation with its use, "
	    "more than a transaction may hold (%zu); not touched", e->key,
	    name, len, t->o->max_bytes);
	if (t->status == EX_OK)
		t->status = EX_DATAERR;
	free(w->key);
	free(w->value);
}

/*
 * One stored key: the new value when its use moved on to a later day or
 * it was never tracked.  The value's other bytes stay as they were.
 */
static void
plan_touch(const struct kv_entry *e, void *arg)
{
	struct touch *t = arg;
	struct timestamp stored, tracked;
	char when[RFC3339_UTC_LEN], *text;
	struct record r;
	const char *why;
	struct use *u;
	size_t len;
	int have_last, have_tracked;

	if (kv_entry_record(e, &r, &why) != 0)
		return;
	t->stored++;
	u = strmap_get(t->uses, r.name);
	have_last = stored_time(&r, "last_used", &stored) == 0;
	have_tracked = stored_time(&r, "tracked_since", &tracked) == 0;
	if (u != NULL)
		u->matched = 1;
	if (have_tracked && (u == NULL || (have_last &&
	    day_of(u->last.sec) <= day_of(stored.sec)))) {
		record_free(&r);
		return;
	}
	/* Trimmed: jsonedit takes the object without blanks around it. */
	text = xstrndup(e->value + strspn(e->value, " \t\r\n"), e->value_len);
	for (len = strlen(text); len > 0 && strchr(" \t\r\n", text[len - 1]);)
		text[--len] = '\0';
	if (!have_tracked)
		text = set_member(text, &len, "tracked_since", t->today);
	if (u != NULL && (!have_last || day_of(u->last.sec) >
	    day_of(stored.sec)) && rfc3339_format_utc(u->last.sec, when) == 0)
		text = set_member(text, &len, "last_used", when);
	queue_write(t, e, r.name, text);
	record_free(&r);
}

static void
forget_writes(struct touch *t)
{
	size_t i;

	for (i = 0; i < t->nw; i++) {
		free(t->w[i].key);
		free(t->w[i].value);
	}
	t->nw = 0;
	t->stored = 0;
}

/* Writes w[0..n) in one transaction: commit_batch()'s outcome. */
static enum txn_outcome
touch_batch(struct consul *c, const struct push_opts *o, struct touch *t,
    size_t start, size_t n)
{
	const struct touch_write *w = t->w + start;
	size_t i;

	txn_body_start(&t->body, 0);
	for (i = 0; i < n; i++)
		txn_body_cas(&t->body, w[i].key, w[i].key_len, w[i].value,
		    w[i].value_len, w[i].modify_index);
	txn_body_end(&t->body);
	return commit_batch(c, o, t->what, &t->body);
}

/*
 * How many writes from start fit one transaction: one at least, as each
 * fits alone (queue_write).
 */
static size_t
batch_size(const struct push_opts *o, const struct touch *t, size_t start)
{
	struct txn_size s = TXN_SIZE_EMPTY;
	const struct touch_write *w;
	size_t n;

	for (n = 0; start + n < t->nw; n++) {
		w = &t->w[start + n];
		if (!txn_size_add(&s, txn_cas_len(w->key_len, w->value_len,
		    w->modify_index), o->max_ops, o->max_bytes))
			break;
	}
	if (n == 0)
		die(EX_SOFTWARE, "internal error: a touch fits no transaction");
	return n;
}

/* Writes everything planned; a conflict means: read again, plan again. */
static int
write_all(struct consul *c, const struct push_opts *o, struct touch *t)
{
	size_t start = 0, n;
	int rescans = 0, rc;
	enum txn_outcome out;

	while (start < t->nw) {
		n = batch_size(o, t, start);
		if ((out = touch_batch(c, o, t, start, n)) == TXN_COMMITTED) {
			start += n;
			t->written += n;
			continue;
		}
		if (out != TXN_CONFLICT)
			return txn_exit_status(out);
		if (++rescans > MAX_RESCANS) {
			warnmsg("gave up: %s/ keeps changing", o->prefix);
			return EX_TEMPFAIL;
		}
		info("keys changed meanwhile; reading %s/ again", o->prefix);
		forget_writes(t);
		start = 0;
		if ((rc = kv_scan(c, o->prefix, plan_touch, t)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The summary, on stdout: kvpush --touch writes no records.  The same
 * members go to --summary-fd.
 */
static void
print_summary(const struct touch *t, const struct push_opts *o)
{
	size_t i, unknown = 0;

	for (i = 0; i < t->n; i++)
		unknown += !t->v[i]->matched;
	summary_set("read", t->read);
	summary_set("bad", t->bad);
	summary_set("names", t->n);
	summary_set("matched", t->n - unknown);
	summary_set("unknown", unknown);
	summary_set("clamped", t->clamped);
	summary_set("stored", t->stored);
	summary_set(o->dry_run ? "would_write" : "written",
	    o->dry_run ? (unsigned long)t->nw : t->written);
	printf("{\"read\":%lu,\"bad\":%lu,\"names\":%zu,\"matched\":%zu,"
	    "\"unknown\":%zu,\"clamped\":%lu,\"stored\":%lu,\"%s\":%lu}\n",
	    t->read, t->bad, t->n, t->n - unknown, unknown, t->clamped,
	    t->stored, o->dry_run ? "would_write" : "written",
	    o->dry_run ? (unsigned long)t->nw : t->written);
}

int
touch_records(struct consul *c, const struct push_opts *o, int argc,
    char **argv)
{
	struct touch t;
	size_t i;
	int rc, k;

	memset(&t, 0, sizeof(t));
	t.o = o;
	t.uses = strmap_new();
	t.now = (int64_t)time(NULL);
	t.what = xasprintf("touching %s/", o->prefix);
	if (rfc3339_format_utc(t.now, t.today) != 0)
		die(EX_SOFTWARE, "the clock is outside the years 0000-9999");
	for (k = 0; k < argc; k++)
		read_usage_file(&t, argv[k]);
	if (argc == 0)
		read_usage_file(&t, "-");
	rc = kv_scan(c, o->prefix, plan_touch, &t);
	if (rc == 0)
		rc = write_all(c, o, &t);
	if (rc == 0)
		print_summary(&t, o);
	forget_writes(&t);
	free(t.w);
	free(t.what);
	txn_body_free(&t.body);
	for (i = 0; i < t.n; i++) {
		free(t.v[i]->name);
		free(t.v[i]);
	}
	free(t.v);
	strmap_free(t.uses);
	return rc != 0 ? rc : t.status;
}
