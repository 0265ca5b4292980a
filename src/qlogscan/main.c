/*
 * qlogscan: finds the heavy queries in Prometheus query logs and writes one
 * record for each distinct one, named PREFIX:<md5 of the query>, sorted by
 * name.  See qlogscan(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "qlogscan.h"
#include "record.h"
#include "summary.h"
#include "xalloc.h"

#define MAX_LINE	(16 << 20)	/* no query-log line comes near */
#define DECODE_MEMORY	4	/* jansson may have 4 bytes a byte of line */

enum { OPT_INSTANT, OPT_PREFIX, OPT_STATS, OPT_THRESHOLD, OPT_USAGE,
    OPT_EXCLUDE_FILE, OPT_EXCLUDE, OPT_FULL_PARSE, OPT_MAX_LINE,
    OPT_MAX_RANGE, OPT_MAX_TIME };

static const struct cli_option options[] = {
	{ OPT_INSTANT, "instant", 'i', NULL, "also take instant queries "
	    "(/api/v1/query)" },
	{ OPT_PREFIX, "prefix", 'p', "PREFIX", "the records' name prefix "
	    "(hke:heavy_expr)" },
	{ OPT_STATS, "stats", 's', NULL, "at the end, count the lines by "
	    "reason on stderr" },
	{ OPT_THRESHOLD, "threshold", 't', "DURATION", "how long a heavy "
	    "query takes (5s)" },
	{ OPT_USAGE, "usage", 'u', NULL, "print the records the logs show in "
	    "use instead" },
	{ OPT_EXCLUDE_FILE, "exclude-file", 'X', "FILE", "skip the queries "
	    "that contain a line of FILE" },
	{ OPT_EXCLUDE, "exclude", 'x', "SUBSTRING", "skip the queries that "
	    "contain SUBSTRING" },
	{ OPT_FULL_PARSE, "full-parse", 0, NULL, "decode every line in full, "
	    "without the pre-check" },
	{ OPT_MAX_LINE, "max-line", 0, "BYTES", "the longest line read "
	    "(16 MiB)" },
	{ OPT_MAX_RANGE, "max-range", 0, "DURATION", "the longest range of a "
	    "selected range query (6h)" },
	{ OPT_MAX_TIME, "max-time", 0, "DURATION", "a query with any timing "
	    "above is a timeout (40s)" },
	{ 0, NULL, 0, NULL, NULL }
};

static void
add_exclude(struct rules *ru, const char *s)
{
	if (*s == '\0')
		die(EX_USAGE, "--exclude: an empty substring would exclude "
		    "every query");
	ru->excludes = xreallocarray(ru->excludes, ru->nexcludes + 1,
	    sizeof(*ru->excludes));
	ru->excludes[ru->nexcludes++] = xstrdup(s);
}

/* A line of an exclude file that is no substring: blank, or a comment. */
static int
inert(const char *s)
{
	s += strspn(s, " \t\v\f");
	return *s == '\0' || *s == '#';
}

/*
 * Every line of path is an excluded substring, but for blank lines and
 * those whose first non-blank character is '#'.
 */
static void
read_exclude_file(struct rules *ru, const char *path)
{
	char *line = NULL, *nul;
	size_t cap = 0, len;
	unsigned long lineno = 0;
	ssize_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		for (len = n; len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'); len--)
			line[len - 1] = '\0';
		/* It would cut the substring short without a word. */
		if ((nul = memchr(line, '\0', len)) != NULL)
			die(EX_DATAERR, "%s:%lu: a NUL byte (column %zu)", path,
			    lineno, (size_t)(nul - line) + 1);
		if (!inert(line))
			add_exclude(ru, line);
	}
	/* getline also ends with -1 when malloc fails: that is no end. */
	if (ferror(fp) || !feof(fp))
		die(errno == ENOMEM ? EX_OSERR : EX_IOERR, "%s: read error: %s",
		    path, strerror(errno));
	fclose(fp);
	free(line);
}

