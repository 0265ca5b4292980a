/*
 * numparse: bounds-checked parsing of option values.  Each returns 0 on
 * success and -1 (leaving *out alone) when the text is not entirely a number
 * in range.  Nothing here uses atoi; only the opt_* ones exit, on a usage
 * error.
 */
#ifndef RECSYNC_NUMPARSE_H
#define RECSYNC_NUMPARSE_H

/* A decimal integer in [min, max]. */
int	parse_long(const char *s, long long min, long long max, long long *out);
/*
 * A duration: a number with an optional unit, ms, s (the default), m, h,
 * d or w; fractions allowed ("1.5s", "250ms", "6h", "90d").  Result in
 * seconds, >= 0.
 */
int	parse_duration(const char *s, double *seconds);

/* The same, ending the program with EX_USAGE naming the option. */
long long	opt_long(const char *opt, const char *s, long long min, long long max);
double		opt_duration(const char *opt, const char *s);

#endif
