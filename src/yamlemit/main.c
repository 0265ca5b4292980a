/*
 * yamlemit: writes records as a Prometheus rule file, replaced atomically,
 * and passes the records on once the file is in place.  See yamlemit(1).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "xalloc.h"
#include "yamlemit.h"

struct opts {
	struct outputs	 w;
	struct checkopts ck;
	int		 allow_empty, origin;
	struct layout	 lo;
	struct shard	 sh;
};

enum { OPT_CHECK = 256, OPT_CHECK_ALL, OPT_CHECK_TIMEOUT, OPT_REJECTS, OPT_GROUP, OPT_GROUP_SIZE,
    OPT_INTERVAL, OPT_LABEL, OPT_SHARD, OPT_MODE, OPT_ALLOW_EMPTY, OPT_ORIGIN,
    OPT_HELP, OPT_VERSION, OPT_CHECK_SETTINGS };

static const struct option longopts[] = {
	{ "output",	required_argument, NULL, 'o' },
	{ "directory",	required_argument, NULL, 'd' },
	{ "check",	optional_argument, NULL, OPT_CHECK },
	{ "check-all",	no_argument,	   NULL, OPT_CHECK_ALL },
	{ "check-timeout", required_argument, NULL, OPT_CHECK_TIMEOUT },
	{ "rejects",	required_argument, NULL, OPT_REJECTS },
	{ "group",	required_argument, NULL, OPT_GROUP },
	{ "group-size",	required_argument, NULL, OPT_GROUP_SIZE },
	{ "interval",	required_argument, NULL, OPT_INTERVAL },
	{ "label",	required_argument, NULL, OPT_LABEL },
	{ "shard",	required_argument, NULL, OPT_SHARD },
	{ "mode",	required_argument, NULL, OPT_MODE },
	{ "allow-empty", no_argument,	   NULL, OPT_ALLOW_EMPTY },
	{ "origin",	no_argument,	   NULL, OPT_ORIGIN },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ "check-settings", no_argument,   NULL, OPT_CHECK_SETTINGS },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s -o FILE | -d DIR [-qv] [--check[=PROMTOOL]] "
	    "[--check-all]\n"
	    "\t[--check-timeout DURATION] [--rejects FILE] [--group NAME] [--group-size M] "
	    "[--interval DURATION]\n"
	    "\t[--label NAME=VALUE]... [--shard K/N] [--mode OCTAL] "
	    "[--allow-empty] [--origin]\n"
	    "\t[file ...]\n", progname);
	if (fp == stdout)
		close_stdout();
	exit(status);
}

static void
parse_options(struct opts *o, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "d:o:qv", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->w.out = optarg; break;
		case 'd': o->w.dir = optarg; break;
		case 'q': verbosity = 0; break;
		case 'v': verbosity++; break;
		case OPT_CHECK: o->ck.prog = optarg ? optarg : "promtool"; break;
		case OPT_CHECK_ALL: o->ck.all = 1; break;
		case OPT_CHECK_TIMEOUT: opt_check_timeout(&o->ck, optarg); break;
		case OPT_REJECTS: o->w.rejects = optarg; break;
		case OPT_GROUP: opt_text("--group", optarg); o->lo.group = optarg;
			break;
		case OPT_GROUP_SIZE: o->lo.group_size = (size_t)opt_long(
			"--group-size", optarg, 1, 1000000000); break;
		case OPT_INTERVAL: opt_interval(optarg); o->lo.interval = optarg;
			break;
		case OPT_LABEL: opt_label(&o->lo, optarg); break;
		case OPT_SHARD: opt_shard(&o->sh, optarg); break;
		case OPT_MODE: o->w.mode = opt_mode(optarg); break;
		case OPT_ALLOW_EMPTY: o->allow_empty = 1; break;
		case OPT_ORIGIN: o->origin = 1; break;
		case OPT_HELP: usage(stdout, EX_OK);
		case OPT_VERSION: cli_version();
		case OPT_CHECK_SETTINGS: cli_check_settings = 1; break;
		default: usage(stderr, EX_USAGE);
		}
	}
	if ((o->w.out == NULL) == (o->w.dir == NULL))
		die(EX_USAGE, "exactly one of -o FILE and -d DIR is needed");
	if (o->ck.all && o->ck.prog == NULL)
		o->ck.prog = "promtool";
	if (o->w.rejects != NULL && o->ck.prog == NULL)
		die(EX_USAGE, "--rejects needs --check");
	if (o->ck.timeout_arg != NULL && o->ck.prog == NULL)
		die(EX_USAGE, "--check-timeout needs --check");
	if (o->ck.prog != NULL && *o->ck.prog == '\0')
		die(EX_USAGE, "--check: the program name is empty");
	if (o->w.dir != NULL && *o->w.dir == '\0')
		die(EX_USAGE, "-d: the directory name is empty");
	if (o->w.out != NULL && *o->w.out == '\0')
		die(EX_USAGE, "-o: the file name is empty");
}

/* Prints the rules --check refused and drops them from the file's list. */
static int
report_rejects(struct ruleset *rs)
{
	size_t i, n = 0;

	for (i = 0; i < rs->nsorted; i++) {
		const struct item *it = &rs->items[rs->sorted[i]];

		if (it->reject != NULL)
			warn_at(it->file, it->line, "rule %s: %s", it->name,
			    it->reject);
		else
			rs->sorted[n++] = rs->sorted[i];
	}
	rs->nsorted = n;
	return EX_DATAERR;
}

