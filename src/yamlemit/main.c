/*
 * yamlemit: writes records as a Prometheus rule file, replaced atomically,
 * and passes the records on once the file is in place.  See yamlemit(1).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "summary.h"
#include "xalloc.h"
#include "yamlemit.h"

struct opts {
	struct outputs	 w;
	struct checkopts ck;
	int		 allow_empty, origin;
	struct layout	 lo;
	struct shard	 sh;
};

enum { OPT_OUTPUT, OPT_DIRECTORY, OPT_CHECK, OPT_CHECK_ALL,
    OPT_CHECK_TIMEOUT, OPT_REJECTS, OPT_GROUP, OPT_GROUP_SIZE, OPT_INTERVAL,
    OPT_LABEL, OPT_SHARD, OPT_MODE, OPT_ALLOW_EMPTY, OPT_ORIGIN };

static const struct cli_option options[] = {
	{ OPT_OUTPUT, "output", 'o', "FILE", "write the rule file FILE (-: "
	    "stdout, then no records)" },
	{ OPT_DIRECTORY, "directory", 'd', "DIR", "write the rule file into DIR, "
	    "named by its count and the time" },
	{ OPT_CHECK, "check", 0, "[=PROMTOOL]", "leave out the rules promtool "
	    "refuses; new ones are checked" },
	{ OPT_CHECK_ALL, "check-all", 0, NULL, "--check every rule, those with an "
	    "index too" },
	{ OPT_CHECK_TIMEOUT, "check-timeout", 0, "DURATION", "how long "
	    "promtool may take (10m)" },
	{ OPT_REJECTS, "rejects", 0, "FILE", "write the records --check "
	    "refused to FILE" },
	{ OPT_GROUP, "group", 0, "NAME", "the rule group's name "
	    "(heavy_expr_record)" },
	{ OPT_GROUP_SIZE, "group-size", 0, "M", "at most M rules a group, "
	    "NAME_0001, NAME_0002, ..." },
	{ OPT_INTERVAL, "interval", 0, "DURATION", "the groups' evaluation "
	    "interval (the server's)" },
	{ OPT_LABEL, "label", 0, "NAME=VALUE", "a label on every rule; may be "
	    "repeated" },
	{ OPT_SHARD, "shard", 0, "K/N", "only the records whose index "
	    "modulo N is K" },
	{ OPT_MODE, "mode", 0, "OCTAL", "the files' permissions (0644)" },
	{ OPT_ALLOW_EMPTY, "allow-empty", 0, NULL, "write a file even with no "
	    "rules" },
	{ OPT_ORIGIN, "origin", 0, NULL, "report a record at the "
	    "FILE:LINE of its origin member" },
	{ 0, NULL, 0, NULL, NULL }
};

static void
parse_options(struct opts *o, int argc, char **argv)
{
	struct cli cl = { .options = options, .synopsis =
	    "-o FILE | -d DIR [-qv] [--check[=PROMTOOL]] [--check-all]\n"
	    "[--check-timeout DURATION] [--rejects FILE] [--group NAME]\n"
	    "[--group-size M] [--interval DURATION] [--label NAME=VALUE]...\n"
	    "[--shard K/N] [--mode OCTAL] [--allow-empty] [--origin] "
	    "[FILE ...]" };
	int c;

	while ((c = cli_next(&cl, argc, argv)) != -1) {
		switch (c) {
		case OPT_OUTPUT: o->w.out = optarg; break;
		case OPT_DIRECTORY: o->w.dir = optarg; break;
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

/*
 * --summary-fd: the counts of yamlemit(1)'s SUMMARY; "rules" and "file"
 * are set once the rule file is in place.
 */
static void
summarize(const struct ruleset *rs, const size_t *rejected,
    const size_t *output)
{
	summary_size("input", &rs->nread);
	summary_count("bad", &rs->nbad);
	summary_size("rejected", rejected);
	summary_set("rules", 0);
	summary_size("output", output);
	summary_text("file", NULL);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct ruleset rs;
	size_t rejected = 0, output = 0;
	int status;

	cli_init(argv);
	memset(&o, 0, sizeof(o));
	memset(&rs, 0, sizeof(rs));
	o.lo.group = "heavy_expr_record";
	o.w.mode = 0644;
	o.ck.timeout = 600;
	parse_options(&o, argc, argv);
	cli_settings_checked();
	summarize(&rs, &rejected, &output);
	rs.origin = o.origin;

	status = ruleset_read(&rs, argc - optind, argv + optind, &o.sh);
	status = worse(status, ruleset_sort(&rs));
	refuse_empty(&o, &rs, status, 0);
	if (o.ck.prog != NULL && (rejected = check_rules(&o.ck, &o.lo, &rs)) > 0) {
		status = worse(status, report_rejects(&rs));
		refuse_empty(&o, &rs, status, 1);
	}
	write_files(&o.w, &o.lo, &rs);
	if (o.w.out == NULL || strcmp(o.w.out, "-") != 0)
		output = pass_through(&rs);
	info("%zu rule%s written, %zu record%s read", rs.nsorted,
	    plural(rs.nsorted), rs.nread, plural(rs.nread));
	summary_write();
	ruleset_free(&rs);
	free(o.lo.label_names);
	free(o.lo.label_values);
	close_stdout();
	return status;
}
