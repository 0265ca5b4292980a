#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "diag.h"
#include "numparse.h"
#include "redis_cluster.h"
#include "redis_slot.h"
#include "redis_url.h"
#include "resp.h"
#include "xalloc.h"

/* Rounds of redirections a batch may take before the run gives up. */
#define MAX_ROUNDS	16

struct node {
	char		*host;
	int		 port;
	char		*addr;		/* "host:port", for messages */
	redisContext	*c;		/* NULL until first used */
	int		 queued;	/* commands in this round */
};

struct redis_cluster {
	const struct redis_url *u;
	double		 timeout;
	struct node	*nodes;
	size_t		 nnodes;
	int		 slot_node[REDIS_SLOTS];	/* -1: unknown */
};

/* One command in flight: a caller's command or a piece of one. */
struct item {
	size_t		 cmd;		/* index in the caller's cmds */
	int		 argc;
	const char	**argv;
	const size_t	*lens;		/* owned when the item is a piece */
	int		 piece;
	int		 node, asking, done, split, sent;
};

/* The node at host:port, added to the table when new. */
static int
node_find(struct redis_cluster *cl, const char *host, int port)
{
	size_t i;

	for (i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i].port == port &&
		    strcmp(cl->nodes[i].host, host) == 0)
			return (int)i;
	cl->nodes = xreallocarray(cl->nodes, cl->nnodes + 1,
	    sizeof(*cl->nodes));
	memset(&cl->nodes[cl->nnodes], 0, sizeof(*cl->nodes));
	cl->nodes[cl->nnodes].host = xstrdup(host);
	cl->nodes[cl->nnodes].port = port;
	cl->nodes[cl->nnodes].addr = redis_addr_display(host, port);
	return (int)cl->nnodes++;
}

static void
node_drop(struct node *n)
{
	if (n->c != NULL)
		redisFree(n->c);
	n->c = NULL;
	n->queued = 0;
}

/* Node i's connection, opened on first use; NULL after a message. */
static redisContext *
node_ctx(struct redis_cluster *cl, int i, const char *what, int *status)
{
	struct node *n = &cl->nodes[i];
	char *why = NULL;

	if (n->c != NULL && n->c->err != 0)
		node_drop(n);
	if (n->c == NULL) {
		n->c = redis_node_open(cl->u, n->host, n->port, cl->timeout,
		    status, &why);
		if (n->c == NULL) {
			warnmsg("%s: cluster node %s", what, why);
			free(why);
		}
	}
	return n->c;
}

/* "host:port" at the end of a MOVED or ASK error; -1 when malformed. */
static int
redirect_node(struct redis_cluster *cl, const char *err)
{
	const char *sp = strrchr(err, ' '), *colon;
	long long port;
	char *host;
	int i;

	if (sp == NULL || (colon = strrchr(sp, ':')) == NULL ||
	    parse_long(colon + 1, 1, 65535, &port) != 0)
		return -1;
	host = xstrndup(sp + 1, (size_t)(colon - sp - 1));
	i = node_find(cl, *host ? host : "127.0.0.1", (int)port);
	free(host);
	return i;
}

/* One entry of CLUSTER SLOTS: [start, end, [host, port, ...], ...]. */
static int
map_range(struct redis_cluster *cl, const redisReply *e, const char *asked)
{
	const redisReply *m;
	long long s;
	int i;

	if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
	    e->element[0]->type != REDIS_REPLY_INTEGER ||
	    e->element[1]->type != REDIS_REPLY_INTEGER ||
	    (m = e->element[2])->type != REDIS_REPLY_ARRAY ||
	    m->elements < 2 || m->element[0]->type != REDIS_REPLY_STRING ||
	    m->element[1]->type != REDIS_REPLY_INTEGER ||
	    e->element[0]->integer < 0 ||
	    e->element[1]->integer >= REDIS_SLOTS ||
	    e->element[0]->integer > e->element[1]->integer)
		return -1;
	/* An empty host means "the node you asked". */
	i = node_find(cl, *m->element[0]->str ? m->element[0]->str : asked,
	    (int)m->element[1]->integer);
	for (s = e->element[0]->integer; s <= e->element[1]->integer; s++)
		cl->slot_node[s] = i;
	return 0;
}

