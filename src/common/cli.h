/*
 * cli: every tool's command line, from one table of its options (curl's
 * tool_getparam.c is the model).  A row names an option once: its long
 * name, its letter, its argument and one line of help; getopt_long's
 * tables and --help are made from the rows, so that --help describes
 * every option, each on its own line.
 *
 * Every tool also takes the common options: -q/--quiet, -v/--verbose,
 * -h/--help, --version, --check-settings and --summary-fd N (see
 * summary.h); a tool that talks to Consul
 * (struct cli's consul set) takes the Consul options too: --consul,
 * --token-file, --prefix, --timeout and --retries.  cli_next() handles
 * these itself and returns only the tool's own.
 *
 * One letter means one option in every tool: -a --all, -c --chunk,
 * -d --directory, -h --help, -i --instant, -n --dry-run, -o --output,
 * -p --prefix (qlogscan's record-name prefix), -q --quiet, -r --redis,
 * -s --stats, -t --threshold, -u --usage, -v --verbose, -X --exclude-file,
 * -x --exclude.
 *
 * --version prints "TOOL (recsync) VERSION" on stdout and exits 0.
 * --check-settings asks a tool to check every option and setting (its
 * environment included) as a run would, and to stop there: it reads no
 * input and connects to nothing.  A wrapper runs it first, so that a bad
 * setting ends the run before anything is locked or written.
 *
 * A usage error prints the tool's synopsis on stderr and exits EX_USAGE;
 * --help prints it and a line for each option on stdout and exits EX_OK.
 */
#ifndef RECSYNC_CLI_H
#define RECSYNC_CLI_H

#include <getopt.h>	/* optarg and optind, as cli_next() leaves them */

#include "consul.h"	/* the Consul settings; the client is not linked */

/*
 * One option.  arg is the argument's name in --help: NULL for an option
 * that takes none, "[=NAME]" for an optional one (--check[=PROMTOOL]).
 * help is one line, or several separated by '\n'.
 */
struct cli_option {
	int		 id;		/* cli_next()'s value for it, >= 0 */
	const char	*name;		/* the long name, without "--" */
	int		 letter;	/* the short option, or 0 */
	const char	*arg;
	const char	*help;
};

struct cli {
	/* Set by the tool. */
	const char		*synopsis;	/* after "usage: TOOL " */
	const struct cli_option	*options;	/* ends with a NULL name */
	struct consul_config	*consul;	/* takes the Consul options */
	/*
	 * consul_config_set, given by the tool rather than called from here,
	 * so that a tool without Consul options links no libcurl (qlogscan's
	 * memory bound counts its address space).
	 */
	void			(*consul_set)(struct consul_config *,
				    enum consul_setting, const char *);
	int			 in_order;	/* options end at an operand */
	/* cli_next()'s own. */
	void			*getopt_table;
	char			*letters;
};

/*
 * A tool's first call: sets progname from argv[0] (diag_init), and argv[0]
 * to progname, since getopt's messages start with argv[0] ("kvdiff:
 * unrecognized option", not "bin/kvdiff: ...").
 */
void	cli_init(char **argv);
/*
 * The id of the tool's next option, its argument in optarg; -1 once the
 * options end, with optind at the first operand.  A common or Consul
 * option is handled here (a bad value ends the run with EX_USAGE), an
 * unknown one ends the run with the synopsis.
 */
int	cli_next(struct cli *cl, int argc, char **argv);
/*
 * Ends the run with status: for EX_OK (--help) the synopsis and a line
 * for each option on stdout, otherwise the synopsis on stderr.
 */
void	cli_usage(const struct cli *cl, int status) __attribute__((noreturn));
/*
 * Called once every setting has been checked, before any input is read or
 * any connection made: with --check-settings, ends the run with EX_OK.
 */
void	cli_settings_checked(void);

/* The Consul options in a synopsis. */
#define CLI_CONSUL_SYNOPSIS						\
	"[--consul ADDR] [--token-file FILE] [--prefix PREFIX]\n"	\
	"[--timeout DURATION] [--retries N]"

#endif
