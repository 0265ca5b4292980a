/*
 * kvpush: writes new records to Consul as PREFIX/N, numbered from the
 * largest N there + 1, in create-only transactions, each value with the
 * time it was stored (tracked_since), and prints each record with its
 * index once its transaction has committed.  Records that carry
 * an index already are stored, and pass through untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "consul.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "push.h"
#include "summary.h"
#include "txn.h"

enum { OPT_DELETE, OPT_TOUCH, OPT_DRY_RUN, OPT_MAX_OPS, OPT_MAX_BYTES };

static const struct cli_option options[] = {
	{ OPT_DELETE, "delete", 0, NULL, "delete the input's records instead "
	    "(every key of a name)" },
	{ OPT_TOUCH, "touch", 0, NULL, "keep the use that qlogscan --usage "
	    "found in the stored records" },
	{ OPT_DRY_RUN, "dry-run", 'n', NULL, "write nothing; print what would "
	    "be written" },
	{ OPT_MAX_OPS, "max-ops", 0, "N", "operations a transaction (64)" },
	{ OPT_MAX_BYTES, "max-bytes", 0, "N", "bytes a transaction's body "
	    "(512 KiB)" },
	{ 0, NULL, 0, NULL, NULL }
};

enum action { PUSH, DELETE, TOUCH };

static enum action
parse_options(int argc, char *argv[], struct consul_config *cfg,
    struct push_opts *o)
{
	struct cli cl = { .options = options, .consul = cfg,
	    .consul_set = consul_config_set, .synopsis =
	    "[-nqv] [--delete | --touch] [--max-ops N] "
	    "[--max-bytes N]\n" CLI_CONSUL_SYNOPSIS " [FILE ...]" };
	enum action action = PUSH;
	int ch, actions = 0;

	while ((ch = cli_next(&cl, argc, argv)) != -1) {
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
		case OPT_DELETE: action = DELETE; actions++; break;
		case OPT_TOUCH: action = TOUCH; actions++; break;
		}
	}
	if (actions > 1) {
		warnmsg("--delete and --touch: choose one");
		cli_usage(&cl, EX_USAGE);
	}
	return action;
}

/* The worst of the input's status and the records too large to push. */
static int
exit_status(const struct record_input *in, const struct pusher *p)
{
	int rc = record_input_status(in);

	return rc == EX_OK && p->too_big > 0 ? EX_DATAERR : rc;
}

/*
 * Passes on the records that carry an index (stored already) and pushes
 * the others: 0, or the status of a commit that failed, after which the
 * rest of the input is left unread.
 */
static int
push_input(struct pusher *p, struct record_input *in, unsigned long *passed)
{
	struct record r;
	int rc;

	while (record_input_lend(in, &r)) {
		if (r.index > 0) {
			record_print(&r);
			(*passed)++;
		} else if ((rc = pusher_add(p, &r, in)) > 0)
			return rc;
	}
	return pusher_flush(p);
}

/* --summary-fd: the counts of kvpush(1)'s SUMMARY, read at the end. */
static void
summarize(enum action action, const struct record_input *in,
    const struct pusher *p, const unsigned long *passed)
{
	if (action == TOUCH)
		return;		/* its summary is the one it prints */
	summary_count("input", &in->records);
	summary_count("bad", &in->bad);
	if (action == DELETE)
		return;		/* "removed" is counted there */
	summary_count("passed", passed);
	summary_count("pushed", &p->pushed);
	summary_count("too_big", &p->too_big);
	summary_count("transactions", &p->txns);
}

/* stdio's buffers, alive until stdout is closed at exit. */
static char out_buf[1 << 20];

int
main(int argc, char *argv[])
{
	struct push_opts o = { NULL, TXN_MAX_OPS, TXN_MAX_BYTES, 0, 0 };
	struct consul_config cfg;
	struct record_input in;
	struct pusher p;
	struct consul *c;
	enum action action;
	unsigned long passed = 0;
	int rc;

	/*
	 * Large writes (the reader reads in large blocks): at a million
	 * records stdio's 4 KiB buffer made 50,000 system calls.  A batch
	 * is still flushed as soon as it is committed.  (glibc takes no
	 * size without a buffer.)
	 */
	setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	cli_init(argv);
	consul_config_init(&cfg);
	action = parse_options(argc, argv, &cfg, &o);
	cli_settings_checked();
	o.prefix = cfg.prefix;
	o.retries = cfg.retries;
	record_input_init(&in, argc - optind, argv + optind);
	memset(&p, 0, sizeof(p));
	summarize(action, &in, &p, &passed);
	c = consul_open(&cfg);

	if (action == TOUCH) {
		rc = touch_records(c, &o, argc - optind, argv + optind);
		close_stdout();
		summary_write();
		consul_close(c);
		consul_config_free(&cfg);
		exit(rc);
	}
	if (action == DELETE) {
		rc = delete_records(c, &o, &in);
		close_stdout();
		summary_write();
		consul_close(c);
		consul_config_free(&cfg);
		exit(rc);
	}
	if ((rc = pusher_init(&p, c, &o)) == 0 &&
	    (rc = push_input(&p, &in, &passed)) == 0) {
		info("%lu record%s written in %lu transaction%s%s", p.pushed,
		    plural(p.pushed), p.txns, plural(p.txns),
		    o.dry_run ? " (dry run: none really)" : "");
		rc = exit_status(&in, &p);
	}
	close_stdout();
	summary_write();
	pusher_free(&p);
	consul_close(c);
	consul_config_free(&cfg);
	exit(rc);	/* not return: in may still hold an open input */
}
