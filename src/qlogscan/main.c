/*
 * qlogscan: finds the heavy queries in Prometheus query logs and writes one
 * record for each distinct one, named PREFIX:<md5 of the query>, sorted by
 * name.  See qlogscan(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "numparse.h"
#include "output.h"
#include "qlogscan.h"
#include "record.h"
#include "xalloc.h"

enum { OPT_FULL_PARSE = 256, OPT_MAX_LINE, OPT_MAX_RANGE, OPT_MAX_TIME,
    OPT_VERSION };

#define MAX_LINE	(16 << 20)	/* no query-log line comes near */
#define DECODE_MEMORY	4	/* jansson may have 4 bytes a byte of line */

static const struct option longopts[] = {
	{ "exclude",		required_argument,	NULL, 'x' },
	{ "exclude-file",	required_argument,	NULL, 'X' },
	{ "full-parse",		no_argument,		NULL, OPT_FULL_PARSE },
	{ "help",		no_argument,		NULL, 'h' },
	{ "instant",		no_argument,		NULL, 'i' },
	{ "max-line",		required_argument,	NULL, OPT_MAX_LINE },
	{ "max-range",		required_argument,	NULL, OPT_MAX_RANGE },
	{ "max-time",		required_argument,	NULL, OPT_MAX_TIME },
	{ "prefix",		required_argument,	NULL, 'p' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "stats",		no_argument,		NULL, 's' },
	{ "threshold",		required_argument,	NULL, 't' },
	{ "usage",		no_argument,		NULL, 'u' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 }
};

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s [-iqsuv] [-p prefix] [-t duration] "
	    "[-X file] [-x substring]\n"
	    "       %*s [--full-parse] [--max-line bytes] "
	    "[--max-range duration]\n"
	    "       %*s [--max-time duration] [file ...]\n",
	    progname, (int)strlen(progname), "", (int)strlen(progname), "");
	if (fp == stdout)
		close_stdout();
	exit(status);
}

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
	int ch;

	while ((ch = getopt_long(argc, argv, "hiqsuvp:t:X:x:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':	usage(stdout, EX_OK);
		case 'i':	ru->instant = 1; break;
		case 'p':	ru->prefix = optarg; break;
		case 'q':	verbosity = 0; break;
		case 's':	*stats = 1; break;
		case 'u':	*usage_mode = 1; break;
		case 't':	ru->threshold = opt_duration("--threshold",
				    optarg); break;
		case 'v':	verbosity++; break;
		case 'X':	read_exclude_file(ru, optarg); break;
		case 'x':	add_exclude(ru, optarg); break;
		case OPT_FULL_PARSE:	sc->full_parse = 1; break;
		case OPT_MAX_LINE:	sc->rd.max = (size_t)opt_long(
					    "--max-line", optarg, 1024,
					    1LL << 30); break;
		case OPT_MAX_RANGE:	ru->max_range = opt_duration(
					    "--max-range", optarg); break;
		case OPT_MAX_TIME:	ru->max_time = opt_duration(
					    "--max-time", optarg); break;
		case OPT_VERSION:	cli_version();
		default:	usage(stderr, EX_USAGE);
		}
	}
	check_prefix(ru->prefix);
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
