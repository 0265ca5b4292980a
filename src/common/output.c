#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "output.h"

void
close_stdout(void)
{
	int failed = ferror(stdout);

	if (fclose(stdout) != 0 || failed)
		die(EX_IOERR, "write error on standard output: %s",
		    errno ? strerror(errno) : "unknown error");
}
