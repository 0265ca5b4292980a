#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "report.h"
#include "utf8.h"

/* Names of each kind the report for people shows; --json has them all. */
#define TEXT_NAMES	10

/* s as a JSON string: controls (C1 too) escaped, bad UTF-8 as U+FFFD. */
static void
put_json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n;

	putc('"', fp);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			putc('\\', fp);
			putc(*p++, fp);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(fp, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			putc(*p++, fp);
		} else if ((n = utf8_decode(p, &cp)) == 0) {
			fputs("\\ufffd", fp);
			p++;
		} else if (cp < 0xa0) {
			fprintf(fp, "\\u%04lx", cp);
			p += n;
		} else {
			fwrite(p, 1, n, fp);
			p += n;
		}
	}
	putc('"', fp);
}

/* A name as it is when plain printable ASCII, else as a JSON string. */
static void
put_name(FILE *fp, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p > 0x20 && *p < 0x7f; p++)
		;
	if (*p == '\0' && p != (const unsigned char *)s)
		fputs(s, fp);
	else
		put_json_string(fp, s);
}

static int
cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct drift_item *)a)->name,
	    ((const struct drift_item *)b)->name);
}

/* Every list by name: the same drift reads the same on every run. */
static void
sort_lists(struct drift *d)
{
	int k;

	for (k = 0; k < DRIFT_KINDS; k++)
		if (d->kinds[k].n > 1)
			qsort(d->kinds[k].v, d->kinds[k].n,
			    sizeof(d->kinds[k].v[0]), cmp_item);
}

static void
put_date(FILE *fp, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", t);
	fputs(buf, fp);
}

static void
text_lock(FILE *fp, const struct lock_state *ls)
{
	fputs("lock:   ", fp);
	if (!ls->held) {
		fputs("free\n", fp);
		return;
	}
	fputs("held by ", fp);
	put_name(fp, ls->host ? ls->host : "an unknown holder");
	if (ls->pid > 0)
		fprintf(fp, " (pid %lld)", ls->pid);
	if (ls->since > 0) {
		fputs(" since ", fp);
		put_date(fp, ls->since);
	}
	fprintf(fp, "; its session %s\n", ls->alive ? "is alive" :
	    "is gone");
}

static void
text_item(FILE *fp, enum drift_kind k, const struct drift_item *it)
{
	fputs("    ", fp);
	put_name(fp, it->name);
	if (k == DUPLICATE)
		fprintf(fp, " (keys %lld and %lld)", it->first, it->other);
	else if (k == JUNK)
		fprintf(fp, ": %s", it->why);
	putc('\n', fp);
}

void
report_text(FILE *fp, struct drift *d, const struct lock_state *ls,
    const struct where *w)
{
	const struct drift_list *l;
	size_t i;
	int k;

	sort_lists(d);
	fprintf(fp, "consul: %zu record%s under ", d->consul,
	    plural(d->consul));
	put_name(fp, w->prefix);
	fprintf(fp, "/, %zu foreign key%s\nredis:  %zu member%s in ",
	    d->foreign, plural(d->foreign), d->redis, plural(d->redis));
	put_name(fp, w->set_key);
	if (d->have_rules) {
		fprintf(fp, "\nrules:  %zu rule%s in ", d->rules,
		    plural(d->rules));
		put_name(fp, w->rule_file);
		putc('\n', fp);
	} else if (w->rule_file != NULL) {
		fputs("\nrules:  not compared: ", fp);
		put_name(fp, w->rule_file);
		fputs(" could not be read\n", fp);
	} else
		fputs("\nrules:  no rule file\n", fp);
	text_lock(fp, ls);
	if (drift_total(d) == 0) {
		fputs("drift:  none\n", fp);
		return;
	}
	fprintf(fp, "drift:  %zu\n", drift_total(d));
	for (k = 0; k < DRIFT_KINDS; k++) {
		if ((l = &d->kinds[k])->n == 0)
			continue;
		fprintf(fp, "  %s (%zu):\n", drift_kind_text(k), l->n);
		for (i = 0; i < l->n && i < TEXT_NAMES; i++)
			text_item(fp, k, &l->v[i]);
		if (l->n > TEXT_NAMES)
			fprintf(fp, "    ... and %zu more (--json lists them "
			    "all)\n", l->n - TEXT_NAMES);
	}
}

