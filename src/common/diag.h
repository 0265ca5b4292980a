/*
 * diag: every message a tool writes to stderr goes through here, prefixed
 * with the program's name ("kvpush: ...").  Messages are formatted first and
 * then written with control characters (C0, DEL, and C1 in UTF-8) and bytes
 * that are not UTF-8 escaped (\xNN), so bytes taken from the input can never
 * drive the terminal.
 *
 * Levels: diag_quiet() messages vanish with -q; diag_info() ones need -v.
 * Warnings and errors are always shown.
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

void	vdiag(const char *fmt, va_list ap);

/* A count's plural ending: "%zu record%s", n, plural(n). */
static inline const char *
plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#endif
