/*
 * redisput: writes records into Redis for the query proxy, each as the key
 * "record" holding "expr" and a member of a set of every record name, in
 * chunks that each commit whole (MULTI/EXEC), passing every record through
 * to stdout once its chunk committed.  Redis is one server, the master its
 * sentinels name, or a cluster written slot by slot (see redis_store.h).  With --delete, removes them instead;
 * with --prune, then removes the members the input did not name.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

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

/* MSET's argc stays far below 2^20, the bound of Redis before 7. */
#define CHUNK_MAX	100000
#define TIMEOUT_MAX	86400.0

static long long	 chunk = 1000;
static int		 delete, dry_run, prune;
static const char	*redis_opt;
static const char	*set_key = "hke:heavy_query_set";
static double		 timeout = 10;

static void __attribute__((noreturn))
usage(int status)
{
	FILE *fp = status == 0 ? stdout : stderr;

	fprintf(fp, "usage: %s [-dnqv] [--prune] [-c chunk] [-r url] "
	    "[-s set-key] [-t timeout]\n"
	    "                [file ...]\n", progname);
	if (status == 0)
		fputs("  -c, --chunk N         records a transaction (1000)\n"
		    "  -d, --delete          remove the records' keys and "
		    "members instead\n"
		    "  -n, --dry-run         connect, write nothing, print "
		    "the records\n"
		    "      --prune           then remove the set's other "
		    "members and their keys\n"
		    "  -q, --quiet           warnings and errors only\n"
		    "  -r, --redis URL       redis://[user:password@]host:port"
		    "[/db],\n"
		    "                        unix:///path[?db=N],\n"
		    "                        redis+sentinel://[user:password@]"
		    "host:port,.../MASTER[/db]\n"
		    "                        [?sentinel_password=P], or\n"
		    "                        redis+cluster://[user:password@]"
		    "host:port,...\n"
		    "                        ($REDIS_URL, " REDIS_URL_DEFAULT
		    ")\n"
		    "  -s, --set-key KEY     the set of record names "
		    "(hke:heavy_query_set)\n"
		    "  -t, --timeout DUR     connect and command timeout (10s; "
		    "0: none)\n"
		    "  -v, --verbose         report what was done on stderr\n"
		    "      --help, --version\n", fp);
	if (status == 0)
		close_stdout();
	exit(status);
}

static int
parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chunk",	required_argument,	NULL, 'c' },
		{ "delete",	no_argument,		NULL, 'd' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "prune",	no_argument,		NULL, 'P' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "redis",	required_argument,	NULL, 'r' },
		{ "set-key",	required_argument,	NULL, 's' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "check-settings", no_argument,	NULL, CLI_OPT_CHECK_SETTINGS },
		{ NULL,		0,			NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:dnqr:s:t:v", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			chunk = opt_long("--chunk", optarg, 1, CHUNK_MAX);
			break;
		case 'd': delete = 1; break;
		case 'n': dry_run = 1; break;
		case 'P': prune = 1; break;
		case 'q': verbosity = 0; break;
		case 'r': redis_opt = optarg; break;
		case 's': set_key = optarg; break;
		case 't': timeout = opt_duration("--timeout", optarg); break;
		case 'v': verbosity++; break;
		case 'h': usage(0);
		case 'V': cli_version();
		case CLI_OPT_CHECK_SETTINGS: cli_check_settings = 1; break;
		default: usage(EX_USAGE);
		}
	}
	if (delete && prune)
		die(EX_USAGE, "--delete and --prune do not go together");
	if (*set_key == '\0')
		die(EX_USAGE, "--set-key: the key name is empty");
	if (timeout > TIMEOUT_MAX)
		die(EX_USAGE, "--timeout: at most 24h");
	return optind;
}

/* The URL to connect to; one that does not parse is a usage error. */
static void
parse_url(struct redis_url *u)
{
	const char *why;

	if (redis_url_parse(redis_url_choose(redis_opt), u, &why) != 0)
		die(EX_USAGE, "%s: %s", redis_opt ? "--redis" : "REDIS_URL",
		    why);
}

/*
 * Writes (or deletes) every record, then prunes.  Returns 0 or the status
 * of the failure that stopped it; *skipped counts records refused.
 */
static int
run(struct put *p, struct record_input *in, unsigned long *skipped)
{
	int status = 0, complete;

	if (prune && !dry_run)
		status = prune_begin(p);
	if (status == 0)
		status = put_run(p, in, dry_run, skipped);
	if (status != 0 || !prune)
		return status;
	if (dry_run) {
		info("dry run: --prune would then remove the set's members "
		    "not in the input");
		return 0;
	}
	complete = record_input_status(in) == EX_OK && *skipped == 0;
	return prune_finish(p, complete);
}

int
main(int argc, char **argv)
{
	struct record_input in;
	struct redis_url u;
	struct put p;
	struct redis_store s;
	unsigned long skipped = 0;
	int status, first;

	cli_init(argv);
	first = parse_options(argc, argv);
	parse_url(&u);
	cli_settings_checked();
	put_sigpipe(0);
	if ((status = redis_store_connect(&s, &u, timeout)) != 0)
		return status;
	if ((status = put_check_set(&s, set_key)) != 0) {
		redis_store_close(&s);
		return status;
	}
	record_input_init(&in, argc - first, argv + first);
	put_init(&p, &s, set_key, (size_t)chunk, delete);
	if ((status = run(&p, &in, &skipped)) == 0)
		put_report(&p, dry_run);
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