/* Reads the slot map from node i; 0, or -1 with *why. */
static int
map_from(struct redis_cluster *cl, int i, char **why)
{
	redisContext *c = cl->nodes[i].c;
	redisReply *r = redisCommand(c, "CLUSTER SLOTS");
	const char *host = cl->nodes[i].host;
	size_t k;
	int rc = 0;

	if (r == NULL) {
		*why = xasprintf("%s: CLUSTER SLOTS: %s", cl->nodes[i].addr,
		    redis_ctx_error(c));
		return -1;
	}
	for (k = 0; k < REDIS_SLOTS; k++)
		cl->slot_node[k] = -1;
	if (r->type != REDIS_REPLY_ARRAY)
		rc = -1;
	for (k = 0; rc == 0 && k < r->elements; k++)
		rc = map_range(cl, r->element[k], host);
	if (rc != 0)
		*why = xasprintf("%s: CLUSTER SLOTS: %s", cl->nodes[i].addr,
		    r->type == REDIS_REPLY_ERROR ? r->str :
		    "not the answer of a cluster node");
	freeReplyObject(r);
	return rc;
}

/* Reads the map anew from the first node that answers. */
static int
refresh(struct redis_cluster *cl, const char *what)
{
	char *why = NULL;
	size_t i;
	int status;

	for (i = 0; i < cl->nnodes; i++) {
		if (cl->nodes[i].c == NULL) {
			cl->nodes[i].c = redis_node_open(cl->u,
			    cl->nodes[i].host, cl->nodes[i].port, cl->timeout,
			    &status, &why);
			if (cl->nodes[i].c == NULL) {
				free(why);
				continue;
			}
		}
		free(why);
		why = NULL;
		if (map_from(cl, (int)i, &why) == 0)
			return 0;
	}
	warnmsg("%s: no cluster node gave its slot map%s%s", what,
	    why ? ": " : "", why ? why : "");
	free(why);
	return EX_UNAVAILABLE;
}

/* CLUSTER INFO's cluster_state: 0 when ok, else a reason. */
static char *
cluster_state(redisContext *c, const char *addr)
{
	redisReply *r = redisCommand(c, "CLUSTER INFO");
	char *why = NULL;
	const char *st;

	if (r == NULL)
		why = xasprintf("%s: CLUSTER INFO: %s", addr,
		    redis_ctx_error(c));
	else if (r->type == REDIS_REPLY_ERROR)
		why = xasprintf("%s: CLUSTER INFO refused: %s", addr, r->str);
	else if (r->type != REDIS_REPLY_STRING)
		why = xasprintf("%s: CLUSTER INFO: not the answer of a "
		    "cluster node", addr);
	else if ((st = strstr(r->str, "cluster_state:")) == NULL)
		why = xasprintf("%s: CLUSTER INFO has no cluster_state", addr);
	else if (strncmp(st + 14, "ok", 2) != 0)
		why = xasprintf("%s: cluster_state:%.*s: the cluster is down "
		    "(nothing written)", addr, (int)strcspn(st + 14, "\r\n"),
		    st + 14);
	freeReplyObject(r);
	return why;
}

/* Seed i: connected, the cluster ok, the map read; else why not. */
static char *
from_seed(struct redis_cluster *cl, int i, int *status)
{
	struct node *n = &cl->nodes[i];
	char *why = NULL;

	n->c = redis_node_open(cl->u, n->host, n->port, cl->timeout, status,
	    &why);
	if (n->c == NULL)
		return why;
	*status = EX_UNAVAILABLE;
	if ((why = cluster_state(n->c, n->addr)) == NULL)
		map_from(cl, i, &why);
	return why;
}

/* How many master nodes serve slots, for messages. */
static size_t
redis_cluster_masters(const struct redis_cluster *cl)
{
	size_t i, n = 0;
	int k;

	for (i = 0; i < cl->nnodes; i++)
		for (k = 0; k < REDIS_SLOTS; k++)
			if (cl->slot_node[k] == (int)i) {
				n++;
				break;
			}
	return n;
}

struct redis_cluster *
redis_cluster_open(const struct redis_url *u, double timeout, int *status)
{
	struct redis_cluster *cl = xcalloc(1, sizeof(*cl));
	char *why = NULL, *disp;
	size_t i;
	int ok = 0;

	cl->u = u;
	cl->timeout = timeout;
	for (i = 0; i < u->nnodes; i++)
		node_find(cl, u->nodes[i].host, u->nodes[i].port);
	*status = EX_UNAVAILABLE;
	disp = redis_url_display(u);
	for (i = 0; i < u->nnodes; i++) {
		if ((why = from_seed(cl, (int)i, status)) == NULL) {
			ok = 1;
			break;
		}
		warnmsg("%s: seed %s", disp, why);
		free(why);
		/* A seed that answers decides (the cluster is down). */
		if (*status == EX_NOPERM || cl->nodes[i].c != NULL)
			break;
	}
	if (!ok) {
		free(disp);
		redis_cluster_close(cl);
		return NULL;
	}
	info("connected to %s: %zu masters", disp, redis_cluster_masters(cl));
	free(disp);
	return cl;
}

