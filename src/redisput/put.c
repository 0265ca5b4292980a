#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "diag.h"
#include "prune.h"
#include "put.h"
#include "record.h"
#include "cluster.h"
#include "redis_store.h"
#include "redis_url.h"
#include "multi.h"
#include "xalloc.h"

void
put_init(struct put *p, struct redis_store *s, const char *set_key,
    size_t chunk, int delete)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->set_key = set_key;
	p->delete = delete;
	p->chunk = chunk;
	p->recs = xcalloc(chunk, sizeof(*p->recs));
	p->kv = xcalloc(2 * chunk + 1, sizeof(*p->kv));
	p->kvlen = xcalloc(2 * chunk + 1, sizeof(*p->kvlen));
	p->members = xcalloc(chunk + 2, sizeof(*p->members));
	p->memlen = xcalloc(chunk + 2, sizeof(*p->memlen));
}

void
put_sigpipe(int stdout_side)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stdout_side ? SIG_DFL : SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		die(EX_OSERR, "sigaction: %s", strerror(errno));
}

static void
set_cmd(struct multi_cmd *cmd, size_t argc, const char **argv,
    const size_t *lens, int want)
{
	cmd->argc = (int)argc;
	cmd->argv = argv;
	cmd->lens = lens;
	cmd->want = want;
	cmd->result = 0;
}

/* SADD seen name ...; EXPIRE seen: the names --prune must keep. */
static int
build_seen(struct put *p, struct multi_cmd cmd[2])
{
	static const char *expire[3] = { "EXPIRE", NULL, PRUNE_TTL };
	static size_t expirelen[3] = { 6, 0, sizeof(PRUNE_TTL) - 1 };
	size_t i;

	p->seen[0] = "SADD";
	p->seen[1] = expire[1] = p->seen_key;
	p->seenlen[0] = 4;
	p->seenlen[1] = expirelen[1] = strlen(p->seen_key);
	for (i = 0; i < p->n; i++) {
		p->seen[2 + i] = p->members[2 + i];
		p->seenlen[2 + i] = p->memlen[2 + i];
	}
	set_cmd(&cmd[0], 2 + p->n, p->seen, p->seenlen, REDIS_REPLY_INTEGER);
	set_cmd(&cmd[1], 3, expire, expirelen, REDIS_REPLY_INTEGER);
	return 2;
}

/*
 * Points the command vectors at the held records' names and exprs; returns
 * how many commands the chunk's transaction holds.
 */
static int
build(struct put *p, struct multi_cmd cmd[4])
{
	size_t i, step = p->delete ? 1 : 2;

	p->kv[0] = p->delete ? "DEL" : "MSET";
	p->members[0] = p->delete ? "SREM" : "SADD";
	p->members[1] = p->set_key;
	p->kvlen[0] = strlen(p->kv[0]);
	p->memlen[0] = strlen(p->members[0]);
	p->memlen[1] = strlen(p->set_key);
	for (i = 0; i < p->n; i++) {
		const struct record *r = &p->recs[i];
		size_t k = 1 + i * step;

		p->kv[k] = p->members[2 + i] = r->name;
		p->kvlen[k] = p->memlen[2 + i] = strlen(r->name);
		if (!p->delete) {
			p->kv[k + 1] = r->expr;
			p->kvlen[k + 1] = r->expr_len;
		}
	}
	set_cmd(&cmd[0], 1 + p->n * step, p->kv, p->kvlen,
	    p->delete ? REDIS_REPLY_INTEGER : REDIS_REPLY_STATUS);
	set_cmd(&cmd[1], 2 + p->n, p->members, p->memlen, REDIS_REPLY_INTEGER);
	return p->seen_key != NULL ? 2 + build_seen(p, cmd + 2) : 2;
}

/* Passes the committed chunk through, flushed: it is now safe downstream. */
static void
emit(struct put *p)
{
	size_t i;

	put_sigpipe(1);
	for (i = 0; i < p->n; i++) {
		record_print(&p->recs[i]);
		record_free(&p->recs[i]);
	}
	if (fflush(stdout) != 0)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
	put_sigpipe(0);
	p->n = 0;
}

/* Failovers one chunk may live through before the run gives up. */
#define FAILOVERS_MAX	3

/*
 * The chunk as one transaction; behind sentinels, run again on the new
 * master when the old one went away.
 */
static int
flush_server(struct put *p, struct multi_cmd *cmd, int ncmd, const char *what)
{
	int status, moved, tries = 0;

	for (;;) {
		status = multi_run(p->s->c, cmd, ncmd, what, &moved);
		if (status == 0 || !moved || p->s->url.kind != REDIS_SENTINEL ||
		    tries++ == FAILOVERS_MAX)
			return status;
		warnmsg("%s: asking the sentinels for the master again", what);
		if ((status = redis_store_reconnect(p->s)) != 0)
			return status;
	}
}

/* The chunk in a cluster: values and members, in the safe order. */
static int
flush_cluster(struct put *p, struct multi_cmd *cmd, int ncmd,
    const char *what)
{
	long long deleted = 0;
	int status;

	if (!p->delete)
		return cluster_write(p, cmd + 1, ncmd - 1, what);
	status = cluster_delete(p, p->kv + 1, p->kvlen + 1, p->n, cmd + 1,
	    ncmd - 1, what, &deleted);
	cmd[0].result = deleted;
	return status;
}

