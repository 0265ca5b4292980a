/*
 * cli: what every tool's command line shares.  --version prints
 * "TOOL (recsync) VERSION" on stdout and exits 0.
 *
 * CLI_LONG_OPTIONS are -q/--quiet, -v/--verbose, --help and --version;
 * cli_option() handles them for a tool whose getopt string has "qv".
 */
#ifndef RECSYNC_CLI_H
#define RECSYNC_CLI_H

#define RECSYNC_VERSION "0.1.0"

enum { CLI_OPT_HELP = 0x80, CLI_OPT_VERSION };
#define CLI_LONG_OPTIONS						\
	{ "quiet", no_argument, NULL, 'q' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "help", no_argument, NULL, CLI_OPT_HELP },			\
	{ "version", no_argument, NULL, CLI_OPT_VERSION }

void	cli_version(void) __attribute__((noreturn));
/*
 * Handles one of CLI_LONG_OPTIONS: 1 when ch was one of them.  --help
 * calls usage(EX_OK), which must not return.
 */
int	cli_option(int ch, void (*usage)(int));

#endif