/*
 * A file with no rules is what a failed stage before us, a shard of the
 * wrong servers or a --check that refused everything would write over the
 * live rules: it is written only with --allow-empty.  Before the check
 * (checked 0) an empty list means nothing was read or nothing is in the
 * shard; after it, that promtool refused every rule.
 */
static void
refuse_empty(const struct opts *o, const struct ruleset *rs, int status,
    int checked)
{
	const char *hint = "nothing written (--allow-empty writes a file "
	    "with no rules)";

	if (rs->nsorted > 0 || o->allow_empty)
		return;
	status = status == EX_OK ? EX_DATAERR : status;
	if (rs->nread == 0)
		die(status, "no records read; %s", hint);
	if (checked)
		die(status, "promtool refused every rule; %s", hint);
	die(status, "no record read is in shard %lld/%lld; %s", o->sh.k,
	    o->sh.n, hint);
}

/* The input's status (65, 66, 74) stands; else bad data makes it 65. */
static int
worse(int status, int more)
{
	return status == EX_OK ? more : status;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct ruleset rs;
	int status;

	cli_init(argv);
	memset(&o, 0, sizeof(o));
	memset(&rs, 0, sizeof(rs));
	o.lo.group = "heavy_expr_record";
	o.w.mode = 0644;
	o.ck.timeout = 600;
	parse_options(&o, argc, argv);
	cli_settings_checked();
	rs.origin = o.origin;

	status = ruleset_read(&rs, argc - optind, argv + optind, &o.sh);
	status = worse(status, ruleset_sort(&rs));
	refuse_empty(&o, &rs, status, 0);
	if (o.ck.prog != NULL && check_rules(&o.ck, &o.lo, &rs) > 0) {
		status = worse(status, report_rejects(&rs));
		refuse_empty(&o, &rs, status, 1);
	}
	write_files(&o.w, &o.lo, &rs);
	if (o.w.out == NULL || strcmp(o.w.out, "-") != 0)
		pass_through(&rs);
	info("%zu rule%s written, %zu record%s read", rs.nsorted,
	    plural(rs.nsorted), rs.nread, plural(rs.nread));
	ruleset_free(&rs);
	free(o.lo.label_names);
	free(o.lo.label_values);
	close_stdout();
	return status;
}
