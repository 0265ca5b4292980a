/*
 * The progress line: on a terminal only (never into a file or a pipe),
 * rewritten in place at most four times a second.  It bypasses diag's
 * escaping because it needs the carriage return; everything it prints is
 * our own text.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "qlogscan.h"

#define INTERVAL	0.25	/* seconds between updates */

static int		enabled, shown;
static struct timespec	last;

void
progress_init(int on)
{
	enabled = on && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &last);
}

static double
since(const struct timespec *then, const struct timespec *now)
{
	return (double)(now->tv_sec - then->tv_sec) +
	    (double)(now->tv_nsec - then->tv_nsec) / 1e9;
}

void
progress_update(const struct scan *sc)
{
	struct timespec now;

	if (!enabled || clock_gettime(CLOCK_MONOTONIC, &now) != 0 ||
	    since(&last, &now) < INTERVAL)
		return;
	last = now;
	fprintf(stderr, "\r%s: %.1f MB read, %llu line%s, %zu %s"
	    "\033[K", progname, (double)sc->bytes / 1e6, sc->lines,
	    plural(sc->lines), scan_distinct(sc), sc->usage != NULL ?
	    (scan_distinct(sc) == 1 ? "record in use" : "records in use") :
	    (scan_distinct(sc) == 1 ? "heavy query" : "heavy queries"));
	fflush(stderr);
	shown = 1;
}

void
progress_clear(void)
{
	if (!shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	shown = 0;
}
