/*
 * kvlock: runs a command while holding a Consul lock, so that two recsync
 * runs never number records at once.  Like `consul lock`: a session with a
 * TTL, renewed while the command runs (a first run of a million records
 * outlasts any TTL); once the command and every process of its group are
 * gone, the lock is released before the session is destroyed, and if
 * kvlock dies the TTL frees the lock.
 */
#include <errno.h>
#include <getopt.h>
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
#include "xalloc.h"

enum { OPT_KEY = OPT_CONSUL_LAST, OPT_LOCK_TIMEOUT, OPT_TTL, OPT_GRACE };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-qv] [--grace DURATION] [--key KEY]\n"
	    "       [--lock-timeout DURATION] [--ttl DURATION]\n"
	    "       " CONSUL_USAGE " COMMAND [ARG ...]\n", progname);
	exit(status);
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
	static const struct option longopts[] = {
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
		{ "ttl", required_argument, NULL, OPT_TTL },
		CLI_LONG_OPTIONS,
		CONSUL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct consul_config cfg;
	struct lock l = { NULL, NULL, NULL, NULL, 30 };
	struct command child;
	double timeout = 60, grace = 10;
	sigset_t set, old;
	char *key = NULL, *name, *cmd;
	int ch, rc;

	cli_init(argv);
	consul_config_init(&cfg);
	/* "+": options end at the command, whose own options are its own. */
	while ((ch = getopt_long(argc, argv, "+qv", longopts, NULL)) != -1) {
		if (consul_config_option(&cfg, ch, optarg) ||
		    cli_option(ch, usage))
			continue;
		switch (ch) {
		case OPT_KEY: free(key); key = xstrdup(optarg); break;
		case OPT_LOCK_TIMEOUT:
			timeout = opt_duration("--lock-timeout", optarg);
			break;
		case OPT_GRACE:
			grace = opt_duration("--grace", optarg);
			break;
		case OPT_TTL:
			l.ttl = opt_duration("--ttl", optarg);
			if (l.ttl < 10 || l.ttl > 86400)
				die(EX_USAGE, "--ttl: Consul takes 10s to 24h");
			break;
		default: usage(EX_USAGE);
		}
	}
	cli_settings_checked();		/* the COMMAND may be left out */
	if (optind == argc)
		usage(EX_USAGE);
	l.key = key ? key : xasprintf("%s.lock", cfg.prefix);
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
	if ((rc = lock_acquire(&l, timeout, &set)) == 0) {
		info("holding %s", l.key);
		rc = EX_OSERR;
		if (command_start(&child, argv + optind, &old) == 0)
			rc = command_supervise(&child, &l, &set, grace);
	}
	lock_release(&l);
	lock_free(&l);
	consul_close(l.c);
	consul_config_free(&cfg);
	return rc;
}
