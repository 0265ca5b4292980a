/*
 * rfc3339: date-times as Prometheus logs them and as recsync stores a
 * record's use ("2024-05-01T10:00:00.000Z", "+08:00" offsets, any number
 * of fraction digits), parsed and formatted by hand so that neither TZ
 * nor the C library's time zone code is involved.
 */
#ifndef RECSYNC_RFC3339_H
#define RECSYNC_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* Seconds and nanoseconds since the epoch. */
struct timestamp {
	int64_t	sec;
	long	nsec;
};

/* Parses an RFC 3339 date-time; -1 when s is not one. */
int	rfc3339_parse(const char *s, struct timestamp *t);
/* b - a in seconds. */
double	timestamp_diff(const struct timestamp *b, const struct timestamp *a);
/* 1 when a is later than b. */
int	timestamp_later(const struct timestamp *a, const struct timestamp *b);

#define RFC3339_UTC_LEN	sizeof("YYYY-MM-DDTHH:MM:SSZ")
/*
 * sec as "YYYY-MM-DDTHH:MM:SSZ" in buf (RFC3339_UTC_LEN bytes); -1 for a
 * year outside 0000-9999.
 */
int	rfc3339_format_utc(int64_t sec, char *buf);

#endif
