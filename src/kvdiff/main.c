/*
 * kvdiff: the records of the input that Consul does not hold yet.
 *
 * Loads the records under PREFIX/ with one recursive GET, then prints the
 * input records whose name is not among them, once each, sorted by name so
 * that the numbers kvpush gives them are the same on every run.  With
 * --all the stored records come first, in index order, with their index:
 * the whole desired state, ready for yamlemit.  --stored prints the stored
 * records the input names; --gone those it does not name and --duplicates
 * the later keys of a record stored twice: what a rebuild keeps and
 * removes.  --unused-for prints the stored records that the logs have not
 * shown in use for a while (see kvpush --touch): what a retire removes.
 * --origin marks each input record printed with the FILE:LINE it came
 * from, for the stages after us to report it there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "consul.h"
#include "diag.h"
#include "hash.h"
#include "kv.h"
#include "output.h"
#include "numparse.h"
#include "record.h"
#include "rfc3339.h"
#include "stored.h"
#include "strmap.h"
#include "summary.h"
#include "xalloc.h"

enum mode { NEW, ALL, STORED, GONE, DUPLICATES, UNUSED };
enum { OPT_ALL, OPT_STORED, OPT_GONE, OPT_DUPLICATES, OPT_UNUSED_FOR,
    OPT_FORCE, OPT_ORIGIN };

static const struct cli_option options[] = {
	{ OPT_ALL, "all", 'a', NULL, "the stored records, then the new ones" },
	{ OPT_STORED, "stored", 0, NULL, "the stored records the input names" },
	{ OPT_GONE, "gone", 0, NULL, "the stored records the input does not "
	    "name" },
	{ OPT_DUPLICATES, "duplicates", 0, NULL, "the later keys of a record "
	    "stored twice" },
	{ OPT_UNUSED_FOR, "unused-for", 0, "DURATION", "the stored records "
	    "unused for that long; reads no input" },
	{ OPT_FORCE, "force", 0, NULL, "let --unused-for be below a day" },
	{ OPT_ORIGIN, "origin", 0, NULL, "mark each new record with its "
	    "FILE:LINE" },
	{ 0, NULL, 0, NULL, NULL }
};

#define DAY	86400	/* --unused-for below this needs --force */

/*
 * The maps borrow their keys from records in the lists, which stay put
 * once the scan is over.  stored_names maps a name to its record, which
 * is marked wanted when the input names it.
 */
struct state {
	int			 lines;		/* keep what is printed of stored */
	enum mode		 mode;
	int64_t			 cutoff;	/* --unused-for: unused before */
	int			 origin;	/* --origin */
	struct stored_list	 stored;	/* by index; the first of a name */
	struct stored_list	 duplicates;	/* later keys of a stored name */
	struct stored_pool	 pool;		/* the texts of both */
	struct record_list	 fresh;		/* input records Consul lacks */
	struct strmap		*stored_names;
	struct strmap		*fresh_names;
	size_t			 output;	/* records printed */
};

static enum mode
parse_options(int argc, char *argv[], struct consul_config *cfg,
    struct state *st)
{
	struct cli cl = { .options = options, .consul = cfg,
	    .consul_set = consul_config_set, .synopsis =
	    "[-qv] [-a | --all | --stored | --gone | --duplicates |\n"
	    "--unused-for duration [--force]] [--origin] [--summary-fd N]\n"
	    CLI_CONSUL_SYNOPSIS " [FILE ...]" };
	enum mode mode = NEW;
	int ch, modes = 0, force = 0;
	double unused_for = 0;

	while ((ch = cli_next(&cl, argc, argv)) != -1) {
		switch (ch) {
		case OPT_ALL: mode = ALL; modes++; break;
		case OPT_STORED: mode = STORED; modes++; break;
		case OPT_GONE: mode = GONE; modes++; break;
		case OPT_DUPLICATES: mode = DUPLICATES; modes++; break;
		case OPT_UNUSED_FOR:
			mode = UNUSED;
			modes++;
			unused_for = opt_duration("--unused-for", optarg);
			break;
		case OPT_ORIGIN: st->origin = 1; break;
		case OPT_FORCE: force = 1; break;
		}
	}
	if (modes > 1) {
		warnmsg("--all, --stored, --gone, --duplicates and "
		    "--unused-for exclude each other");
		cli_usage(&cl, EX_USAGE);
	}
	/* Under a day, a pause in the log pipeline would retire live rules. */
	if (mode == UNUSED && unused_for < DAY && !force)
		die(EX_USAGE, "--unused-for: below a day (1d) only with --force");
	st->cutoff = (int64_t)time(NULL) - (int64_t)unused_for;
	return mode;
}

