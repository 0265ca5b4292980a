/*
 * kvdrift: where Consul, Redis and a rule file disagree, read only.
 *
 * Lists the records under PREFIX/ (one recursive GET, streamed), then the
 * members of Redis's set with their values (SSCAN and MGET, a chunk at a
 * time), then the rule names of FILE, holding the names only; reads the
 * lock kvlock takes; and reports every record out of step, by name.
 * Exits 0 when the stores agree and 1 when they do not, as diff(1) does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "consul.h"
#include "diag.h"
#include "drift.h"
#include "lock.h"
#include "output.h"
#include "redis_store.h"
#include "redis_url.h"
#include "report.h"
#include "xalloc.h"

enum { OPT_JSON = OPT_CONSUL_LAST, OPT_RULES, OPT_SAMPLES, OPT_LOCK_KEY,
	OPT_REDIS, OPT_SET_KEY };

static int		 json;
static const char	*rule_file, *samples_file, *lock_key, *redis_opt;
static const char	*set_key = "hke:heavy_query_set";

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-qv] [--json] [--rules FILE] [--redis URL] "
	    "[--set-key KEY]\n"
	    "       [--lock-key KEY] [--samples FILE] " CONSUL_USAGE "\n",
	    progname);
	exit(status);
}

static void
parse_options(int argc, char *argv[], struct consul_config *cfg)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "lock-key", required_argument, NULL, OPT_LOCK_KEY },
		{ "redis", required_argument, NULL, OPT_REDIS },
		{ "set-key", required_argument, NULL, OPT_SET_KEY },
		CLI_LONG_OPTIONS,
		CONSUL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "qv", longopts, NULL)) != -1) {
		if (consul_config_option(cfg, ch, optarg) ||
		    cli_option(ch, usage))
			continue;
		switch (ch) {
		case OPT_JSON: json = 1; break;
		case OPT_RULES: rule_file = optarg; break;
		case OPT_SAMPLES: samples_file = optarg; break;
		case OPT_LOCK_KEY: lock_key = optarg; break;
		case OPT_REDIS: redis_opt = optarg; break;
		case OPT_SET_KEY: set_key = optarg; break;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	if (*set_key == '\0')
		die(EX_USAGE, "--set-key: the key name is empty");
}

/* The Redis URL parses, or the run ends (EX_USAGE) before any connection. */
static void
check_redis_url(void)
{
	struct redis_url u;
	const char *why;

	if (redis_url_parse(redis_url_choose(redis_opt), &u, &why) != 0)
		die(EX_USAGE, "%s: %s", redis_opt ? "--redis" : "REDIS_URL",
		    why);
	redis_url_free(&u);
}

/* Redis's set, read through the URL given; 0 or an exit status. */
static int
read_redis(struct drift *d, double timeout)
{
	struct redis_store s;
	int status;

	if ((status = redis_store_open(&s, redis_url_choose(redis_opt),
	    redis_opt ? "--redis" : "REDIS_URL", timeout)) != 0)
		return status;
	status = drift_read_redis(d, &s, set_key);
	redis_store_close(&s);
	return status;
}

/* The samples for recsync's metrics file, written whole or not at all. */
static void
write_samples(const struct drift *d, const struct lock_state *ls)
{
	FILE *fp;

	if (samples_file == NULL)
		return;
	if ((fp = fopen(samples_file, "w")) == NULL)
		die(EX_CANTCREAT, "%s: %s", samples_file, strerror(errno));
	report_samples(fp, d, ls);
	if (ferror(fp) | fclose(fp))
		die(EX_IOERR, "%s: write error", samples_file);
}

int
main(int argc, char *argv[])
{
	struct consul_config cfg;
	struct lock_state ls;
	struct drift d;
	struct consul *c;
	struct where w;
	char *lkey;
	int rc, rules_rc = 0;

	cli_init(argv);
	consul_config_init(&cfg);
	parse_options(argc, argv, &cfg);
	check_redis_url();
	cli_settings_checked();
	drift_init(&d);

	c = consul_open(&cfg);
	lkey = lock_key ? xstrdup(lock_key) : xasprintf("%s.lock", cfg.prefix);
	if ((rc = drift_read_consul(&d, c, cfg.prefix)) != 0 ||
	    (rc = lock_read(c, lkey, &ls)) != 0)
		exit(rc);
	consul_close(c);
	if ((rc = read_redis(&d, cfg.timeout)) != 0)
		exit(rc);
	/* A rule file that is not YAML is junk like any other: reported, and
	 * the other stores compared all the same. */
	if (rule_file != NULL &&
	    (rules_rc = drift_read_rules(&d, rule_file)) != 0 &&
	    rules_rc != EX_DATAERR)
		exit(rules_rc);
	drift_settle(&d);
	info("%zu record%s in Consul, %zu in Redis, %zu in the rule file; "
	    "%zu out of step", d.consul, plural(d.consul), d.redis, d.rules,
	    drift_total(&d));

	w = (struct where){ cfg.prefix, set_key, rule_file };
	if (json)
		report_json(stdout, &d, &ls, &w);
	else
		report_text(stdout, &d, &ls, &w);
	write_samples(&d, &ls);
	close_stdout();

	rc = rules_rc ? rules_rc : drift_total(&d) > 0;
	lock_state_free(&ls);
	drift_free(&d);
	free(lkey);
	consul_config_free(&cfg);
	return rc;
}
