/*
 * Unit tests of src/common/cli.c: the ids a tool's table gives back, the
 * Consul options taken into the config whatever ids the tool uses (its
 * private codes from 256 once met OPT_CONSUL's 0x100), optional
 * arguments, and options that end at the first operand.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "consul.h"
#include "diag.h"
#include "test.h"

/* 0x100 and up, as qlogscan's and yamlemit's codes were. */
enum { T_ALL = 0x100, T_CHECK, T_CHUNK, T_NONE };

static const struct cli_option rows[] = {
	{ T_ALL, "all", 'a', NULL, "all" },
	{ T_CHECK, "check", 0, "[=PROG]", "check" },
	{ T_CHUNK, "chunk", 'c', "N", "chunk" },
	{ 0, NULL, 0, NULL, NULL }
};

/* The ids cli_next() returns for argv, as "id:optarg" words. */
static void
parse(struct cli *cl, int argc, char **argv, char *out, size_t size)
{
	int id;

	optind = 0;	/* getopt's full reset, for each run */
	*out = '\0';
	while ((id = cli_next(cl, argc, argv)) != -1)
		snprintf(out + strlen(out), size - strlen(out), "%x:%s ", id,
		    optarg ? optarg : "-");
}

int
main(void)
{
	struct consul_config cfg;
	struct cli cl = { .synopsis = "", .options = rows, .consul = &cfg,
	    .consul_set = consul_config_set };
	char got[256];
	char *a1[] = { "t", "-a", "--check", "--check=p", "-c", "5",
	    "--chunk=6", "file", NULL };
	char *a2[] = { "t", "--consul", "127.0.0.1:9", "--prefix", "x/y/",
	    "--retries", "7", "-a", NULL };
	char *a3[] = { "t", "-q", "-vv", NULL };
	char *a4[] = { "t", "-a", "cmd", "-c", "1", NULL };
	char *a5[] = { "t", "-a", "cmd", "-c", "1", NULL };

	unsetenv("CONSUL_HTTP_ADDR");
	unsetenv("CONSUL_HTTP_SSL");
	consul_config_init(&cfg);
	parse(&cl, 8, a1, got, sizeof(got));
	CHECK(strcmp(got, "100:- 101:- 101:p 102:5 102:6 ") == 0,
	    "the tool's ids, letters and long names alike: %s", got);
	CHECK(optind == 7, "optind at the first operand");

	parse(&cl, 8, a2, got, sizeof(got));
	CHECK(strcmp(got, "100:- ") == 0, "Consul options are not the tool's: %s",
	    got);
	CHECK(strcmp(cfg.url, "http://127.0.0.1:9") == 0, "--consul set: %s",
	    cfg.url);
	CHECK(strcmp(cfg.prefix, "x/y") == 0, "--prefix set: %s", cfg.prefix);
	CHECK(cfg.retries == 7, "--retries set");

	verbosity = 1;
	parse(&cl, 3, a3, got, sizeof(got));
	CHECK(*got == '\0' && verbosity == 2, "-q then -vv: verbosity %d",
	    verbosity);

	/* Permuted (a4 with it): -c after the operand is still an option. */
	parse(&cl, 5, a4, got, sizeof(got));
	CHECK(strcmp(got, "100:- 102:1 ") == 0, "options after an operand: %s",
	    got);
	cl.in_order = 1;
	parse(&cl, 5, a5, got, sizeof(got));
	CHECK(strcmp(got, "100:- ") == 0 && optind == 2,
	    "in_order: options end at the command: %s", got);
	consul_config_free(&cfg);
	return test_status();
}
