/*
 * kvdiff: the records of the input that Consul does not hold yet.
 *
 * Loads the records under PREFIX/ with one recursive GET, then prints the
 * input records whose name is not among them, once each, sorted by name so
 * that the numbers kvpush gives them are the same on every run.  With
 * --all the stored records come first, in index order, with their index:
 * the whole desired state, ready for yamlemit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "consul.h"
#include "diag.h"
#include "kv.h"
#include "output.h"
#include "record.h"
#include "strmap.h"

static int	 aflag;		/* --all: stored records too */

/* The maps borrow names from the records in the lists; values are exprs. */
struct state {
	const char		*prefix;
	struct record_list	 stored;	/* from Consul, one per name */
	struct record_list	 fresh;		/* new, from the input */
	struct strmap		*stored_names;
	struct strmap		*fresh_names;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-aqv] " CONSUL_USAGE " [FILE ...]\n", progname);
	exit(status);
}

/* kv_scan callback: keeps each stored record, the first of each name. */
static void
take_stored(const struct kv_entry *e, void *arg)
{
	struct state *st = arg;
	struct record r;
	const char *why, *other;

	if (kv_entry_record(e, &r, &why) != 0) {
		warnmsg("%s: %s; ignored, its number stays taken", e->key, why);
		return;
	}
	if ((other = strmap_get(st->stored_names, r.name)) != NULL) {
		note("%s: %s is stored under another key too; the one with "
		    "the lower number counts", e->key, r.name);
		if (strcmp(other, r.expr) != 0)
			warnmsg("%s: %s is stored twice with different "
			    "expressions", e->key, r.name);
		record_free(&r);
		return;
	}
	strmap_add(st->stored_names, r.name, (void *)r.expr);
	record_list_push(&st->stored, &r);
}

/* Keeps an input record if neither Consul nor an earlier line has it. */
static void
take_input(struct state *st, struct record *r)
{
	const char *expr;

	if ((expr = strmap_get(st->stored_names, r->name)) != NULL) {
		if (strcmp(expr, r->expr) != 0)
			warnmsg("%s is stored in Consul with a different "
			    "expression; not added again", r->name);
		record_free(r);
		return;
	}
	if ((expr = strmap_get(st->fresh_names, r->name)) != NULL) {
		if (strcmp(expr, r->expr) != 0)
			warnmsg("%s is given twice with different "
			    "expressions; the first is kept", r->name);
		record_free(r);
		return;
	}
	/* A number from the input means nothing for a record Consul lacks. */
	json_object_del(r->obj, "index");
	r->index = 0;
	strmap_add(st->fresh_names, r->name, (void *)r->expr);
	record_list_push(&st->fresh, r);
}

static void
print_all(struct record_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		record_print(&l->v[i]);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		CONSUL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct consul_config cfg;
	struct record_input in;
	struct state st;
	struct consul *c;
	struct record r;
	int ch, rc;

	diag_init(argv[0]);
	consul_config_init(&cfg);
	while ((ch = getopt_long(argc, argv, "aqv", longopts, NULL)) != -1) {
		if (consul_config_option(&cfg, ch, optarg))
			continue;
		switch (ch) {
		case 'a': aflag = 1; break;
		case 'q': verbosity = 0; break;
		case 'v': verbosity++; break;
		case 'h': usage(EX_OK);
		case 'V': cli_version();
		default: usage(EX_USAGE);
		}
	}
	memset(&st, 0, sizeof(st));
	st.prefix = cfg.prefix;
	st.stored_names = strmap_new();
	st.fresh_names = strmap_new();

	c = consul_open(&cfg);
	if ((rc = kv_scan(c, cfg.prefix, take_stored, &st)) != 0)
		exit(rc);
	consul_close(c);
	info("%zu records stored under %s/", st.stored.n, cfg.prefix);

	record_input_init(&in, argc - optind, argv + optind);
	while (record_input_next(&in, &r))
		take_input(&st, &r);
	info("%lu input records, %zu new", in.records, st.fresh.n);

	if (aflag) {
		qsort(st.stored.v, st.stored.n, sizeof(r), record_cmp_index);
		print_all(&st.stored);
	}
	qsort(st.fresh.v, st.fresh.n, sizeof(r), record_cmp_name);
	print_all(&st.fresh);
	close_stdout();

	strmap_free(st.stored_names);
	strmap_free(st.fresh_names);
	record_list_free(&st.stored);
	record_list_free(&st.fresh);
	consul_config_free(&cfg);
	return record_input_status(&in);
}
