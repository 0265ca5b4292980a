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
#include "summary.h"
#include "xalloc.h"

enum { OPT_JSON, OPT_RULES, OPT_REDIS, OPT_SET_KEY, OPT_LOCK_KEY,
    OPT_SAMPLES };

static const struct cli_option options[] = {
	{ OPT_JSON, "json", 0, NULL, "one JSON object instead of the report "
	    "for people" },
	{ OPT_RULES, "rules", 0, "FILE", "the rule file to compare with" },
	{ OPT_REDIS, "redis", 'r', "URL", "Redis, as redisput takes it "
	    "($REDIS_URL, " REDIS_URL_DEFAULT ")" },
	{ OPT_SET_KEY, "set-key", 0, "KEY", "the set of record names "
	    "(hke:heavy_query_set)" },
	{ OPT_LOCK_KEY, "lock-key", 0, "KEY", "the lock's key (PREFIX.lock)" },
	{ OPT_SAMPLES, "samples", 0, "FILE", "also write the counts as "
	    "Prometheus samples to FILE" },
	{ 0, NULL, 0, NULL, NULL }
};

/* What the command line asks for. */
struct opts {
	int		 json;
	const char	*rule_file, *samples_file, *lock_key;
	const char	*redis;		/* NULL: $REDIS_URL or the default */
	const char	*set_key;
};

static void
parse_options(int argc, char *argv[], struct consul_config *cfg,
    struct opts *o)
{
	struct cli cl = { .options = options, .consul = cfg,
	    .consul_set = consul_config_set, .synopsis =
	    "[-qv] [--json] [--rules FILE] [-r URL] [--set-key KEY]\n"
	    "[--lock-key KEY] [--samples FILE]\n" CLI_CONSUL_SYNOPSIS };
	int ch;

	while ((ch = cli_next(&cl, argc, argv)) != -1) {
		switch (ch) {
		case OPT_JSON: o->json = 1; break;
		case OPT_RULES: o->rule_file = optarg; break;
		case OPT_SAMPLES: o->samples_file = optarg; break;
		case OPT_LOCK_KEY: o->lock_key = optarg; break;
		case OPT_REDIS: o->redis = optarg; break;
		case OPT_SET_KEY: o->set_key = optarg; break;
		}
	}
	if (optind != argc)
		cli_usage(&cl, EX_USAGE);
	if (*o->set_key == '\0')
		die(EX_USAGE, "--set-key: the key name is empty");
}

/* The Redis URL parses, or the run ends (EX_USAGE) before any connection. */
static void
check_redis_url(const char *redis)
{
	struct redis_url u;
	const char *why;

	if (redis_url_parse(redis_url_choose(redis), &u, &why) != 0)
		die(EX_USAGE, "%s: %s", redis ? "--redis" : "REDIS_URL", why);
	redis_url_free(&u);
}

/* Redis's set, read through the URL given; 0 or an exit status. */
static int
read_redis(struct drift *d, const struct opts *o, double timeout)
{
	struct redis_store s;
	int status;

	if ((status = redis_store_open(&s, redis_url_choose(o->redis),
	    o->redis ? "--redis" : "REDIS_URL", timeout)) != 0)
		return status;
	status = drift_read_redis(d, &s, o->set_key);
	redis_store_close(&s);
	return status;
}

/* The samples for recsync's metrics file, written whole or not at all. */
static void
write_samples(const char *samples_file, const struct drift *d,
    const struct lock_state *ls)
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

/* --summary-fd: kvdrift(1)'s SUMMARY: each store's records, each kind's. */
static void
summarize(const struct drift *d)
{
	int k;

	summary_set("consul", d->consul);
	summary_set("redis", d->redis);
	summary_set("rules", d->rules);
	summary_set("foreign_keys", d->foreign);
	for (k = 0; k < DRIFT_KINDS; k++)
		summary_set(drift_kind_name(k), d->kinds[k].n);
	summary_set("drift", drift_total(d));
	summary_write();
}

int
main(int argc, char *argv[])
{
	struct opts o = { .set_key = "hke:heavy_query_set" };
	struct consul_config cfg;
	struct lock_state ls;
	struct drift d;
	struct consul *c;
	struct where w;
	char *lkey;
	int rc, rules_rc = 0;

	cli_init(argv);
	consul_config_init(&cfg);
	parse_options(argc, argv, &cfg, &o);
	check_redis_url(o.redis);
	cli_settings_checked();
	drift_init(&d);

	c = consul_open(&cfg);
	lkey = o.lock_key ? xstrdup(o.lock_key) :
	    xasprintf("%s.lock", cfg.prefix);
	if ((rc = drift_read_consul(&d, c, cfg.prefix)) != 0 ||
	    (rc = lock_read(c, lkey, &ls)) != 0)
		exit(rc);
	consul_close(c);
	if ((rc = read_redis(&d, &o, cfg.timeout)) != 0)
		exit(rc);
	/* A rule file that is not YAML is junk like any other: reported, and
	 * the other stores compared all the same. */
	if (o.rule_file != NULL &&
	    (rules_rc = drift_read_rules(&d, o.rule_file)) != 0 &&
	    rules_rc != EX_DATAERR)
		exit(rules_rc);
	drift_settle(&d);
	info("%zu record%s in Consul, %zu in Redis, %zu in the rule file; "
	    "%zu out of step", d.consul, plural(d.consul), d.redis, d.rules,
	    drift_total(&d));

	w = (struct where){ cfg.prefix, o.set_key, o.rule_file };
	if (o.json)
		report_json(stdout, &d, &ls, &w);
	else
		report_text(stdout, &d, &ls, &w);
	write_samples(o.samples_file, &d, &ls);
	close_stdout();
	summarize(&d);

	rc = rules_rc ? rules_rc : drift_total(&d) > 0;
	lock_state_free(&ls);
	drift_free(&d);
	free(lkey);
	consul_config_free(&cfg);
	return rc;
}