/*
 * Whether a stored record was both tracked and last used before cutoff.
 * A record with no tracked_since has no history yet: never unused.  An
 * unreadable time counts as a recent one.
 */
static int
unused_before(const struct record *r, int64_t cutoff)
{
	char *tracked = record_get_string(r, "tracked_since");
	char *last = record_get_string(r, "last_used");
	struct timestamp t;
	int unused;

	if (tracked == NULL || rfc3339_parse(tracked, &t) != 0 ||
	    t.sec >= cutoff)
		unused = 0;
	else
		unused = last == NULL || (rfc3339_parse(last, &t) == 0 &&
		    t.sec < cutoff);
	free(tracked);
	free(last);
	return unused;
}

/* kv_scan callback: keeps every stored record; sorting comes after. */
static void
take_stored(const struct kv_entry *e, void *arg)
{
	struct state *st = arg;
	struct record r;
	const char *why;

	/* Subtracting needs the name and expression, not the line. */
	if ((st->lines ? kv_entry_record(e, &r, &why) :
	    kv_entry_value(e, &r, &why)) != 0) {
		warnmsg("%s: %s; ignored, its number stays taken", e->key, why);
		return;
	}
	if (st->mode == UNUSED && !unused_before(&r, st->cutoff)) {
		record_free(&r);
		return;
	}
	/*
	 * Printed without its index, so that a retire by name takes every
	 * key of it, duplicates too; the key's number still orders the list.
	 */
	if (st->mode == UNUSED)
		record_set_index(&r, 0);
	stored_add(&st->stored, &st->pool, &r, e->number, st->lines);
	record_free(&r);
}

/*
 * Orders the stored records by number and moves every later key of a name
 * to the duplicates: the lowest number is the one that counts.
 */
static void
settle_stored(struct state *st, const char *prefix)
{
	struct stored_list *l = &st->stored;
	size_t i, kept = 0;

	stored_sort_by_index(l);
	for (i = 0; i < l->n; i++) {
		struct stored *s = &l->v[i];
		uint64_t h = strmap_hash(stored_name(s));
		const struct stored *first = strmap_get_hashed(st->stored_names,
		    stored_name(s), h);

		if (first == NULL) {
			l->v[kept] = *s;
			strmap_add_hashed(st->stored_names,
			    stored_name(&l->v[kept]), h, &l->v[kept]);
			kept++;
			continue;
		}
		note("%s/%lld: %s is stored at %s/%lld already", prefix,
		    s->index, stored_name(s), prefix, first->index);
		if (first->expr_hash != s->expr_hash)
			warnmsg("%s/%lld: %s is stored twice with different "
			    "expressions", prefix, s->index, stored_name(s));
		stored_move(&st->duplicates, s);
	}
	l->n = kept;
}

/*
 * --origin: "origin": "FILE:LINE" on r.  A name that is not UTF-8 has no
 * JSON string: such a record goes without, reported where it is read next.
 */
static void
mark_origin(struct record *r, const struct record_input *in)
{
	char *where = xasprintf("%s:%lu", record_input_file(in),
	    record_input_line(in));
	json_t *s = json_string(where);

	if (s != NULL)
		record_set(r, "origin", s);
	free(where);
}

