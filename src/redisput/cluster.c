#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "multi.h"
#include "put.h"
#include "redis_cluster.h"
#include "redis_slot.h"
#include "xalloc.h"

struct keyslot {
	unsigned	 slot;
	size_t		 i;
};

static int
by_slot(const void *a, const void *b)
{
	const struct keyslot *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The commands of one batch and the vectors they point into. */
struct groups {
	struct cluster_cmd *cmds;
	size_t		 n;
	const char	**argv;
	size_t		*lens;
};

/*
 * cmd key [value] ... a slot: names[i] (and values[i] when values is not
 * NULL) grouped by the slot of the name.
 */
static void
group(struct groups *g, const char *cmd, const char **names,
    const size_t *nlens, const char **values, const size_t *vlens,
    size_t count)
{
	struct keyslot *ks = xcalloc(count, sizeof(*ks));
	size_t i, k = 0, step = values ? 2 : 1;

	for (i = 0; i < count; i++) {
		ks[i].slot = redis_key_slot(names[i], nlens[i]);
		ks[i].i = i;
	}
	qsort(ks, count, sizeof(*ks), by_slot);
	g->cmds = xcalloc(count, sizeof(*g->cmds));
	g->argv = xcalloc(count * (step + 1), sizeof(*g->argv));
	g->lens = xcalloc(count * (step + 1), sizeof(*g->lens));
	g->n = 0;
	for (i = 0; i < count; i++) {
		if (i == 0 || ks[i].slot != ks[i - 1].slot) {
			g->cmds[g->n].slot = ks[i].slot;
			g->cmds[g->n].argv = g->argv + k;
			g->cmds[g->n].lens = g->lens + k;
			g->cmds[g->n].step = (int)step;
			g->argv[k] = cmd;
			g->lens[k++] = strlen(cmd);
			g->cmds[g->n++].argc = 1;
		}
		g->argv[k] = names[ks[i].i];
		g->lens[k++] = nlens[ks[i].i];
		if (values != NULL) {
			g->argv[k] = values[ks[i].i];
			g->lens[k++] = vlens[ks[i].i];
		}
		g->cmds[g->n - 1].argc += (int)step;
	}
	free(ks);
}

static void
groups_free(struct groups *g)
{
	free(g->cmds);
	free(g->argv);
	free(g->lens);
}

/* members[0..n) on the set key's node, in order; results copied back. */
static int
set_commands(struct put *p, struct multi_cmd *members, int n,
    const char *what)
{
	struct cluster_cmd cmds[4];
	unsigned slot = redis_key_slot(p->set_key, strlen(p->set_key));
	int i, status;

	memset(cmds, 0, sizeof(cmds));
	for (i = 0; i < n && i < 4; i++) {
		cmds[i].slot = slot;
		cmds[i].argc = members[i].argc;
		cmds[i].argv = members[i].argv;
		cmds[i].lens = members[i].lens;
	}
	status = redis_cluster_run(p->s->cluster, cmds, (size_t)i, what);
	for (i = 0; status == 0 && i < n && i < 4; i++)
		members[i].result = cmds[i].result;
	return status;
}

int
cluster_write(struct put *p, struct chunk *ch, const char *what)
{
	int first = ch->ikv >= 0 ? ch->ikv + 1 : 0;
	size_t i, n = ch->ikv >= 0 ? (size_t)(ch->cmd[ch->ikv].argc - 1) / 2 : 0;
	const char **names = xcalloc(n + 1, sizeof(*names));
	const char **exprs = xcalloc(n + 1, sizeof(*exprs));
	size_t *nlens = xcalloc(n + 1, sizeof(*nlens));
	size_t *elens = xcalloc(n + 1, sizeof(*elens));
	struct groups g;
	int status;

	/* The MSET the chunk's transaction would hold, split by slot. */
	for (i = 0; i < n; i++) {
		names[i] = ch->kv[1 + 2 * i];
		nlens[i] = ch->kvlen[1 + 2 * i];
		exprs[i] = ch->kv[2 + 2 * i];
		elens[i] = ch->kvlen[2 + 2 * i];
	}
	memset(&g, 0, sizeof(g));
	if (n > 0)
		group(&g, "MSET", names, nlens, exprs, elens, n);
	status = redis_cluster_run(p->s->cluster, g.cmds, g.n, what);
	/* Only values all confirmed may be named in the set. */
	if (status == 0 && ch->ncmd > first)
		status = set_commands(p, ch->cmd + first, ch->ncmd - first,
		    what);
	groups_free(&g);
	free(names);
	free(exprs);
	free(nlens);
	free(elens);
	return status;
}

int
cluster_delete(struct put *p, const char **names, const size_t *lens,
    size_t count, struct multi_cmd *members, int n, const char *what,
    long long *deleted)
{
	struct groups g;
	size_t i;
	int status;

	/* Out of the set first: the set never names a missing value. */
	if ((status = set_commands(p, members, n, what)) != 0)
		return status;
	group(&g, "DEL", names, lens, NULL, NULL, count);
	status = redis_cluster_run(p->s->cluster, g.cmds, g.n, what);
	for (i = 0; status == 0 && i < g.n; i++)
		*deleted += g.cmds[i].result;
	groups_free(&g);
	return status;
}
