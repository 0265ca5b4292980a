/*
 * yamlemit: what the parts of the tool share.
 *
 * The records are read into a ruleset in input order (that order is kept
 * for passing them on); `sorted` then lists the indices of the ones that go
 * into the rule file, by record name.
 *
 * An item keeps its record as the line it came in (passed on unchanged), its
 * name, and where the line holds its expression: a million records must
 * fit, so the expression is no second copy.  When escapes make the line's
 * bytes differ from it, item_expr() decodes them (no parse of the line).
 * The items' texts (each with its name after it) lie in the ruleset's
 * chunks, freed with it; an item owns reject, promtool's reason when
 * --check took it out.
 * An item's file and line are where it is reported: its line of our
 * input, or with --origin the "origin" (FILE:LINE) the record carries from
 * kvdiff --origin, which read the user's file.
 */
#ifndef YAMLEMIT_H
#define YAMLEMIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "record.h"
#include "strmap.h"

struct item {
	char		*text;		/* the JSON line, NUL-terminated */
	const char	*name;		/* "record", after text's NUL */
	const char	*expr;		/* "expr" when not in text, else NULL */
	size_t		 len;		/* of text */
	size_t		 expr_at, expr_raw_len;	/* expr's bytes in text */
	size_t		 expr_len;	/* decoded */
	long long	 index;		/* 0: none */
	const char	*file;		/* for diagnostics; one of rs->files */
	unsigned long	 line;
	char		*reject;	/* why promtool refused it, or NULL */
	int		 dropped;	/* a duplicate: neither written nor passed on */
};

/*
 * A sort key: eight bytes of a name, from where the names start to differ
 * (past ruleset.skip), big-endian, so that comparing keys compares those
 * bytes; equal keys fall back to the names.
 */
struct sortkey {
	uint64_t	 head;
	size_t		 i;		/* the item */
};

struct ruleset {
	struct item	*items;		/* input order */
	size_t		 nitems, cap;
	struct sortkey	*keys;		/* items' keys, made as they are read */
	size_t		 skip;		/* the bytes every name read shares */
	size_t		 keys_from;	/* keys before it made with a longer skip */
	char		**chunks;	/* the items' texts */
	size_t		 nchunks;
	char		*chunk_at;	/* the free bytes of the last chunk */
	size_t		 chunk_left;
	size_t		*sorted;	/* indices into items, by record name */
	size_t		 nsorted;
	size_t		 nread;		/* valid records read, sharded or not */
	unsigned long	 nbad;		/* bad lines skipped */
	char		**files;	/* copies of the file names, for items' file */
	size_t		 nfiles;
	struct strmap	*file_names;	/* each of files, by itself */
	int		 origin;	/* --origin */
};

/* The shape of the rule file, from the command line. */
struct layout {
	const char	*group;		/* group name */
	const char	*interval;	/* NULL: none written */
	const char	**label_names, **label_values;
	size_t		 nlabels;
	size_t		 group_size;	/* 0: all rules in one group */
};

/* --shard K/N; n == 0 means no sharding. */
struct shard {
	long long	 k, n;
};

/*
 * input.c: reading (the files named, or stdin), sharding, sorting and
 * removing duplicates.  ruleset_read() returns record_input's status, or
 * EX_DATAERR when a record had no index to shard by.
 */
int	ruleset_read(struct ruleset *rs, int argc, char **argv,
	    const struct shard *sh);
int	ruleset_sort(struct ruleset *rs);
/* Decodes the item's line again into *r (the caller frees it): rarely. */
void	item_record(const struct item *it, struct record *r);
/*
 * The item's expr (expr_len bytes, not NUL-terminated): in its text, or
 * decoded into *buf (grown as needed; the caller frees it).
 */
const char	*item_expr(const struct item *it, char **buf, size_t *cap);
void	ruleset_free(struct ruleset *rs);

/*
 * emit.c: writes the rules items[idx[0..n)] as a Prometheus rule file.
 * Returns 0, or -1 with *why set (static text) when the emitter failed;
 * write errors show in ferror(fp).
 */
