/*
 * qlogscan's internals: the selection rules (select.c), the raw pre-check
 * that spares most lines a full decode (precheck.c), the table of heavy
 * queries (heavy.c), --usage's field walker (logfields.c) and table
 * (usage.c), lines read in bounded memory (lineread.c), jansson's memory
 * within a budget (jalloc.c), the reading loop (scan.c) and the progress
 * line (progress.c).
 */
#ifndef QLOGSCAN_H
#define QLOGSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "rfc3339.h"

/* Why a line was kept or skipped; --stats prints one count each. */
enum reason {
	R_SELECTED,	/* a heavy query */
	R_PRECHECK,	/* no timing can reach the threshold (not decoded) */
	R_BLANK,	/* an empty line */
	R_TRUNCATED,	/* an incomplete last line: a log being written */
	R_BAD,		/* not JSON, or a field of the wrong type */
	R_TOOLONG,	/* over --max-line, or too large to decode in memory */
	R_NOT_HTTP,	/* no httpRequest: a rule evaluation */
	R_PATH,		/* another API endpoint */
	R_LIGHT,	/* both timings below the threshold */
	R_TIMEOUT,	/* a timing above --max-time */
	R_RANGE,	/* a range longer than --max-range */
	R_EMPTY,	/* nothing left of the query after cleaning */
	R_EXCLUDED,	/* holds an --exclude substring */
	R_RECORDED,	/* already uses a recorded series (holds the prefix) */
	R_NREASONS
};

extern const char *const reason_names[R_NREASONS];

/* What makes a query heavy; filled from the command line. */
struct rules {
	double		  threshold;	/* seconds */
	double		  max_range;
	double		  max_time;
	int		  instant;	/* also take /api/v1/query */
	const char	 *prefix;	/* "hke:heavy_expr" */
	char		**excludes;
	size_t		  nexcludes;
};

/* A selected line: the cleaned query points into a buffer of the caller. */
struct hit {
	const char		*query;
	double			 eval_seconds;
	struct timestamp	 when;		/* the line's "ts" or "time" */
	int			 has_when;	/* 0: none that parses */
};

/*
 * Decodes one line (len bytes, NUL-terminated) and applies the rules.
 * Returns the reason; for R_SELECTED fills *hit, whose query lives in
 * *buf (grown as needed) until the next call; for R_BAD sets *why to a
 * message the caller frees.  A partial line (the last one, with no line
 * end) that is not whole JSON is R_TRUNCATED, not bad.
 */
enum reason	select_line(const struct rules *ru, const char *line, size_t len,
		    int partial, struct hit *hit, char **buf, size_t *bufcap,
		    char **why);
/*
 * Cleans a query (valid UTF-8) in place as the original parser did: CR
 * and LF out, white space trimmed as by Python's str.strip(), one '-'.
 */
size_t		clean_query(char *q, size_t len);

/*
 * 1 when the line may hold a timing >= threshold; 0 when it cannot, and
 * holds no NUL byte (so needs no screening for one).
 */
int		precheck_may_be_heavy(const char *line, size_t len,
		    double threshold);
/*
 * Whether the pre-check may use AVX2 where the CPU has it (the default);
 * 0 keeps it to SSE2, for the tests that hold one against the other.
 */
void		precheck_use_avx2(int use);


/* A JSON string's raw text in a line, quotes included. */
struct span {
	const char	*text;
	size_t		 len;
	int		 escaped;	/* holds a backslash escape */
};

/* Where --usage's fields lie in a line (logfields.c). */
struct log_fields {
	struct span	 time;		/* "ts" or "time"; text NULL if none */
	struct span	 query;		/* "params.query"; text NULL if none */
	struct span	*match;		/* "params.match[]", each selector */
	size_t		 nmatch, matchcap;
	int		 http;		/* has an "httpRequest" object */
};

/*
 * Walks a line that must be one JSON object: 0 with *f filled, or -1 when
 * jansson must decide (not JSON, or a shape the walker does not follow).
 */
int	log_fields_walk(const char *line, size_t len, struct log_fields *f);
/* A span's decoded text, in a new string; NULL if it decodes to a NUL. */
char	*log_span_text(const struct span *s);

/* The records the logs show in use (--usage), with their last use. */
struct usage_table;