/* Keeps an input record if neither Consul nor an earlier line has it. */
static void
take_input(struct state *st, struct record *r, const struct record_input *in)
{
	uint64_t h = strmap_hash(r->name);
	struct stored *stored = strmap_get_hashed(st->stored_names, r->name, h);
	const char *expr;

	if (stored != NULL) {
		if (stored->expr_hash != hash_bytes(r->expr, r->expr_len))
			warn_at(record_input_file(in), record_input_line(in),
			    "%s is stored in Consul with a different "
			    "expression; not added again", r->name);
		stored->wanted = 1;
		record_free(r);
		return;
	}
	if ((expr = strmap_get_hashed(st->fresh_names, r->name, h)) != NULL) {
		if (strcmp(expr, r->expr) != 0)
			warn_at(record_input_file(in), record_input_line(in),
			    "%s is given twice with different expressions; "
			    "the first is kept", r->name);
		record_free(r);
		return;
	}
	/* A number from the input means nothing for a record Consul lacks. */
	record_set_index(r, 0);
	if (st->origin)
		mark_origin(r, in);
	strmap_add_hashed(st->fresh_names, r->name, h, (void *)r->expr);
	record_list_push(&st->fresh, r);
}

/*
 * Prints the stored records of l, or (which 0 or 1) those the input does
 * (not) name; returns how many.
 */
static size_t
print_stored(const struct stored_list *l, int which)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (which < 0 || l->v[i].wanted == which) {
			stored_print(&l->v[i]);
			n++;
		}
	}
	return n;
}

static void
print_result(struct state *st, enum mode mode)
{
	size_t i;

	record_list_sort(&st->fresh, record_cmp_name);
	switch (mode) {
	case ALL:
		st->output = print_stored(&st->stored, -1);
		/* FALLTHROUGH */
	case NEW:
		for (i = 0; i < st->fresh.n; i++)
			record_print(&st->fresh.v[i]);
		st->output += st->fresh.n;
		break;
	case STORED:
		st->output = print_stored(&st->stored, 1);
		break;
	case GONE:
		st->output = print_stored(&st->stored, 0);
		break;
	case DUPLICATES:
		st->output = print_stored(&st->duplicates, -1);
		break;
	case UNUSED:
		st->output = print_stored(&st->stored, -1);
		break;
	}
}

/* --summary-fd: the counts of kvdiff(1)'s SUMMARY, read at the end. */
static void
summarize(const struct state *st, const struct record_input *in)
{
	summary_count("input", &in->records);
	summary_count("bad", &in->bad);
	summary_size("stored", &st->stored.n);
	summary_size("duplicates", &st->duplicates.n);
	summary_size("new", &st->fresh.n);
	summary_size("output", &st->output);
}

int
main(int argc, char *argv[])
{
	struct consul_config cfg;
	struct record_input in;
	struct state st;
	struct consul *c;
	struct record r;
	enum mode mode;
	int rc;

	cli_init(argv);
	consul_config_init(&cfg);
	memset(&st, 0, sizeof(st));
	memset(&in, 0, sizeof(in));
	mode = st.mode = parse_options(argc, argv, &cfg, &st);
	cli_settings_checked();
	summarize(&st, &in);
	st.stored_names = strmap_new();
	st.fresh_names = strmap_new();
	/* Subtracting needs the names only: a million lines less to hold. */
	st.lines = mode != NEW;

	c = consul_open(&cfg);
	if ((rc = kv_scan(c, cfg.prefix, take_stored, &st)) != 0)
		exit(rc);
	consul_close(c);
	settle_stored(&st, cfg.prefix);
	info("%zu record%s stored under %s/", st.stored.n,
	    plural(st.stored.n), cfg.prefix);

	/* --unused-for reads no input: the store alone says what is unused. */
	record_input_init(&in, mode == UNUSED ? 0 : argc - optind,
	    argv + optind);
	while (mode != UNUSED && record_input_next(&in, &r))
		take_input(&st, &r, &in);
	info("%lu input record%s, %zu new", in.records, plural(in.records),
	    st.fresh.n);
	print_result(&st, mode);
	close_stdout();
	summary_write();

	strmap_free(st.stored_names);
	strmap_free(st.fresh_names);
	stored_list_free(&st.stored);
	stored_list_free(&st.duplicates);
	stored_pool_free(&st.pool);
	record_list_free(&st.fresh);
	consul_config_free(&cfg);
	return record_input_status(&in);
}