/* A name PREFIX:<md5> must be a metric name; checked on a sample. */
static void
check_prefix(const char *prefix)
{
	char *name = heavy_name(prefix, "up");
	int valid = record_name_valid(prefix) && record_name_valid(name);

	free(name);
	if (!valid)
		die(EX_USAGE, "--prefix: '%s' does not make a valid metric name "
		    "([a-zA-Z_:][a-zA-Z0-9_:]*)", prefix);
}

static void
parse_options(int argc, char **argv, struct rules *ru, struct scan *sc,
    int *stats, int *usage_mode)
{
	struct cli cl = { .options = options, .synopsis =
	    "[-iqsuv] [-p prefix] [-t duration] [-X file] [-x substring]\n"
	    "[--full-parse] [--max-line bytes] [--max-range duration]\n"
	    "[--max-time duration] [file ...]" };
	int ch;

	while ((ch = cli_next(&cl, argc, argv)) != -1) {
		switch (ch) {
		case OPT_INSTANT:	ru->instant = 1; break;
		case OPT_PREFIX:	ru->prefix = optarg; break;
		case OPT_STATS:		*stats = 1; break;
		case OPT_USAGE:		*usage_mode = 1; break;
		case OPT_THRESHOLD:	ru->threshold = opt_duration(
					    "--threshold", optarg); break;
		case OPT_EXCLUDE_FILE:	read_exclude_file(ru, optarg); break;
		case OPT_EXCLUDE:	add_exclude(ru, optarg); break;
		case OPT_FULL_PARSE:	sc->full_parse = 1; break;
		case OPT_MAX_LINE:	sc->rd.max = (size_t)opt_long(
					    "--max-line", optarg, 1024,
					    1LL << 30); break;
		case OPT_MAX_RANGE:	ru->max_range = opt_duration(
					    "--max-range", optarg); break;
		case OPT_MAX_TIME:	ru->max_time = opt_duration(
					    "--max-time", optarg); break;
		}
	}
	check_prefix(ru->prefix);
}

/* --summary-fd: qlogscan(1)'s SUMMARY: the lines by reason, as --stats. */
static void
summarize(const struct scan *sc)
{
	int r;

	summary_set("lines", sc->lines);
	summary_set("bytes", sc->bytes);
	for (r = 0; r < R_NREASONS; r++)
		summary_set(reason_names[r], sc->counts[r]);
	summary_set("output", scan_distinct(sc));
	summary_write();
}

int
main(int argc, char **argv)
{
	struct rules ru = { .threshold = 5, .max_range = 6 * 3600,
	    .max_time = 40, .prefix = "hke:heavy_expr" };
	struct scan sc = { .rules = &ru, .rd = { .max = MAX_LINE } };
	int i, stats = 0, usage_mode = 0;
	size_t n;

	cli_init(argv);
	parse_options(argc, argv, &ru, &sc, &stats, &usage_mode);
	cli_settings_checked();
	jalloc_init(DECODE_MEMORY * sc.rd.max + (1 << 20));
	argc -= optind;
	argv += optind;

	sc.table = heavy_new(ru.prefix);
	if (usage_mode)
		sc.usage = usage_new(ru.prefix);
	progress_init(verbosity > 0);
	for (i = 0; i < argc; i++)
		scan_path(&sc, argv[i]);
	if (argc == 0)
		scan_path(&sc, "-");
	progress_clear();	/* stdout may be the same terminal */
	if (usage_mode)
		usage_print(sc.usage);
	else
		heavy_print(sc.table);
	close_stdout();
	summarize(&sc);
	scan_report(&sc, stats);
	info("%zu %s from %llu line%s", scan_distinct(&sc),
	    usage_mode ? (scan_distinct(&sc) == 1 ? "record in use" :
	    "records in use") : (scan_distinct(&sc) == 1 ? "heavy query" :
	    "heavy queries"), sc.lines, plural(sc.lines));

	heavy_free(sc.table);
	if (usage_mode)
		usage_free(sc.usage);
	scan_free(&sc);
	for (n = 0; n < ru.nexcludes; n++)
		free(ru.excludes[n]);
	free(ru.excludes);
	return sc.status;
}
