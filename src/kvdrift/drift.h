/*
 * drift: what kvdrift holds while it compares the stores.  The records
 * Consul holds are kept by name only, with a hash of their expression and
 * their key's number (a million is a normal store); Redis's set and the
 * rule file are then streamed past them.  What disagrees lands in one
 * list of names per kind.
 *
 * Ownership: every struct stored is the drift's (drift_free() frees
 * them).  A drift item owns its name when the kind's list was made
 * with owns set; else the name is a stored's.  why is always static.
 */
#ifndef KVDRIFT_DRIFT_H
#define KVDRIFT_DRIFT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <hiredis/hiredis.h>

#include "consul.h"
#include "redis_store.h"
#include "strmap.h"

/* The kinds, in the order they are reported. */
enum drift_kind {
	REDIS_MISSING,		/* in Consul, not in Redis's set */
	REDIS_NO_VALUE,		/* a member whose key holds no value */
	REDIS_DIFFERS,		/* a member whose value is not Consul's expr */
	REDIS_EXTRA,		/* a member Consul does not hold */
	RULES_MISSING,		/* in Consul, not in the rule file */
	RULES_EXTRA,		/* in the rule file, not in Consul */
	DUPLICATE,		/* a name stored under two keys */
	JUNK,			/* a numbered key that holds no record */
	DRIFT_KINDS
};

struct drift_item {
	char		*name;		/* the record, or the key for JUNK */
	const char	*why;		/* JUNK: what is wrong with it */
	long long	 first, other;	/* DUPLICATE: the two key numbers */
};

struct drift_list {
	struct drift_item	*v;
	size_t			 n, cap;
	int			 owns;	/* the names are copies to free */
};

/* A record Consul holds; in_redis and in_rules are set as they are seen. */
struct stored {
	uint64_t	 expr_hash;
	long long	 index;		/* the lowest number it is stored at */
	unsigned char	 in_redis, in_rules;
	char		 name[];
};

struct drift {
	struct stored		**all;		/* every record Consul holds */
	size_t			 nall, capall;
	struct strmap		*stored;	/* name -> struct stored */
	struct strmap		*redis_extra;	/* REDIS_EXTRA's names */
	struct strmap		*rules_extra;	/* RULES_EXTRA's names */
	struct drift_list	 kinds[DRIFT_KINDS];
	size_t			 consul, redis, rules, foreign;
	int			 have_rules;	/* a rule file was read */
};

void		 drift_init(struct drift *d);
void		 drift_free(struct drift *d);
/* Adds an item to a kind's list; name is copied when the list owns. */
struct drift_item *drift_add(struct drift *d, enum drift_kind kind,
		    const char *name);
size_t		 drift_total(const struct drift *d);
/* The kinds' names in the JSON report and the metrics. */
const char	*drift_kind_name(enum drift_kind kind);
/* The kinds' descriptions in the report for people. */
const char	*drift_kind_text(enum drift_kind kind);

/* stores.c: each store streamed into d.  0, or an exit status. */
int	drift_read_consul(struct drift *d, struct consul *c,
	    const char *prefix);
int	drift_read_redis(struct drift *d, struct redis_store *s,
	    const char *set_key);
int	drift_read_rules(struct drift *d, const char *path);
/*
 * rulescan.c: the names of a rule file yamlemit wrote and nobody changed
 * since, by a line scan.  1 when they were taken; 0 when the file is not
 * such a file (none taken, fp rewound, for libyaml); or an exit status.
 */
int	drift_read_rules_quick(struct drift *d, FILE *fp, const char *path);
/* rules.c hands each rule name read to this one. */
void	drift_take_rule(struct drift *d, const char *name);
/* Undoes what a rule file that turned out unreadable had given. */
void	drift_forget_rules(struct drift *d);
/* After the reads: the stored records one of the stores lacks. */
void	drift_settle(struct drift *d);

#endif
