/*
 * Checking option values before anything is read: a value Prometheus would
 * refuse must fail here, as a usage error, and not in promtool or at the
 * next reload.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "numparse.h"
#include "xalloc.h"
#include "yamlemit.h"

/* Non-empty and valid UTF-8 (the YAML emitter takes nothing else). */
void
opt_text(const char *opt, const char *s)
{
	json_t *j;

	if (*s == '\0')
		die(EX_USAGE, "%s: must not be empty", opt);
	if ((j = json_string(s)) == NULL)
		die(EX_USAGE, "%s: not valid UTF-8", opt);
	json_decref(j);
}

/*
 * A Prometheus duration (model.ParseDuration): one or more <number><unit>,
 * units y w d h m s ms, each at most once and largest first ("1h30m").
 * Zero is refused: a group interval of 0 means nothing.
 */
void
opt_interval(const char *s)
{
	static const char *const units[] = { "y", "w", "d", "h", "m", "s", "ms" };
	static const uint64_t ms[] = { 31536000000ULL, 604800000ULL, 86400000ULL,
	    3600000ULL, 60000ULL, 1000ULL, 1ULL };
	const char *p = s;
	uint64_t total = 0, v;
	size_t u = 0, want;
	char *end;

	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno != 0)
			goto bad;
		for (want = u; want < 7; want++)
			if (strncmp(end, units[want], strlen(units[want])) == 0 &&
			    !(want == 4 && end[1] == 's'))
				break;
		if (want == 7 || v > UINT64_MAX / ms[want] ||
		    total > UINT64_MAX - v * ms[want])
			goto bad;
		total += v * ms[want];
		p = end + strlen(units[want]);
		u = want + 1;
	}
	/* Prometheus keeps durations in int64 nanoseconds. */
	if (u == 0 || total > INT64_MAX / 1000000)
		goto bad;
	if (total == 0)
		die(EX_USAGE, "--interval: must be more than 0, not '%s'", s);
	return;
bad:
	die(EX_USAGE, "--interval: expected a Prometheus duration such as 30s, "
	    "1m or 1h30m, not '%s'", s);
}

static int
label_name_valid(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (p = s + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* --label NAME=VALUE; arg is split in place (it lives in argv). */
void
opt_label(struct layout *lo, char *arg)
{
	char *eq = strchr(arg, '=');
	size_t i;

	if (eq == NULL)
		die(EX_USAGE, "--label: expected NAME=VALUE, not '%s'", arg);
	*eq = '\0';
	if (!label_name_valid(arg))
		die(EX_USAGE, "--label: '%s' is not a valid label name "
		    "([a-zA-Z_][a-zA-Z0-9_]*)", arg);
	if (strncmp(arg, "__", 2) == 0)
		die(EX_USAGE, "--label: '%s': names starting with __ are "
		    "reserved by Prometheus", arg);
	for (i = 0; i < lo->nlabels; i++)
		if (strcmp(lo->label_names[i], arg) == 0)
			die(EX_USAGE, "--label: '%s' given twice", arg);
	if (eq[1] != '\0')
		opt_text("--label", eq + 1);
	lo->label_names = xreallocarray(lo->label_names, lo->nlabels + 1,
	    sizeof(*lo->label_names));
	lo->label_values = xreallocarray(lo->label_values, lo->nlabels + 1,
	    sizeof(*lo->label_values));
	lo->label_names[lo->nlabels] = arg;
	lo->label_values[lo->nlabels++] = eq + 1;
}

/* --shard K/N with 0 <= K < N. */
void
opt_shard(struct shard *sh, const char *s)
{
	const char *slash = strchr(s, '/');
	char *k;
	int bad;

	if (slash == NULL)
		die(EX_USAGE, "--shard: expected K/N (such as 0/3), not '%s'", s);
	k = xstrndup(s, (size_t)(slash - s));
	bad = parse_long(slash + 1, 1, INT64_MAX, &sh->n) != 0 ||
	    parse_long(k, 0, sh->n - 1, &sh->k) != 0;
	free(k);
	if (bad)
		die(EX_USAGE, "--shard: expected K/N with 0 <= K < N, not '%s'",
		    s);
}

/* --mode: octal permission bits. */
unsigned
opt_mode(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (*s < '0' || *s > '7' || *end != '\0' || errno != 0 || v > 07777)
		die(EX_USAGE, "--mode: expected octal permissions such as 0644, "
		    "not '%s'", s);
	return (unsigned)v;
}

/* --check-timeout: a duration (numparse's), from 1ms to 24h. */
void
opt_check_timeout(struct checkopts *co, const char *s)
{
	co->timeout = opt_duration("--check-timeout", s);
	if (co->timeout < 0.001 || co->timeout > 86400)
		die(EX_USAGE, "--check-timeout: from 1ms to 24h, not '%s'", s);
	co->timeout_arg = s;
}
