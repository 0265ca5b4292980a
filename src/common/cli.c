#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "diag.h"
#include "output.h"

void
cli_version(void)
{
	printf("%s (recsync) %s\n", progname, RECSYNC_VERSION);
	close_stdout();
	exit(EX_OK);
}
