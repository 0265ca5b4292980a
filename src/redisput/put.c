#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "diag.h"
#include "prune.h"
#include "put.h"
#include "record.h"
#include "cluster.h"
#include "compare.h"
#include "redis_store.h"
#include "redis_url.h"
#include "multi.h"
#include "xalloc.h"

static void
chunk_init(struct chunk *ch, size_t chunk)
{
	ch->recs = xcalloc(chunk, sizeof(*ch->recs));
	ch->need = xcalloc(chunk, sizeof(*ch->need));
	ch->kv = xcalloc(2 * chunk + 1, sizeof(*ch->kv));
	ch->kvlen = xcalloc(2 * chunk + 1, sizeof(*ch->kvlen));
	ch->members = xcalloc(chunk + 2, sizeof(*ch->members));
	ch->memlen = xcalloc(chunk + 2, sizeof(*ch->memlen));
	ch->seen = xcalloc(chunk + 2, sizeof(*ch->seen));
	ch->seenlen = xcalloc(chunk + 2, sizeof(*ch->seenlen));
}

/* Frees the records still held, unprinted, and the vectors. */
static void
chunk_free(struct chunk *ch)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		record_free(&ch->recs[i]);
	free(ch->recs);
	free(ch->need);
	free(ch->kv);
	free(ch->kvlen);
	free(ch->members);
	free(ch->memlen);
	free(ch->seen);
	free(ch->seenlen);
}

void
put_init(struct put *p, struct redis_store *s, const char *set_key,
    size_t chunk, size_t depth, int delete, int compare)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->s = s;
	p->set_key = set_key;
	p->delete = delete;
	p->compare = compare && !delete;
	p->chunk = chunk;
	/* A cluster's chunks go one at a time (see cluster.h). */
	p->depth = s->cluster != NULL ? 1 : depth;
	p->ring = xcalloc(p->depth, sizeof(*p->ring));
	for (i = 0; i < p->depth; i++)
		chunk_init(&p->ring[i], chunk);
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
build_seen(const struct put *p, struct chunk *ch, struct multi_cmd cmd[2])
{
	static const char *expire[3] = { "EXPIRE", NULL, PRUNE_TTL };
	static size_t expirelen[3] = { 6, 0, sizeof(PRUNE_TTL) - 1 };
	size_t i;

	ch->seen[0] = "SADD";
	ch->seen[1] = expire[1] = p->seen_key;
	ch->seenlen[0] = 4;
	ch->seenlen[1] = expirelen[1] = strlen(p->seen_key);
	for (i = 0; i < ch->n; i++) {
		ch->seen[2 + i] = ch->recs[i].name;
		ch->seenlen[2 + i] = strlen(ch->recs[i].name);
	}
	set_cmd(&cmd[0], 2 + ch->n, ch->seen, ch->seenlen,
	    REDIS_REPLY_INTEGER);
	set_cmd(&cmd[1], 3, expire, expirelen, REDIS_REPLY_INTEGER);
	return 2;
}

/*
 * Points the command vectors at the chunk's names and exprs (in compare
 * mode, only those it needs written); sets how many commands the chunk's
 * transaction holds, 0 when it has nothing to write.
 */
static void
build(const struct put *p, struct chunk *ch)
{
	size_t i, k = 1, m = 2, step = p->delete ? 1 : 2;
	int need;

	ch->kv[0] = p->delete ? "DEL" : "MSET";
	ch->members[0] = p->delete ? "SREM" : "SADD";
	ch->members[1] = p->set_key;
	ch->kvlen[0] = strlen(ch->kv[0]);
	ch->memlen[0] = strlen(ch->members[0]);
	ch->memlen[1] = strlen(p->set_key);
	for (i = 0; i < ch->n; i++) {
		const struct record *r = &ch->recs[i];
		size_t len = strlen(r->name);

		need = p->compare ? ch->need[i] : NEED_VALUE | NEED_MEMBER;
		if (need & NEED_VALUE) {
			ch->kv[k] = r->name;
			ch->kvlen[k++] = len;
			if (!p->delete) {
				ch->kv[k] = r->expr;
				ch->kvlen[k++] = r->expr_len;
			}
		}
		if (need & NEED_MEMBER) {
			ch->members[m] = r->name;
			ch->memlen[m++] = len;
		}
	}
	ch->values = (long long)((k - 1) / step);
	ch->ncmd = 0;
	ch->ikv = ch->imembers = ch->iseen = -1;
	if (k > 1) {
		ch->ikv = ch->ncmd;
		set_cmd(&ch->cmd[ch->ncmd++], k, ch->kv, ch->kvlen,
		    p->delete ? REDIS_REPLY_INTEGER : REDIS_REPLY_STATUS);
	}
	if (m > 2) {
		ch->imembers = ch->ncmd;
		set_cmd(&ch->cmd[ch->ncmd++], m, ch->members, ch->memlen,
		    REDIS_REPLY_INTEGER);
	}
	if (p->seen_key != NULL) {
		ch->iseen = ch->ncmd;
		ch->ncmd += build_seen(p, ch, ch->cmd + ch->ncmd);
	}
}