static void
json_item(FILE *fp, enum drift_kind k, const struct drift_item *it)
{
	if (k == DUPLICATE) {
		fputs("{\"record\":", fp);
		put_json_string(fp, it->name);
		fprintf(fp, ",\"keys\":[%lld,%lld]}", it->first, it->other);
	} else if (k == JUNK) {
		fputs("{\"key\":", fp);
		put_json_string(fp, it->name);
		fputs(",\"why\":", fp);
		put_json_string(fp, it->why);
		putc('}', fp);
	} else
		put_json_string(fp, it->name);
}

static void
json_lock(FILE *fp, const struct lock_state *ls)
{
	fprintf(fp, "\"lock\":{\"held\":%s", ls->held ? "true" : "false");
	if (ls->held) {
		fputs(",\"session\":", fp);
		put_json_string(fp, ls->session);
		fputs(",\"host\":", fp);
		if (ls->host)
			put_json_string(fp, ls->host);
		else
			fputs("null", fp);
		fprintf(fp, ",\"pid\":%lld,\"since\":%lld,\"since_date\":",
		    ls->pid, ls->since);
		putc('"', fp);
		put_date(fp, ls->since);
		fprintf(fp, "\",\"alive\":%s", ls->alive ? "true" : "false");
	}
	putc('}', fp);
}

void
report_json(FILE *fp, struct drift *d, const struct lock_state *ls,
    const struct where *w)
{
	size_t i;
	int k;

	sort_lists(d);
	fprintf(fp, "{\"counts\":{\"consul\":%zu,\"redis\":%zu,\"rules\":",
	    d->consul, d->redis);
	if (d->have_rules)
		fprintf(fp, "%zu", d->rules);
	else
		fputs("null", fp);
	fprintf(fp, ",\"foreign_keys\":%zu},\"rule_file\":", d->foreign);
	if (w->rule_file)
		put_json_string(fp, w->rule_file);
	else
		fputs("null", fp);
	fprintf(fp, ",\"drift_total\":%zu,\"drift\":{", drift_total(d));
	for (k = 0; k < DRIFT_KINDS; k++) {
		fprintf(fp, "%s\"%s\":[", k ? "," : "", drift_kind_name(k));
		for (i = 0; i < d->kinds[k].n; i++) {
			if (i > 0)
				putc(',', fp);
			json_item(fp, k, &d->kinds[k].v[i]);
		}
		putc(']', fp);
	}
	fputs("},", fp);
	json_lock(fp, ls);
	fprintf(fp, ",\"status\":%d}\n", drift_total(d) ? 1 : 0);
}

void
report_samples(FILE *fp, const struct drift *d, const struct lock_state *ls)
{
	int k;

	fprintf(fp, "recsync_records{store=\"consul\"} %zu\n", d->consul);
	fprintf(fp, "recsync_records{store=\"redis\"} %zu\n", d->redis);
	if (d->have_rules)
		fprintf(fp, "recsync_records{store=\"rules\"} %zu\n", d->rules);
	fprintf(fp, "recsync_foreign_keys %zu\n", d->foreign);
	for (k = 0; k < DRIFT_KINDS; k++)
		fprintf(fp, "recsync_drift_records{kind=\"%s\"} %zu\n",
		    drift_kind_name(k), d->kinds[k].n);
	fprintf(fp, "recsync_lock_held %d\n", ls->held);
	if (ls->held) {
		fprintf(fp, "recsync_lock_holder_alive %d\n", ls->alive);
		if (ls->since > 0)
			fprintf(fp, "recsync_lock_held_since_timestamp_seconds "
			    "%lld\n", ls->since);
	}
}
