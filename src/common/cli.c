#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "output.h"
#include "summary.h"
#include "version.h"
#include "xalloc.h"

/* getopt_long's value for a row without a letter: CODE + its place. */
#define CODE		0x100
#define HELP_COLUMN	26	/* where --help's descriptions start */

enum { QUIET, VERBOSE, HELP, VERSION, CHECK_SETTINGS, SUMMARY_FD };

static const struct cli_option consul_rows[] = {
	{ CONSUL_ADDRESS, "consul", 0, "ADDR", "Consul's address, host:port or "
	    "http(s)://host:port\n($CONSUL_HTTP_ADDR, 127.0.0.1:8500)" },
	{ CONSUL_TOKEN_FILE, "token-file", 0, "FILE", "the file of the ACL "
	    "token ($CONSUL_HTTP_TOKEN_FILE)" },
	{ CONSUL_PREFIX, "prefix", 0, "PREFIX", "the records' KV prefix ("
	    CONSUL_DEFAULT_PREFIX ")" },
	{ CONSUL_TIMEOUT, "timeout", 0, "DURATION", "for the connection and a whole "
	    "answer (30s)" },
	{ CONSUL_RETRIES, "retries", 0, "N", "further tries after a transport "
	    "error or a 5xx (4)" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct cli_option common_rows[] = {
	{ QUIET, "quiet", 'q', NULL, "warnings and errors only" },
	{ VERBOSE, "verbose", 'v', NULL, "say what was done on stderr; -vv: "
	    "more" },
	{ HELP, "help", 'h', NULL, "this help, on stdout" },
	{ VERSION, "version", 0, NULL, "the version, on stdout" },
	{ CHECK_SETTINGS, "check-settings", 0, NULL, "check every option and "
	    "setting, then stop" },
	{ SUMMARY_FD, "summary-fd", 0, "N", "at exit, the run's counts as one "
	    "JSON line on fd N" },
	{ 0, NULL, 0, NULL, NULL }
};

enum segment { TOOL, CONSUL, COMMON, SEGMENTS };

static int	check_settings;		/* --check-settings was given */

void
cli_init(char **argv)
{
	diag_init(argv[0]);
	argv[0] = (char *)progname;
}

static void __attribute__((noreturn))
version(void)
{
	printf("%s (recsync) %s\n", progname, RECSYNC_VERSION);
	close_stdout();
	exit(EX_OK);
}

/* The tables a tool takes, in the order --help shows them. */
static void
segments(const struct cli *cl, const struct cli_option *seg[SEGMENTS])
{
	seg[TOOL] = cl->options;
	seg[CONSUL] = cl->consul != NULL ? consul_rows : NULL;
	seg[COMMON] = common_rows;
}

static int
has_arg(const struct cli_option *o)
{
	if (o->arg == NULL)
		return no_argument;
	return o->arg[0] == '[' ? optional_argument : required_argument;
}

/* getopt_long's long options and letters, made from the rows. */
static void
build(struct cli *cl)
{
	const struct cli_option *seg[SEGMENTS], *o;
	struct option *lo;
	size_t n = 0, code = 0, i;
	char *p;
	int s;

	segments(cl, seg);
	for (s = 0; s < SEGMENTS; s++)
		for (o = seg[s]; o != NULL && o->name != NULL; o++)
			n++;
	lo = xcalloc(n + 1, sizeof(*lo));
	p = cl->letters = xcalloc(3 * n + 2, 1);
	if (cl->in_order)
		*p++ = '+';
	for (s = 0, i = 0; s < SEGMENTS; s++)
		for (o = seg[s]; o != NULL && o->name != NULL; o++, i++) {
			lo[i].name = o->name;
			lo[i].has_arg = has_arg(o);
			lo[i].val = o->letter ? o->letter : CODE + (int)code;
			code++;
			if (o->letter == 0)
				continue;
			/* A table that gives a letter twice is a bug. */
			if (strchr(cl->letters, o->letter) != NULL)
				die(EX_SOFTWARE, "-%c: two options have it",
				    o->letter);
			*p++ = (char)o->letter;
			if (lo[i].has_arg != no_argument)
				*p++ = ':';
			if (lo[i].has_arg == optional_argument)
				*p++ = ':';
		}
	cl->getopt_table = lo;
}

/* The row getopt_long returned ch for, and its table; NULL if none. */
static const struct cli_option *
find(const struct cli *cl, int ch, enum segment *which)
{
	const struct cli_option *seg[SEGMENTS], *o;
	int s, code = CODE;

	segments(cl, seg);
	for (s = 0; s < SEGMENTS; s++)
		for (o = seg[s]; o != NULL && o->name != NULL; o++, code++)
			if (ch == (o->letter ? o->letter : code)) {
				*which = (enum segment)s;
				return o;
			}
	return NULL;
}

static void
common_option(const struct cli *cl, int id)
{
	switch (id) {
	case QUIET:
		verbosity = 0;
		break;
	case VERBOSE:
		verbosity++;
		break;
	case HELP:
		cli_usage(cl, EX_OK);
	case VERSION:
		version();
	case CHECK_SETTINGS:
		check_settings = 1;
		break;
	case SUMMARY_FD:
		summary_open(optarg);
		break;
	}
}

int
cli_next(struct cli *cl, int argc, char **argv)
{
	const struct cli_option *o;
	enum segment which;
	int ch;

	if (cl->getopt_table == NULL)
		build(cl);
	while ((ch = getopt_long(argc, argv, cl->letters, cl->getopt_table,
	    NULL)) != -1) {
		/* '?': getopt_long has said what is wrong. */
		if (ch == '?' || (o = find(cl, ch, &which)) == NULL)
			cli_usage(cl, EX_USAGE);
		if (which == TOOL)
			return o->id;
		if (which == CONSUL)
			cl->consul_set(cl->consul, (enum consul_setting)o->id,
			    optarg);
		else
			common_option(cl, o->id);
	}
	free(cl->getopt_table);
	free(cl->letters);
	cl->getopt_table = NULL;
	cl->letters = NULL;
	return -1;
}

/* "  -c, --chunk N", padded to the help's column, then its help. */
static void
print_option(FILE *fp, const struct cli_option *o)
{
	const char *help = o->help, *nl;
	int len;

	if (o->letter != 0)
		len = fprintf(fp, "  -%c, --%s", o->letter, o->name);
	else
		len = fprintf(fp, "      --%s", o->name);
	if (o->arg != NULL)
		len += fprintf(fp, "%s%s", o->arg[0] == '[' ? "" : " ", o->arg);
	if (len >= HELP_COLUMN - 1) {
		fputc('\n', fp);
		len = 0;
	}
	for (;;) {
		nl = strchr(help, '\n');
		fprintf(fp, "%*s%.*s\n", HELP_COLUMN - len, "",
		    nl != NULL ? (int)(nl - help) : (int)strlen(help), help);
		if (nl == NULL)
			break;
		help = nl + 1;
		len = 0;
	}
}

void
cli_usage(const struct cli *cl, int status)
{
	FILE *fp = status == EX_OK ? stdout : stderr;
	const struct cli_option *seg[SEGMENTS], *o;
	int indent = (int)(strlen("usage: ") + strlen(progname) + 1), s;
	const char *line = cl->synopsis, *nl;

	fprintf(fp, "usage: %s ", progname);
	while ((nl = strchr(line, '\n')) != NULL) {
		fprintf(fp, "%.*s\n%*s", (int)(nl - line), line, indent, "");
		line = nl + 1;
	}
	fprintf(fp, "%s\n", line);
	if (status != EX_OK)
		exit(status);
	segments(cl, seg);
	for (s = 0; s < SEGMENTS; s++)
		for (o = seg[s]; o != NULL && o->name != NULL; o++)
			print_option(fp, o);
	close_stdout();
	exit(EX_OK);
}

void
cli_settings_checked(void)
{
	if (!check_settings)
		return;
	summary_discard();	/* nothing done, nothing to count */
	close_stdout();
	exit(EX_OK);
}
