/*
 * resp: a Redis command written in RESP, the protocol's own form, and
 * handed to hiredis whole (redisAppendFormattedCommand).  hiredis's own
 * redisAppendCommandArgv builds each argument's header with sdscatfmt,
 * which cost redisput about 40% of its instructions at a million records:
 * two headers a record in MSET, one in SADD.
 *
 * Ownership: resp_format()'s buffer is the caller's (it grows it, the
 * caller frees it); resp_append() keeps one of its own for the run.
 */
#ifndef RECSYNC_RESP_H
#define RECSYNC_RESP_H

#include <stddef.h>

#include <hiredis/hiredis.h>

/*
 * Writes argv[0, argc) (lens[i] bytes each, any bytes; lens NULL: each a
 * NUL-terminated string) as one command into *buf, grown to *cap bytes as
 * needed; returns its length.  The bytes redisFormatCommandArgv() writes.
 */
size_t	resp_format(char **buf, size_t *cap, int argc, const char **argv,
	    const size_t *lens);
/* Queues the command in c's output buffer; out of memory ends the run. */
void	resp_append(redisContext *c, int argc, const char **argv,
	    const size_t *lens);

#endif
