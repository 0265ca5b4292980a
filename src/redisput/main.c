/*
 * redisput: writes records into Redis for the query proxy, each as the key
 * "record" holding "expr" and a member of a set of every record name, in
 * chunks that each commit whole (MULTI/EXEC), passing every record through
 * to stdout once its chunk committed.  Redis is one server, the master its
 * sentinels name, or a cluster written slot by slot (see redis_store.h).  With --delete, removes them instead;
 * with --prune, then removes the members the input did not name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cli.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "prune.h"
#include "put.h"
#include "record.h"
#include "redis_store.h"
#include "redis_url.h"
#include "summary.h"

/* MSET's argc stays far below 2^20, the bound of Redis before 7. */
#define CHUNK_MAX	100000
#define TIMEOUT_MAX	86400.0
/* Chunks in flight on one server: enough to hide the round trip. */
#ifndef DEPTH
#define DEPTH		4
#endif

enum { OPT_CHUNK, OPT_DELETE, OPT_DRY_RUN, OPT_PRUNE, OPT_REDIS,
    OPT_REWRITE_ALL, OPT_SET_KEY, OPT_TIMEOUT };

static const struct cli_option options[] = {
	{ OPT_CHUNK, "chunk", 'c', "N", "records a transaction (1000)" },
	{ OPT_DELETE, "delete", 0, NULL, "remove the records' keys and members "
	    "instead" },
	{ OPT_DRY_RUN, "dry-run", 'n', NULL, "connect, write nothing, print "
	    "the records" },
	{ OPT_PRUNE, "prune", 0, NULL, "then remove the set's other members "
	    "and their keys" },
	{ OPT_REDIS, "redis", 'r', "URL", "redis://[user:password@]host:port"
	    "[/db],\nunix:///path[?db=N],\n"
	    "redis+sentinel://[user:password@]host:port,.../MASTER[/db]\n"
	    "[?sentinel_password=P], or\n"
	    "redis+cluster://[user:password@]host:port,...\n"
	    "($REDIS_URL, " REDIS_URL_DEFAULT ")" },
	{ OPT_REWRITE_ALL, "rewrite-all", 0, NULL, "write every record, not "
	    "only what Redis lacks" },
	{ OPT_SET_KEY, "set-key", 0, "KEY", "the set of record names "
	    "(hke:heavy_query_set)" },
	{ OPT_TIMEOUT, "timeout", 0, "DURATION", "connect and command timeout "
	    "(10s; 0: none)" },
	{ 0, NULL, 0, NULL, NULL }
};

/* What the command line asks for. */
struct opts {
	long long	 chunk;
	int		 delete, dry_run, prune, rewrite_all;
	const char	*redis;		/* NULL: $REDIS_URL or the default */
	const char	*set_key;
	double		 timeout;
};

static void
parse_options(int argc, char **argv, struct opts *o)
{
	struct cli cl = { .options = options, .synopsis =
	    "[-nqv] [--delete] [--prune] [--rewrite-all] [-c chunk] [-r url]\n"
	    "[--set-key key] [--timeout duration] [file ...]" };
	int ch;

	while ((ch = cli_next(&cl, argc, argv)) != -1) {
		switch (ch) {
		case OPT_CHUNK:
			o->chunk = opt_long("--chunk", optarg, 1, CHUNK_MAX);
			break;
		case OPT_DELETE: o->delete = 1; break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_PRUNE: o->prune = 1; break;
		case OPT_REDIS: o->redis = optarg; break;
		case OPT_REWRITE_ALL: o->rewrite_all = 1; break;
		case OPT_SET_KEY: o->set_key = optarg; break;
		case OPT_TIMEOUT:
			o->timeout = opt_duration("--timeout", optarg);
			break;
		}
	}
	if (o->delete && o->prune)
		die(EX_USAGE, "--delete and --prune do not go together");
	if (*o->set_key == '\0')
		die(EX_USAGE, "--set-key: the key name is empty");
	if (o->timeout > TIMEOUT_MAX)
		die(EX_USAGE, "--timeout: at most 24h");
}

/* The URL to connect to; one that does not parse is a usage error. */
static void
parse_url(const char *redis, struct redis_url *u)
{
	const char *why;

	if (redis_url_parse(redis_url_choose(redis), u, &why) != 0)
		die(EX_USAGE, "%s: %s", redis ? "--redis" : "REDIS_URL", why);
}

/*
 * Writes (or deletes) every record, then prunes.  Returns 0 or the status
 * of the failure that stopped it; *skipped counts records refused.
 */
static int
run(const struct opts *o, struct put *p, struct record_input *in,
    unsigned long *skipped)
{
	int status = 0, complete;

	if (o->prune && !o->dry_run)
		status = prune_begin(p);
	if (status == 0)
		status = put_run(p, in, o->dry_run, skipped);
	if (status != 0 || !o->prune)
		return status;
	if (o->dry_run) {
		info("dry run: --prune would then remove the set's members "
		    "not in the input");
		return 0;
	}
	complete = record_input_status(in) == EX_OK && *skipped == 0;
	return prune_finish(p, complete);
}

/* --summary-fd: the counts of redisput(1)'s SUMMARY, read at the end. */
static void
summarize(const struct record_input *in, const struct put *p,
    const unsigned long *skipped)
{
	summary_count("input", &in->records);
	summary_count("bad", &in->bad);
	summary_count("skipped", skipped);
	summary_count("output", &p->done);
	summary_count("chunks", &p->chunks);
}

int
main(int argc, char **argv)
{
	struct record_input in;
	struct redis_url u;
	struct put p;
	struct redis_store s;
	struct opts o = { .chunk = 1000, .set_key = "hke:heavy_query_set",
	    .timeout = 10 };
	unsigned long skipped = 0;
	int status;

	cli_init(argv);
	parse_options(argc, argv, &o);
	parse_url(o.redis, &u);
	cli_settings_checked();
	memset(&in, 0, sizeof(in));
	memset(&p, 0, sizeof(p));
	summarize(&in, &p, &skipped);
	put_sigpipe(0);
	/* exit(), not return: the summary reads main's counters at exit. */
	if ((status = redis_store_connect(&s, &u, o.timeout)) != 0)
		exit(status);
	if ((status = put_check_set(&s, o.set_key)) != 0) {
		redis_store_close(&s);
		exit(status);
	}
	record_input_init(&in, argc - optind, argv + optind);
	put_init(&p, &s, o.set_key, (size_t)o.chunk, DEPTH, o.delete,
	    !o.rewrite_all);
	if ((status = run(&o, &p, &in, &skipped)) == 0)
		put_report(&p, o.dry_run);
	summary_write();
	put_free(&p);
	if (in.cur != NULL)		/* stopped early by a failed chunk */
		record_reader_close(in.cur);
	redis_store_close(&s);
	put_sigpipe(1);
	close_stdout();
	if (status == 0)
		status = record_input_status(&in);
	return status == 0 && skipped > 0 ? EX_DATAERR : status;
}