struct usage_table	*usage_new(const char *prefix);
/*
 * Classifies lines as select_line does (R_SELECTED when a line uses
 * names), in batches of up to USAGE_BATCH lines, whose lookups miss the
 * caches together rather than one after another: each line k is walked
 * (usage_batch_walk), then each has its lookup's memory fetched
 * (usage_batch_prefetch), then each, in order, is classified
 * (usage_batch_line).  The lines must stay put until the last of them is
 * classified, and hold no NUL byte (scan.c's screen() takes those first,
 * as bad lines, in both modes).
 */
#define USAGE_BATCH	16
void			 usage_batch_walk(struct usage_table *t, size_t k,
			    const char *line, size_t len, int partial);
void			 usage_batch_prefetch(struct usage_table *t, size_t k);
enum reason		 usage_batch_line(struct usage_table *t, size_t k,
			    char **why);
size_t			 usage_count(const struct usage_table *t);
/* One line per name, sorted, on stdout. */
void			 usage_print(struct usage_table *t);
void			 usage_free(struct usage_table *t);

/* The distinct heavy queries, with their hits and longest evaluation. */
struct heavy_table;

struct heavy_table	*heavy_new(const char *prefix);
void			 heavy_add(struct heavy_table *t, const struct hit *h);
size_t			 heavy_count(const struct heavy_table *t);
/* Prints every record, sorted by name, on stdout. */
void			 heavy_print(struct heavy_table *t);
void			 heavy_free(struct heavy_table *t);
/* PREFIX:md5hex of the query, in a new string. */
char			*heavy_name(const char *prefix, const char *query);

/*
 * A line reader that keeps at most max bytes of a line: its buffer is
 * owned by the reader, and a line handed out lives there until the next
 * call.
 */
struct lineread {
	int	 fd;
	char	*buf;
	size_t	 cap, start, end;	/* buf[start, end): not handed out */
	size_t	 max;
	int	 eof;
};

/*
 * text is NUL-terminated, without its line feed; size counts the bytes the
 * line took from the input, line feed included.  A partial line has no
 * line feed (the last one); a line too long (over max) has only its first
 * max bytes in text.
 */
struct line {
	char			*text;
	size_t			 len;
	unsigned long long	 size;
	int			 partial, toolong;
};

/* Starts reading fd, keeping the buffer of an earlier input. */
void	lineread_open(struct lineread *lr, int fd);
/* The next line in *l: 1, 0 at the end of the input, -1 (errno) on error. */
int	lineread_next(struct lineread *lr, struct line *l);
/*
 * The next line only if it lies whole in the buffer already: 1, or 0 when
 * the next line needs a read (lineread_next's).  It moves nothing, so the
 * lines handed out since the last lineread_next stay where they are.
 */
int	lineread_buffered(struct lineread *lr, struct line *l);
void	lineread_free(struct lineread *lr);

/*
 * Counts jansson's live allocations and refuses those past bytes; a failed
 * malloc ends the run (EX_OSERR).  Set before anything uses jansson.
 */
void	jalloc_init(size_t bytes);
/* 1 when an allocation was refused since the last call. */
int	jalloc_refused(void);

/* The whole run over the input files. */
struct scan {
	const struct rules	*rules;
	struct heavy_table	*table;
	struct usage_table	*usage;		/* --usage: instead of table */
	int			 full_parse;	/* no pre-check */
	unsigned long long	 counts[R_NREASONS];
	unsigned long long	 lines, bytes;
	int			 status;	/* the worst sysexits status */
	unsigned long long	 shown;		/* bad lines shown so far */
	struct lineread		 rd;
	char			*qbuf;
	size_t			 qcap;
};

void	scan_path(struct scan *sc, const char *path);
/* The distinct heavy queries, or with --usage the names in use, so far. */
size_t	scan_distinct(const struct scan *sc);
/* The bad-line total and, with --stats, every count; on stderr. */
void	scan_report(const struct scan *sc, int stats);
void	scan_free(struct scan *sc);

/* The progress line, only when stderr is a terminal. */
void	progress_init(int enabled);
void	progress_update(const struct scan *sc);
/* Clears the line before another message (or at the end). */
void	progress_clear(void);

#endif