int
put_flush(struct put *p)
{
	struct multi_cmd cmd[4];
	char *what;
	int status, ncmd;

	if (p->n == 0)
		return 0;
	ncmd = build(p, cmd);
	what = xasprintf("chunk %lu (records %lu-%lu)", p->chunks + 1,
	    p->done + 1, p->done + (unsigned long)p->n);
	status = p->s->cluster ? flush_cluster(p, cmd, ncmd, what) :
	    flush_server(p, cmd, ncmd, what);
	free(what);
	if (status != 0)
		return status;
	p->chunks++;
	p->done += p->n;
	p->keys += p->delete ? cmd[0].result : (long long)p->n;
	p->members_changed += cmd[1].result;
	if (ncmd > 2)
		p->seen_added += cmd[2].result;
	debug("chunk %lu committed: %zu record%s, %lld member%s %s",
	    p->chunks, p->n, plural(p->n), cmd[1].result,
	    plural((unsigned long long)cmd[1].result),
	    p->delete ? "removed" : "added");
	emit(p);
	return 0;
}

int
put_add(struct put *p, struct record *r)
{
	p->recs[p->n++] = *r;
	memset(r, 0, sizeof(*r));
	return p->n == p->chunk ? put_flush(p) : 0;
}

/* A record named like the set key would overwrite (or delete) the set. */
static int
usable(const struct put *p, const struct record *r,
    const struct record_input *in)
{
	if (strcmp(r->name, p->set_key) != 0)
		return 1;
	warn_at(record_input_file(in), record_input_line(in),
	    "record %s is the set key itself; skipped", r->name);
	return 0;
}

int
put_run(struct put *p, struct record_input *in, int dry_run,
    unsigned long *skipped)
{
	struct record r;
	int status = 0;

	if (dry_run)
		put_sigpipe(1);
	while (status == 0 && record_input_next(in, &r)) {
		if (!usable(p, &r, in)) {
			record_free(&r);
			++*skipped;
		} else if (dry_run) {
			record_print(&r);
			record_free(&r);
			p->done++;
		} else
			status = put_add(p, &r);
	}
	if (dry_run)
		put_sigpipe(0);
	return status != 0 ? status : put_flush(p);
}

void
put_free(struct put *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		record_free(&p->recs[i]);
	free(p->recs);
	free(p->kv);
	free(p->kvlen);
	free(p->members);
	free(p->memlen);
	free(p->seen);
	free(p->seenlen);
	free(p->seen_key);
	memset(p, 0, sizeof(*p));
}

/* The set's size, or -1 after a warning. */
static long long
scard(struct redis_store *s, const char *key)
{
	const char *argv[] = { "SCARD", key };
	int status;
	redisReply *r = redis_store_command(s, key, 2, argv, NULL, &status);
	long long n = -1;

	if (r == NULL)
		;
	else if (r->type != REDIS_REPLY_INTEGER)
		warnmsg("SCARD %s: %s", key, r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	else
		n = r->integer;
	freeReplyObject(r);
	return n;
}

void
put_report(const struct put *p, int dry_run)
{
	unsigned long chunks = (p->done + p->chunk - 1) / p->chunk;
	const char *verb = p->delete ? "delete" : "write";
	long long card;

	if (verbosity < 2)
		return;
	if (dry_run)
		info("dry run: would %s %lu record%s in %lu chunk%s", verb,
		    p->done, plural(p->done), chunks, plural(chunks));
	else if (p->delete)
		info("chunks committed: %lu; records: %lu; keys deleted: %lld; "
		    "members removed: %lld", p->chunks, p->done, p->keys,
		    p->members_changed);
	else
		info("chunks committed: %lu; keys set: %lld; members added: "
		    "%lld", p->chunks, p->keys, p->members_changed);
	if (p->pruned >= 0 && p->seen_key != NULL)
		info("pruned: %lld member%s not in the input, and their keys",
		    p->pruned, plural((unsigned long long)p->pruned));
	card = scard(p->s, p->set_key);
	info("set %s has %lld member%s", p->set_key, card,
	    plural((unsigned long long)card));
}

int
put_check_set(struct redis_store *s, const char *set_key)
{
	const char *argv[] = { "TYPE", set_key };
	int status = EX_UNAVAILABLE;
	redisReply *r = redis_store_command(s, set_key, 2, argv, NULL, &status);

	if (r == NULL)
		;
	else if (r->type == REDIS_REPLY_ERROR) {
		warnmsg("TYPE %s: %s", set_key, r->str);
		status = redis_error_status(r);
	} else if (r->type != REDIS_REPLY_STATUS)
		warnmsg("TYPE %s: unexpected reply", set_key);
	else if (strcmp(r->str, "set") == 0 || strcmp(r->str, "none") == 0)
		status = 0;
	else {
		warnmsg("set key %s holds a %s, not a set", set_key, r->str);
		status = EX_CONFIG;
	}
	freeReplyObject(r);
	return status;
}
