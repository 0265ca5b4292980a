/*
 * redis_sentinel: the master a redis+sentinel:// URL names, found by
 * asking its sentinels.
 *
 * The sentinels are asked in the order the URL gives them (SENTINEL
 * GET-MASTER-ADDR-BY-NAME), with the URL's sentinel_username and
 * sentinel_password when it has them; one that does not answer, or does
 * not know the master, is skipped.  The address a sentinel gives is then
 * connected to with the URL's own credentials and db, and ROLE must say
 * "master": during a failover a sentinel may still name the old master.
 *
 * Ownership: the returned context is the caller's to redisFree().
 */
#ifndef RECSYNC_REDIS_SENTINEL_H
#define RECSYNC_REDIS_SENTINEL_H

#include <hiredis/hiredis.h>

#include "redis_url.h"

/*
 * Connects to the master of u (a REDIS_SENTINEL URL), timeout seconds for
 * each connection and command.  When no sentinel names a usable master it
 * asks them all again every half second, for up to wait seconds (0: one
 * round).  On failure it prints, for each sentinel tried, why it gave
 * nothing usable, and returns NULL with *status EX_UNAVAILABLE, or
 * EX_NOPERM when the master refused the credentials.
 */
redisContext	*redis_sentinel_master(const struct redis_url *u,
		    double timeout, double wait, int *status);

#endif
