#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "numparse.h"

int
parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration(const char *s, double *seconds)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "", 1 }, { "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 7 * 86400 },
	};
	char *end;
	double v;
	size_t i;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*seconds = v * units[i].scale;
			return 0;
		}
	}
	return -1;
}

long long
opt_long(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (parse_long(s, min, max, &v) != 0)
		die(EX_USAGE, "%s: expected a whole number from %lld to %lld, "
		    "not '%s'", opt, min, max, s);
	return v;
}

double
opt_duration(const char *opt, const char *s)
{
	double v;

	if (parse_duration(s, &v) != 0)
		die(EX_USAGE, "%s: expected a duration such as 10s, 500ms or "
		    "2m, not '%s'", opt, s);
	return v;
}