void
redis_cluster_close(struct redis_cluster *cl)
{
	size_t i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->nnodes; i++) {
		node_drop(&cl->nodes[i]);
		free(cl->nodes[i].host);
		free(cl->nodes[i].addr);
	}
	free(cl->nodes);
	free(cl);
}

/* A batch in progress. */
struct batch {
	struct redis_cluster *cl;
	struct cluster_cmd *cmds;
	struct item	*items;
	size_t		 n;
	const char	*what;
	int		 status, moved, tryagain;
};

static void
batch_add(struct batch *b, size_t cmd, int argc, const char **argv,
    const size_t *lens, int piece)
{
	struct item *it;

	b->items = xreallocarray(b->items, b->n + 1, sizeof(*b->items));
	it = &b->items[b->n++];
	memset(it, 0, sizeof(*it));
	it->cmd = cmd;
	it->argc = argc;
	it->argv = argv;
	it->lens = lens;
	it->piece = piece;
	it->node = -1;
}

/* Replaces item i by one command a key (items it ran on several keys). */
static void
batch_split(struct batch *b, size_t i)
{
	size_t cmd = b->items[i].cmd, k, j;
	const struct cluster_cmd *c = &b->cmds[cmd];
	int step = c->step, argc = b->items[i].argc;
	const char **argv;
	size_t *lens;

	b->items[i].done = 1;
	for (k = 1; k + (size_t)step <= (size_t)argc; k += (size_t)step) {
		argv = xcalloc(1 + (size_t)step, sizeof(*argv));
		lens = xcalloc(1 + (size_t)step, sizeof(*lens));
		argv[0] = b->items[i].argv[0];
		lens[0] = strlen(argv[0]);
		for (j = 0; j < (size_t)step; j++) {
			argv[1 + j] = b->items[i].argv[k + j];
			lens[1 + j] = b->items[i].lens ?
			    b->items[i].lens[k + j] : strlen(argv[1 + j]);
		}
		batch_add(b, cmd, 1 + step, argv, lens, 1);
	}
}

/* Can item i be split key by key? */
static int
splittable(const struct batch *b, const struct item *it)
{
	int step = b->cmds[it->cmd].step;

	return step > 0 && it->argc > 1 + step;
}

/* Takes the reply r to item it: done, redirected, or a failure. */
static void
take(struct batch *b, struct item *it, redisReply *r)
{
	struct cluster_cmd *c = &b->cmds[it->cmd];
	struct node *n = &b->cl->nodes[it->node];
	int to;

	if (r->type != REDIS_REPLY_ERROR) {
		if (r->type == REDIS_REPLY_INTEGER)
			c->result += r->integer;
		it->done = 1;
		if (c->keep && !it->piece) {
			c->reply = r;
			return;
		}
	} else if (strncmp(r->str, "MOVED ", 6) == 0 &&
	    (to = redirect_node(b->cl, r->str)) >= 0) {
		b->cl->slot_node[b->cmds[it->cmd].slot] = to;
		it->asking = 0;
		b->moved = 1;
	} else if (strncmp(r->str, "ASK ", 4) == 0 &&
	    (to = redirect_node(b->cl, r->str)) >= 0) {
		if (splittable(b, it))
			it->split = 1;
		else {
			it->asking = 1;
			it->node = to;
		}
	} else if (strncmp(r->str, "TRYAGAIN", 8) == 0) {
		if (splittable(b, it))
			it->split = 1;
		b->tryagain = 1;
	} else if (c->keep && !it->piece) {
		it->done = 1;		/* the caller judges the error */
		c->reply = r;
		return;
	} else if (b->status == 0) {
		warnmsg("%s: %s refused by %s: %s", b->what, it->argv[0],
		    n->addr, r->str);
		b->status = redis_error_status(r);
	}
	freeReplyObject(r);
}

/* Queues every pending item on the node its slot (or an ASK) names. */
static int
queue_round(struct batch *b)
{
	static const char *asking[] = { "ASKING" };
	redisContext *c;
	struct item *it;
	size_t i;
	int node, status = EX_UNAVAILABLE;

	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->done)
			continue;
		node = it->asking ? it->node :
		    b->cl->slot_node[b->cmds[it->cmd].slot];
		if (node < 0) {
			warnmsg("%s: slot %u is served by no node", b->what,
			    b->cmds[it->cmd].slot);
			return EX_UNAVAILABLE;
		}
		if ((c = node_ctx(b->cl, node, b->what, &status)) == NULL)
			return status;
		it->node = node;
		it->sent = 1;
		if (it->asking)
			resp_append(c, 1, asking, NULL);
		resp_append(c, it->argc, it->argv, it->lens);
		b->cl->nodes[node].queued++;
	}
	return 0;
}

