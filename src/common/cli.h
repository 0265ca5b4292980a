/*
 * cli: what every tool's command line shares.  --version prints
 * "TOOL (recsync) VERSION" on stdout and exits 0.
 */
#ifndef RECSYNC_CLI_H
#define RECSYNC_CLI_H

#define RECSYNC_VERSION "0.1.0"

void	cli_version(void) __attribute__((noreturn));

#endif
