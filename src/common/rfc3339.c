/*
 * RFC 3339 date-times, as Prometheus logs a query's start and end
 * ("2024-05-01T10:00:00.000Z"), and as other writers may: any number of
 * fraction digits (nanoseconds kept), "Z" or a "+08:00" offset.  Computed
 * by hand, so neither TZ nor the C library's time zone code is involved.
 */
#include <stdio.h>
#include <string.h>

#include "rfc3339.h"

/* Reads exactly n digits. */
static int
digits(const char **s, int n, int *out)
{
	int v = 0;

	for (; n > 0; n--, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

/* Expects one of the characters of set next. */
static int
lit(const char **s, const char *set)
{
	if (**s == '\0' || strchr(set, **s) == NULL)
		return -1;
	(*s)++;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD": checked against the month's length. */
static int
full_date(const char **s, int64_t *days)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d;

	if (digits(s, 4, &y) || lit(s, "-") || digits(s, 2, &m) ||
	    lit(s, "-") || digits(s, 2, &d))
		return -1;
	if (m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap(y)))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

/* "HH:MM:SS[.frac]": seconds of the day and nanoseconds. */
static int
partial_time(const char **s, int64_t *secs, long *nsec)
{
	int h, m, sec, n;
	long scale = 100000000;

	if (digits(s, 2, &h) || lit(s, ":") || digits(s, 2, &m) ||
	    lit(s, ":") || digits(s, 2, &sec))
		return -1;
	if (h > 23 || m > 59 || sec > 60)	/* 60: a leap second */
		return -1;
	*secs = h * 3600 + m * 60 + sec;
	*nsec = 0;
	if (**s != '.')
		return 0;
	(*s)++;
	if (digits(s, 1, &n))
		return -1;
	for (*nsec = n * scale; **s >= '0' && **s <= '9'; (*s)++)
		*nsec += (scale /= 10) * (**s - '0');
	return 0;
}

/* "Z" or "+HH:MM"/"-HH:MM": the offset in seconds east of UTC. */
static int
time_offset(const char **s, int *off)
{
	int sign, h, m;

	if (**s == 'Z' || **s == 'z') {
		(*s)++;
		*off = 0;
		return 0;
	}
	sign = **s == '-' ? -1 : 1;
	if (lit(s, "+-") || digits(s, 2, &h) || lit(s, ":") ||
	    digits(s, 2, &m) || h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

int
rfc3339_parse(const char *s, struct timestamp *t)
{
	int64_t days, secs;
	long nsec;
	int off;

	/* RFC 3339 allows a space for the T "for the sake of readability". */
	if (full_date(&s, &days) || lit(&s, "Tt ") ||
	    partial_time(&s, &secs, &nsec) || time_offset(&s, &off) ||
	    *s != '\0')
		return -1;
	t->sec = days * 86400 + secs - off;
	t->nsec = nsec;
	return 0;
}

double
timestamp_diff(const struct timestamp *b, const struct timestamp *a)
{
	/* Whole seconds apart first: exact, whatever the epoch offset. */
	return (double)(b->sec - a->sec) + (double)(b->nsec - a->nsec) / 1e9;
}

int
timestamp_later(const struct timestamp *a, const struct timestamp *b)
{
	return a->sec > b->sec || (a->sec == b->sec && a->nsec > b->nsec);
}

/* The civil date of a day count from 1970-01-01 (days_from_civil's inverse). */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int
rfc3339_format_utc(int64_t sec, char *buf)
{
	int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t rem = sec - days * 86400;
	char tmp[64];	/* room for any int, which the compiler cannot bound */
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	memcpy(buf, tmp, RFC3339_UTC_LEN);
	return 0;
}
