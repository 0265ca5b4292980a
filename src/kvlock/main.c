/*
 * kvlock: runs a command while holding a Consul lock, so that two recsync
 * runs never number records at once.  Like `consul lock`: a session with a
 * TTL, renewed while the command runs (a first run of a million records
 * outlasts any TTL); once the command and every process of its group are
 * gone, the lock is released before the session is destroyed, and if
 * kvlock dies the TTL frees the lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "command.h"
#include "consul.h"
#include "diag.h"
#include "numparse.h"
#include "session.h"
#include "summary.h"
#include "xalloc.h"

enum { OPT_GRACE, OPT_KEY, OPT_LOCK_TIMEOUT, OPT_TTL };

static const struct cli_option options[] = {
	{ OPT_GRACE, "grace", 0, "DURATION", "how long processes the command "
	    "left may go on before\nSIGTERM, and again before SIGKILL (10s)" },
	{ OPT_KEY, "key", 0, "KEY", "the lock's key (PREFIX.lock)" },
	{ OPT_LOCK_TIMEOUT, "lock-timeout", 0, "DURATION", "how long to wait "
	    "for the lock (60s; 0: one try)" },
	{ OPT_TTL, "ttl", 0, "DURATION", "the session's TTL, 10s to 24h (30s)" },
	{ 0, NULL, 0, NULL, NULL }
};

/* What the command line asks for. */
struct opts {
	const char	*key;		/* NULL: PREFIX.lock */
	double		 lock_timeout, grace, ttl;
};

/* Leaves optind at the COMMAND. */
static void
parse_options(int argc, char *argv[], struct consul_config *cfg,
    struct opts *o)
{
	/* in_order: options end at the command, whose own are its own. */
	struct cli cl = { .options = options, .consul = cfg,
	    .consul_set = consul_config_set, .in_order = 1,
	    .synopsis = "[-qv] [--grace DURATION] [--key KEY]\n"
	    "[--lock-timeout DURATION] [--ttl DURATION]\n"
	    CLI_CONSUL_SYNOPSIS " COMMAND [ARG ...]" };
	int ch;

	while ((ch = cli_next(&cl, argc, argv)) != -1) {
		switch (ch) {
		case OPT_KEY: o->key = optarg; break;
		case OPT_LOCK_TIMEOUT:
			o->lock_timeout = opt_duration("--lock-timeout", optarg);
			break;
		case OPT_GRACE:
			o->grace = opt_duration("--grace", optarg);
			break;
		case OPT_TTL:
			o->ttl = opt_duration("--ttl", optarg);
			if (o->ttl < 10 || o->ttl > 86400)
				die(EX_USAGE, "--ttl: Consul takes 10s to 24h");
			break;
		}
	}
	cli_settings_checked();		/* the COMMAND may be left out */
	if (optind == argc)
		cli_usage(&cl, EX_USAGE);
}

/* s with anything but printable ASCII as '?': JSON and logs take it. */
static char *
printable(const char *s)
{
	char *p, *copy = xstrdup(s);

	for (p = copy; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return copy;
}

/* What the key holds while locked: who, for the one left waiting. */
static char *
holder_note(void)
{
	char host[256] = "unknown", *name;
	json_t *v;
	char *s;

	gethostname(host, sizeof(host) - 1);
	name = printable(host);
	v = json_pack("{s:s, s:i, s:I}", "host", name, "pid", (int)getpid(),
	    "since", (json_int_t)time(NULL));
	free(name);
	if (v == NULL || (s = json_dumps(v, JSON_COMPACT)) == NULL)
		die(EX_SOFTWARE, "cannot build the lock's note");
	json_decref(v);
	return s;
}

int
main(int argc, char *argv[])
{
	struct opts o = { NULL, 60, 10, 30 };
	struct consul_config cfg;
	struct lock l;
	struct command child;
	sigset_t set, old;
	char *name, *cmd;
	int rc;

	cli_init(argv);
	consul_config_init(&cfg);
	parse_options(argc, argv, &cfg, &o);
	summary_set("held", 0);
	l = (struct lock){ .ttl = o.ttl };
	l.key = o.key ? xstrdup(o.key) : xasprintf("%s.lock", cfg.prefix);
	l.holder = holder_note();
	l.c = consul_open(&cfg);

	/* Signals are taken synchronously from here on. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCONT);
	sigprocmask(SIG_BLOCK, &set, &old);

	cmd = printable(argv[optind]);
	name = xasprintf("kvlock %s", cmd);
	free(cmd);
	lock_session_create(&l, name);
	free(name);
	/* Whatever happens from here, the lock and session are let go. */
	if ((rc = lock_acquire(&l, o.lock_timeout, &set)) == 0) {
		info("holding %s", l.key);
		summary_set("held", 1);
		rc = EX_OSERR;
		if (command_start(&child, argv + optind, &old) == 0)
			rc = command_supervise(&child, &l, &set, o.grace);
	}
	lock_release(&l);
	lock_free(&l);
	consul_close(l.c);
	consul_config_free(&cfg);
	summary_set("status", (unsigned)rc);
	summary_write();
	return rc;
}
