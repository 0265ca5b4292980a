/*
 * output: the end of a filter's run.  stdout carries records only, so a
 * failed write there is a failed run: close_stdout() flushes and closes it
 * and exits EX_IOERR when anything went wrong.  A reader that went away
 * (EPIPE) stops the tool through SIGPIPE, which we leave at its default.
 */
#ifndef RECSYNC_OUTPUT_H
#define RECSYNC_OUTPUT_H

void	close_stdout(void);

#endif
