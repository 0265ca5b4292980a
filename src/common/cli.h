/*
 * cli: what every tool's command line shares.  --version prints
 * "TOOL (recsync) VERSION" on stdout and exits 0.
 *
 * CLI_LONG_OPTIONS are -q/--quiet, -v/--verbose, --help, --version and
 * --check-settings; cli_option() handles them for a tool whose getopt
 * string has "qv".
 *
 * --check-settings asks a tool to check every option and setting (its
 * environment included) as a run would, and to stop there: it reads no
 * input and connects to nothing.  A wrapper runs it first, so that a bad
 * setting ends the run before anything is locked or written.
 */
#ifndef RECSYNC_CLI_H
#define RECSYNC_CLI_H

#define RECSYNC_VERSION "0.1.0"

enum { CLI_OPT_HELP = 0x80, CLI_OPT_VERSION, CLI_OPT_CHECK_SETTINGS };
#define CLI_LONG_OPTIONS						\
	{ "quiet", no_argument, NULL, 'q' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "help", no_argument, NULL, CLI_OPT_HELP },			\
	{ "version", no_argument, NULL, CLI_OPT_VERSION },		\
	{ "check-settings", no_argument, NULL, CLI_OPT_CHECK_SETTINGS }

extern int	cli_check_settings;	/* --check-settings was given */

/*
 * A tool's first call: sets progname from argv[0] (diag_init), and argv[0]
 * to progname, since getopt's messages start with argv[0] ("kvdiff:
 * unrecognized option", not "bin/kvdiff: ...").
 */
void	cli_init(char **argv);
void	cli_version(void) __attribute__((noreturn));
/*
 * Handles one of CLI_LONG_OPTIONS: 1 when ch was one of them.  --help
 * calls usage(EX_OK), which must not return.
 */
int	cli_option(int ch, void (*usage)(int));
/*
 * Called once every setting has been checked, before any input is read or
 * any connection made: with --check-settings, ends the run with EX_OK.
 */
void	cli_settings_checked(void);

#endif
