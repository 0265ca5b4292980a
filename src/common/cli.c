#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "diag.h"
#include "output.h"

int	cli_check_settings;

void
cli_init(char **argv)
{
	diag_init(argv[0]);
	argv[0] = (char *)progname;
}

void
cli_version(void)
{
	printf("%s (recsync) %s\n", progname, RECSYNC_VERSION);
	close_stdout();
	exit(EX_OK);
}

int
cli_option(int ch, void (*usage)(int))
{
	switch (ch) {
	case 'q':
		verbosity = 0;
		return 1;
	case 'v':
		verbosity++;
		return 1;
	case CLI_OPT_HELP:
		usage(EX_OK);
		return 1;
	case CLI_OPT_VERSION:
		cli_version();
	case CLI_OPT_CHECK_SETTINGS:
		cli_check_settings = 1;
		return 1;
	}
	return 0;
}

void
cli_settings_checked(void)
{
	if (!cli_check_settings)
		return;
	close_stdout();
	exit(EX_OK);
}
