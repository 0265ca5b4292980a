/*
 * clock: the monotonic time and a pause, for the bounded waits of the
 * Redis code (a failover, a slot being migrated).
 */
#ifndef RECSYNC_CLOCK_H
#define RECSYNC_CLOCK_H

/* Seconds on the monotonic clock. */
double	clock_seconds(void);
/* Sleeps seconds, resuming after a signal. */
void	clock_pause(double seconds);

#endif
