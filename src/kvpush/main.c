/*
 * kvpush: writes new records to Consul as PREFIX/N, numbered from the
 * largest N there + 1, in create-only transactions, and prints each record
 * with its index once its transaction has committed.  Records that carry
 * an index already are stored, and pass through untouched.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "consul.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "push.h"
#include "txn.h"

enum { OPT_MAX_OPS = OPT_CONSUL_LAST, OPT_MAX_BYTES, OPT_DRY_RUN, OPT_DELETE,
    OPT_TOUCH };

static int	deleting;	/* --delete */
static int	touching;	/* --touch */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-qv] [--delete | --touch] [--dry-run] [--max-ops N] "
	    "[--max-bytes N]\n"
	    "       " CONSUL_USAGE " [FILE ...]\n", progname);
	exit(status);
}

static void
parse_options(int argc, char *argv[], struct consul_config *cfg,
    struct push_opts *o)
{
	static const struct option longopts[] = {
		{ "max-ops", required_argument, NULL, OPT_MAX_OPS },
		{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "delete", no_argument, NULL, OPT_DELETE },
		{ "touch", no_argument, NULL, OPT_TOUCH },
		CLI_LONG_OPTIONS,
		CONSUL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "qv", longopts, NULL)) != -1) {
		if (consul_config_option(cfg, ch, optarg) ||
		    cli_option(ch, usage))
			continue;
		switch (ch) {
		case OPT_MAX_OPS:
			o->max_ops = (size_t)opt_long("--max-ops", optarg, 1,
			    100000);
			break;
		case OPT_MAX_BYTES:
			o->max_bytes = (size_t)opt_long("--max-bytes", optarg,
			    256, 1LL << 30);
			break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_DELETE: deleting = 1; break;
		case OPT_TOUCH: touching = 1; break;
		default: usage(EX_USAGE);
		}
	}
	if (deleting && touching) {
		warnmsg("--delete and --touch: choose one");
		usage(EX_USAGE);
	}
}

/* The worst of the input's status and the records too large to push. */
static int
exit_status(const struct record_input *in, const struct pusher *p)
{
	int rc = record_input_status(in);

	return rc == EX_OK && p->too_big > 0 ? EX_DATAERR : rc;
}

int
main(int argc, char *argv[])
{
	struct push_opts o = { NULL, TXN_MAX_OPS, TXN_MAX_BYTES, 0, 0 };
	struct consul_config cfg;
	struct record_input in;
	struct pusher p;
	struct consul *c;
	struct record r;
	int rc;

	cli_init(argv);
	consul_config_init(&cfg);
	parse_options(argc, argv, &cfg, &o);
	cli_settings_checked();
	o.prefix = cfg.prefix;
	o.retries = cfg.retries;
	record_input_init(&in, argc - optind, argv + optind);
	c = consul_open(&cfg);

	if (touching) {
		rc = touch_records(c, &o, argc - optind, argv + optind);
		close_stdout();
		exit(rc);
	}
	if (deleting) {
		rc = delete_records(c, &o, &in);
		close_stdout();
		exit(rc != EX_OK ? rc : record_input_status(&in));
	}
	pusher_init(&p, c, &o);
	while (record_input_next(&in, &r)) {
		if (r.index > 0) {
			record_print(&r);
			record_free(&r);
		} else
			pusher_add(&p, &r, &in);
	}
	pusher_flush(&p);
	info("%lu record%s written in %lu transaction%s%s", p.pushed,
	    plural(p.pushed), p.txns, plural(p.txns), o.dry_run ? " (dry run: none really)" : "");
	close_stdout();
	pusher_free(&p);
	consul_close(c);
	consul_config_free(&cfg);
	return exit_status(&in, &p);
}