/* The result of the chunk's command i, or 0 when it has none. */
static long long
result_of(const struct chunk *ch, int i)
{
	return i >= 0 ? ch->cmd[i].result : 0;
}

/* Passes the committed chunk through, flushed: it is now safe downstream. */
static void
emit(struct put *p, struct chunk *ch)
{
	size_t i;

	p->chunks++;
	p->done += ch->n;
	p->keys += p->delete ? result_of(ch, ch->ikv) : ch->values;
	p->members_changed += result_of(ch, ch->imembers);
	p->seen_added += result_of(ch, ch->iseen);
	debug("chunk %lu committed: %zu record%s, %lld value%s written",
	    ch->seq, ch->n, plural(ch->n), ch->values,
	    plural((unsigned long long)ch->values));
	put_sigpipe(1);
	for (i = 0; i < ch->n; i++) {
		record_print(&ch->recs[i]);
		record_free(&ch->recs[i]);
	}
	if (fflush(stdout) != 0)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
	put_sigpipe(0);
	ch->n = 0;
}

static char *
chunk_what(const struct chunk *ch)
{
	return xasprintf("chunk %lu (records %lu-%lu)", ch->seq, ch->first,
	    ch->first + (unsigned long)ch->n - 1);
}

/* Failovers one chunk may live through before the run gives up. */
#define FAILOVERS_MAX	3

/* Sends every chunk in flight again, in order, on a new connection. */
static void
resend(struct put *p)
{
	size_t i;
	struct chunk *ch;

	for (i = 0; i < p->inflight; i++) {
		ch = &p->ring[(p->head + i) % p->depth];
		if (ch->ncmd > 0 && multi_send(p->s->c, ch->cmd, ch->ncmd) != 0)
			break;		/* the next read reports it */
	}
}

/*
 * After a failure (status) that a failover may explain (moved), behind
 * sentinels: asks them for the master again and sends every chunk in
 * flight again.  Returns 0 when the failed step is to be tried again,
 * else the status to end with.
 */
static int
failover(struct put *p, int status, int moved, int *tries, const char *what)
{
	if (status == 0 || !moved || p->s->url.kind != REDIS_SENTINEL ||
	    (*tries)++ == FAILOVERS_MAX)
		return status;
	warnmsg("%s: asking the sentinels for the master again", what);
	if ((status = redis_store_reconnect(p->s)) != 0)
		return status;
	p->reconnects++;
	resend(p);
	return 0;
}

/* Reads the oldest chunk's replies, again on a new master if need be. */
static int
recv_server(struct put *p, struct chunk *ch, const char *what)
{
	int status, moved, tries = 0;

	do {
		status = multi_recv(p->s->c, ch->cmd, ch->ncmd, what, &moved);
		if (status == 0)
			return 0;
	} while ((status = failover(p, status, moved, &tries, what)) == 0);
	return status;
}

/*
 * Waits for the oldest chunk in flight and prints it.  (A cluster's chunk
 * was confirmed when it was sent.)
 */
static int
settle(struct put *p)
{
	struct chunk *ch = &p->ring[p->head];
	char *what;
	int status = 0;

	if (ch->ncmd > 0 && p->s->cluster == NULL) {
		what = chunk_what(ch);
		status = recv_server(p, ch, what);
		free(what);
	}
	if (status != 0)
		return status;
	emit(p, ch);
	p->head = (p->head + 1) % p->depth;
	p->inflight--;
	return 0;
}

