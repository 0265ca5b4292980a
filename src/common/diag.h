/*
 * diag: every message a tool writes to stderr goes through here, prefixed
 * with the program's name ("kvpush: ...").  Messages are formatted first and
 * then written with control characters (C0, DEL, and C1 in UTF-8) and bytes
 * that are not UTF-8 escaped (\xNN), so bytes taken from the input can never
 * drive the terminal.
 *
 * Levels: note() messages vanish with -q; info() ones need -v, debug()
 * ones -vv.  Warnings (warnmsg, warn_at) and errors (die) are always shown.
 *
 * How a function fails, the one convention of every tool:
 * - It says why (warnmsg, warn_at) and returns -1, 0 meaning success.
 * - Where its caller needs to know which exit status the failure means, it
 *   returns that sysexits status instead (0 is EX_OK): never its negative.
 *   An enum is for results that are not all failures (txn.h's outcomes).
 * - A bad record warns with its FILE:LINE and the run goes on; the exit
 *   status says so at the end (65, the mildest).
 * - die() ends the run on the spot, for three things only: out of memory
 *   (xalloc.h's x* functions, as sbase's e* ones), usage errors (EX_USAGE:
 *   a bad option or setting, found before any input is read), and a
 *   failure of the run's own setup or output that leaves nothing
 *   half-done (a token file that cannot be read, a standard output that
 *   cannot be written, a rule file not yet renamed into place).  Never in
 *   the middle of a write to Consul or Redis: that returns its status up
 *   to main, which reports what was done and exits with it.
 */
#ifndef RECSYNC_DIAG_H
#define RECSYNC_DIAG_H

#include <stdarg.h>
#include <sysexits.h>

extern const char *progname;
extern int verbosity;		/* 0 with -q, 1 by default, 2 with -v, 3 with -vv */

void	diag_init(const char *argv0);

/* Print "prog: message" and exit with a sysexits status. */
void	die(int status, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
/* "prog: message"; always shown. */
void	warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: file:line: message"; for a bad input record. */
void	warn_at(const char *file, unsigned long line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Shown unless -q. */
void	note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -v. */
void	info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -vv. */
void	debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A count's plural ending: "%zu record%s", n, plural(n). */
static inline const char *
plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#endif