int	emit_rules(FILE *fp, const struct layout *lo, const struct item *items,
	    const size_t *idx, size_t n, const char **why);

/* --check, --check-all and --check-timeout. */
struct checkopts {
	const char	*prog;		/* promtool; NULL: no check */
	int		 all;		/* --check-all */
	double		 timeout;	/* seconds a run of promtool may take */
	const char	*timeout_arg;	/* as given, for messages */
};

/*
 * check.c: runs co->prog on the rules not yet checked (all of them with
 * co->all) and sets `reject` on those it refuses.  Returns how many it
 * refused; ends the run with EX_UNAVAILABLE when promtool cannot be run,
 * fails, passes a bad rule or outlives co->timeout.
 */
size_t	check_rules(const struct checkopts *co, const struct layout *lo,
	    struct ruleset *rs);

/* Where the files go, from the command line. */
struct outputs {
	const char	*out, *dir;	/* -o FILE ("-": stdout), -d DIR */
	const char	*rejects;	/* --rejects FILE, or NULL */
	unsigned	 mode;
};

/*
 * write.c: the rule file with the rules listed in rs->sorted and the
 * refused records (--rejects), each replaced atomically, the rule file
 * first; then the records passed on.
 */
void	write_files(const struct outputs *o, const struct layout *lo,
	    const struct ruleset *rs);
/* Returns how many records it passed on. */
size_t	pass_through(const struct ruleset *rs);
/*
 * Output gathered into writes of OUTBUF_SIZE: stdio's 4 KiB buffer made
 * 76,000 write calls for a million rules and their records.  outbuf_put()
 * and outbuf_end() return 0, or -1 with errno set when a write failed;
 * outbuf_end() writes what is left, fflush()es fp and frees the buffer.
 */
#define OUTBUF_SIZE	(1 << 20)
struct outbuf {
	FILE	*fp;
	char	*buf;
	size_t	 len;
};

void	outbuf_init(struct outbuf *ob, FILE *fp);
int	outbuf_put(struct outbuf *ob, const void *data, size_t len);
int	outbuf_end(struct outbuf *ob);

/*
 * atomic.c: a file replaced in one step (see there).  atomic_open() creates
 * the temporary beside path; atomic_commit() syncs it and renames it over
 * path.  Failures end the run (EX_CANTCREAT, EX_IOERR) and remove the
 * temporary, as do exit() and SIGHUP/SIGINT/SIGTERM before the commit.
 */
struct atomic {
	char	*path, *dir, *tmp;
	FILE	*fp;
};

void	atomic_open(struct atomic *af, const char *path, unsigned mode);
/* Writes out and syncs what af holds, not yet in place; commit later. */
void	atomic_finish(struct atomic *af);
void	atomic_commit(struct atomic *af);
/*
 * A new file that never replaces anything: atomic_open_new() makes the
 * temporary beside path, taking path as it is (no symbolic link resolved,
 * no device written to); atomic_commit_new() gives it the name path, or
 * returns -1 with errno EEXIST, the temporary kept, when something (even
 * a dangling symbolic link) is there: the caller tries another name.
 */
void	atomic_open_new(struct atomic *af, const char *path, unsigned mode);
int	atomic_commit_new(struct atomic *af, const char *path);
/* A scratch file under $TMPDIR (removed the same way); *path is the caller's. */
FILE	*scratch_open(char **path);
void	scratch_remove(char *path);
/*
 * fork() for promtool: the child gets a process group of its own, which
 * exit() and SIGHUP/SIGINT/SIGTERM kill (and the child is reaped) until
 * child_reaped() says the caller has reaped it.
 */
pid_t	child_fork(void);
void	child_reaped(void);

/* options.c: validation of option values; each dies with EX_USAGE. */
void	opt_interval(const char *s);
void	opt_label(struct layout *lo, char *arg);
void	opt_shard(struct shard *sh, const char *s);
unsigned	opt_mode(const char *s);
void	opt_text(const char *opt, const char *s);
void	opt_check_timeout(struct checkopts *co, const char *s);

#endif