/* A node lost mid-batch: what it did of the batch is unknown. */
static void
node_lost(struct batch *b, int node)
{
	struct node *n = &b->cl->nodes[node];

	warnmsg("%s: cluster node %s: %s; what it had of the batch may or "
	    "may not have been applied", b->what, n->addr,
	    redis_ctx_error(n->c));
	b->status = EX_UNAVAILABLE;
	node_drop(n);
}

/* Sends every node its queue: all nodes work while replies are read. */
static void
flush_round(struct batch *b)
{
	size_t i;
	int done;

	for (i = 0; i < b->cl->nnodes; i++) {
		if (b->cl->nodes[i].queued == 0 || b->cl->nodes[i].c == NULL)
			continue;
		done = 0;
		while (!done)
			if (redisBufferWrite(b->cl->nodes[i].c, &done) !=
			    REDIS_OK) {
				node_lost(b, (int)i);
				break;
			}
	}
}

/* Reads item it's reply (after ASKING's, when asking). */
static void
read_item(struct batch *b, struct item *it)
{
	redisContext *c = b->cl->nodes[it->node].c;
	redisReply *r;

	it->sent = 0;
	if (c == NULL)			/* lost earlier in this round */
		return;
	if (it->asking) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			node_lost(b, it->node);
			return;
		}
		freeReplyObject(r);
	}
	if (redisGetReply(c, (void **)&r) != REDIS_OK) {
		node_lost(b, it->node);
		return;
	}
	take(b, it, r);
}

/* One round: queue, send, read; then split, re-map, back off. */
static int
run_round(struct batch *b, int round)
{
	size_t i, n;

	if ((b->status = queue_round(b)) != 0) {
		/* Nothing of this round is sent: what was queued goes. */
		for (i = 0; i < b->cl->nnodes; i++)
			if (b->cl->nodes[i].queued > 0)
				node_drop(&b->cl->nodes[i]);
		return b->status;
	}
	flush_round(b);
	for (i = 0; i < b->n; i++)
		if (b->items[i].sent)
			read_item(b, &b->items[i]);
	for (i = 0; i < b->cl->nnodes; i++)
		b->cl->nodes[i].queued = 0;
	if (b->status != 0)
		return b->status;
	for (i = 0, n = b->n; i < n; i++)
		if (b->items[i].split) {
			b->items[i].split = 0;
			batch_split(b, i);
		}
	if (b->moved && refresh(b->cl, b->what) != 0)
		return EX_UNAVAILABLE;
	if (b->tryagain)
		clock_pause(0.01 * round);
	b->moved = b->tryagain = 0;
	return 0;
}

static size_t
pending(const struct batch *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->n; i++)
		n += !b->items[i].done;
	return n;
}

int
redis_cluster_run(struct redis_cluster *cl, struct cluster_cmd *cmds,
    size_t n, const char *what)
{
	struct batch b;
	size_t i;
	int round, status = 0;

	memset(&b, 0, sizeof(b));
	b.cl = cl;
	b.cmds = cmds;
	b.what = what;
	for (i = 0; i < n; i++) {
		cmds[i].reply = NULL;
		cmds[i].result = 0;
		batch_add(&b, i, cmds[i].argc, cmds[i].argv, cmds[i].lens, 0);
	}
	for (round = 1; status == 0 && pending(&b) > 0; round++) {
		if (round > MAX_ROUNDS) {
			warnmsg("%s: the cluster still redirects after %d "
			    "rounds", what, MAX_ROUNDS);
			status = EX_UNAVAILABLE;
		} else
			status = run_round(&b, round);
	}
	for (i = 0; i < b.n; i++)
		if (b.items[i].piece) {
			free(b.items[i].argv);
			free((void *)b.items[i].lens);
		}
	free(b.items);
	return status;
}

redisReply *
redis_cluster_command(struct redis_cluster *cl, const char *key,
    size_t keylen, int argc, const char **argv, const size_t *lens,
    int *status)
{
	struct cluster_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.slot = redis_key_slot(key, keylen);
	cmd.argc = argc;
	cmd.argv = argv;
	cmd.lens = lens;
	cmd.keep = 1;
	if ((*status = redis_cluster_run(cl, &cmd, 1, argv[0])) != 0) {
		freeReplyObject(cmd.reply);
		return NULL;
	}
	return cmd.reply;
}