/* Waits for every chunk in flight. */
static int
settle_all(struct put *p)
{
	int status = 0;

	while (status == 0 && p->inflight > 0)
		status = settle(p);
	return status;
}

/* The chunk in a cluster: values and members, in the safe order. */
static int
flush_cluster(struct put *p, struct chunk *ch)
{
	long long deleted = 0;
	char *what = chunk_what(ch);
	int status;

	if (!p->delete)
		status = cluster_write(p, ch, what);
	else {
		status = cluster_delete(p, ch->kv + 1, ch->kvlen + 1, ch->n,
		    ch->cmd + 1, ch->ncmd - 1, what, &deleted);
		ch->cmd[ch->ikv].result = deleted;
	}
	free(what);
	return status;
}

/*
 * Compare mode: what the chunk needs written.  On one server its reads go
 * out behind the chunks in flight, which are waited for first: the reads
 * see their writes.
 */
static int
compare(struct put *p, struct chunk *ch)
{
	unsigned long reconnects;
	int status, moved, tries = 0;
	char *what;

	if (p->s->cluster != NULL)
		return compare_cluster(p, ch);
	for (;;) {
		reconnects = p->reconnects;
		compare_send(p, ch);
		if ((status = settle_all(p)) != 0)
			return status;
		if (reconnects != p->reconnects)
			continue;	/* the reads went to the old master */
		if ((status = compare_recv(p, ch, &moved)) == 0)
			return 0;
		what = chunk_what(ch);
		status = failover(p, status, moved, &tries, what);
		free(what);
		if (status != 0)
			return status;
	}
}

/* The chunk being filled. */
static struct chunk *
filling(struct put *p)
{
	return &p->ring[(p->head + p->inflight) % p->depth];
}

/*
 * Sends the chunk being filled; waits for the oldest when the window is
 * full, or for all when the input may make them wait.
 */
static int
send_chunk(struct put *p)
{
	struct chunk *ch = filling(p);
	int status;

	ch->seq = p->chunks + p->inflight + 1;
	ch->first = p->taken - ch->n + 1;
	if (p->compare && (status = compare(p, ch)) != 0)
		return status;
	build(p, ch);
	if (p->s->cluster != NULL) {
		if ((status = flush_cluster(p, ch)) != 0)
			return status;
		p->inflight++;
		return settle(p);
	}
	if (ch->ncmd > 0)
		(void)multi_send(p->s->c, ch->cmd, ch->ncmd);
	p->inflight++;
	if (p->inflight == p->depth || p->drain)
		return p->drain ? settle_all(p) : settle(p);
	return 0;
}

int
put_flush(struct put *p)
{
	int status = 0;

	if (filling(p)->n > 0)
		status = send_chunk(p);
	return status != 0 ? status : settle_all(p);
}

int
put_add(struct put *p, struct record *r)
{
	struct chunk *ch = filling(p);

	ch->recs[ch->n++] = *r;
	memset(r, 0, sizeof(*r));
	p->taken++;
	return ch->n == p->chunk ? send_chunk(p) : 0;
}

/*
 * Whether reading the input may now wait (a pipe, a FIFO or a terminal
 * with nothing to read at once): then the chunks in flight are waited for
 * first, so that what committed is printed without waiting for the input.
 * A regular file never waits.  Data in stdio's buffer is not seen: the
 * window is then drained early, which costs time, not correctness.
 */
static int
input_may_wait(const struct record_input *in)
{
	struct pollfd pfd;
	struct stat st;
	const char *path;

	if (in->cur == NULL || in->next == 0)
		return 1;
	path = in->paths[in->next - 1];
	if (strcmp(path, "-") != 0)
		return stat(path, &st) != 0 || !S_ISREG(st.st_mode);
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) != 1;
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
		} else {
			if (filling(p)->n + 1 == p->chunk)
				p->drain = input_may_wait(in);
			status = put_add(p, &r);
		}
	}
	if (dry_run)
		put_sigpipe(0);
	return status != 0 ? status : put_flush(p);
}

void
put_free(struct put *p)
{
	size_t i;

	for (i = 0; i < p->depth; i++)
		chunk_free(&p->ring[i]);
	free(p->ring);
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
