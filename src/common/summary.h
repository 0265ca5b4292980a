/*
 * summary: --summary-fd N, what a tool did as one JSON object of counts on
 * file descriptor N, written once when it exits, so that a wrapper reads
 * that and never the records or the messages (as redis-cli --pipe ends
 * with "errors: N, replies: N" and curl has --write-out):
 *
 *	{"input":12,"bad":1,"new":3,"output":15}
 *
 * One line, compact, flat (numbers, strings and null, never an array or an
 * object: a shell reads it with its own pattern matching), members in the
 * order the tool registered them; each tool's man page names and explains
 * them.  A count is registered
 * by the address of the tool's own counter and read when the object is
 * written: a run that stops early (exit() from deep inside) still says
 * what it had done by then.  So a counter must live until the end of the
 * run (a local of main, or static).  Text is copied when it is given.
 *
 * Without --summary-fd every call here does nothing.  With it, the object
 * is written by summary_write(), or at exit when the tool ended before
 * calling it (a failure: the counts so far); never with --check-settings.
 */
#ifndef RECSYNC_SUMMARY_H
#define RECSYNC_SUMMARY_H

#include <stddef.h>

/* --summary-fd's value: an open descriptor for writing, not 0 or 1 (EX_USAGE). */
void	summary_open(const char *arg);
/* A member read from *n (or *size) when the summary is written. */
void	summary_count(const char *name, const unsigned long *n);
void	summary_size(const char *name, const size_t *size);
/* A member set now: a number, or text (NULL: null; bytes not UTF-8 as U+FFFD). */
void	summary_set(const char *name, unsigned long long n);
void	summary_text(const char *name, const char *s);
/* Writes the object now, if it has not been; a failed write is EX_IOERR. */
void	summary_write(void);
/* No summary at all: --check-settings did nothing worth counting. */
void	summary_discard(void);

#endif
