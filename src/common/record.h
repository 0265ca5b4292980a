/*
 * record: the newline-delimited JSON stream every recsync tool reads and
 * writes.  One object a line:
 *
 *	{"record": "hke:heavy_expr:<md5>", "expr": "<PromQL>", "index": 7, ...}
 *
 * "record" is a Prometheus metric name, "expr" a non-empty string, "index"
 * an optional positive integer (the key number under the Consul prefix);
 * any other field is carried along untouched, byte for byte.  Blank lines
 * are skipped, a CR before the LF is dropped, lines have no length limit;
 * a line holding a NUL byte anywhere is bad.  A line is JSON exactly when
 * jansson (JSON_REJECT_DUPLICATES) takes it, and a bad one is reported
 * with jansson's words; but a good one is read with yajl's callbacks,
 * building no tree: a record is its text and the three fields decoded.
 *
 * Ownership: a struct record owns one allocation: its text, then its name
 * and its expr (decoded, NUL-terminated).  name and expr live as long as
 * the text and move with it when the text is edited; record_free()
 * releases all.  A record moved into another container is moved whole
 * (copy the struct, then forget the original); never free name, expr or
 * text yourself.  A record lent by record_input_lend() is the reader's:
 * read it, copy it, but never edit or free it.
 *
 * Text: a record keeps the line it was read from (without its line end
 * and the blanks around it), and record_write() prints it: numbers such
 * as 1.10 or 1e2, escapes such as \u00e9 and the spacing of fields
 * recsync does not own come out as they went in.  Change it only through
 * record_set() and record_set_index(): they replace the member's value in
 * place, remove the member, or add it at the end of the object, and leave
 * every other byte of the text as it was.  A record made from values
 * (record_make(), record_from_json(): a Consul value) gets the compact
 * text jansson would print.
 */
#ifndef RECSYNC_RECORD_H
#define RECSYNC_RECORD_H

#include <stdio.h>
#include <jansson.h>

struct record {
	char		*text;		/* the allocation; NUL-terminated */
	size_t		 text_len;
	const char	*name;		/* after the text's NUL */
	const char	*expr;		/* after the name's NUL */
	size_t		 expr_len;
	long long	 index;		/* 0 when the record has none */
	/*
	 * Kept by record.c: where the text holds expr's value, between its
	 * quotes (the same bytes as expr unless escapes make it longer);
	 * where it holds index's digits (0 long when none); the
	 * allocation's size.
	 */
	size_t		 expr_at, expr_raw_len;
	size_t		 index_at, index_len;
	size_t		 cap;
};

/* Reading one file: the name is used in diagnostics ("-" is stdin). */
struct record_reader;

struct record_reader	*record_reader_open(const char *path);
/* Reading a stream already open; it stays the caller's to close. */
struct record_reader	*record_reader_stream(FILE *fp, const char *name);
/*
 * Returns 1 with *r filled, 0 at the end (or after a read error, which
 * record_reader_close() reports); bad lines are warned and skipped.  Out of
 * memory for a line ends the run (EX_OSERR).
 */
int			 record_read(struct record_reader *rd, struct record *r);
unsigned long		 record_reader_bad(const struct record_reader *rd);
/* Closes; returns -1 (after a message) if reading failed. */
int			 record_reader_close(struct record_reader *rd);

/*
 * Reading the files named on the command line in turn, or stdin when there
 * are none: what every filter does.  status() is EX_OK, or the worst of
 * EX_NOINPUT (a file could not be opened), EX_IOERR, EX_DATAERR.
 */
struct record_input {
	char			**paths;
	int			  npaths, next;
	struct record_reader	 *cur;
	unsigned long		  records, bad;
	int			  status;
	const char		 *want;	/* see record_input_member() */
};

void	record_input_init(struct record_input *in, int argc, char **argv);
int	record_input_next(struct record_input *in, struct record *r);
/*
 * As record_input_next(), but *r is lent, not given: it lives in the
 * reader's memory until the next call, and is neither edited nor freed.
 * For a caller that copies what it keeps (kvpush: no allocation a record).
 */
int	record_input_lend(struct record_input *in, struct record *r);
int	record_input_status(const struct record_input *in);
/*
 * Where the record record_input_next() returned last came from: its file
 * ("<stdin>" for standard input; the name stays valid for the whole run:
 * it is the argv entry or a literal) and its line number.
 */
const char	*record_input_file(const struct record_input *in);
unsigned long	 record_input_line(const struct record_input *in);
/*
 * When in->want names a member (set it after record_input_init()), its
 * string value in the record returned last, decoded, found by the same
 * reading of the line (valid until the next call); else NULL.
 */
const char	*record_input_member(const struct record_input *in);

/*
 * Checks a decoded JSON value is a valid record and fills *r, its text
 * obj printed compact (taking ownership of obj on success: it is
 * released).  On failure returns -1 and sets *why to a static
 * description; obj stays the caller's.
 */
int	record_from_json(json_t *obj, struct record *r, const char **why);
/*
 * Decodes text (a JSON object, blanks around it allowed) into *r, which
 * keeps a copy of it as its text.  On failure returns -1 and sets *why to
 * a static description, or to NULL when text is no JSON at all (a NUL
 * byte anywhere in it included): then err, if not NULL, says why.
 */
int	record_parse(const char *text, size_t len, struct record *r,
	    const char **why, json_error_t *err);
/* A new record {"record":name,"expr":expr}; a NULL name is invalid. */
int	record_make(struct record *r, const char *name, const char *expr,
	    const char **why);
/*
 * Sets a field other than "record", "expr" and "index" to value (taken
 * over and released), or removes it when value is NULL (see Text above).
 */
void	record_set(struct record *r, const char *key, json_t *value);
/* Sets "index" (index > 0) or removes it (0); no copy when nothing changes. */
void	record_set_index(struct record *r, long long index);
/*
 * What record_set_index() adds to a record without "index", for a writer
 * that prints the record numbered without editing it: the member,
 * ,"index":N (index > 0), at buf (RECORD_INDEX_MEMBER_MAX bytes),
 * returning its length; and
 * where in the text it goes (after the last value, before the blanks and
 * the closing brace).
 */
#define RECORD_INDEX_MEMBER_MAX	32
size_t	record_index_member(char *buf, long long index);
size_t	record_index_place(const struct record *r);
/*
 * The member key's value when it is a string, decoded (a new string for
 * the caller to free), or NULL when there is no such member or it is no
 * string: a field recsync does not read on every line.
 */
char	*record_get_string(const struct record *r, const char *key);
void	record_free(struct record *r);

/*
 * Decodes the bytes between the quotes of a JSON string that a record's
 * text held (text + expr_at, expr_raw_len long: its escapes valid, as the
 * reader checked) into out, which has room for len bytes; returns the
 * decoded length.  For a tool that keeps the text alone (yamlemit).
 */
size_t	record_unescape(const char *raw, size_t len, char *out);

/*
 * Whether the text holds expr escaped as a JSON encoder writes it (yajl's
 * generator, jansson's dump): '"' and '\\' escaped, and the control
 * characters that have a short form (\b \f \n \r \t) in it; nothing else
 * escaped.  Then text + expr_at (expr_raw_len bytes) is expr as a JSON
 * string, to be copied as it is, not encoded again.
 */
int	record_expr_canonical(const struct record *r);

/* Writes the record's text as one line; -1 on error. */
int	record_write(FILE *fp, const struct record *r);
/* As record_write, to stdout; a write error ends the run (EX_IOERR). */
void	record_print(const struct record *r);

/* A growable array of records; it owns them (record_list_free frees all). */
struct record_list {
	struct record	*v;
	size_t		 n, cap;
};

/* Appends r, moving it in: r's owner is now the list. */
void	record_list_push(struct record_list *l, struct record *r);
void	record_list_free(struct record_list *l);
/* Sorts the list with one of the record_cmp_* functions. */
void	record_list_sort(struct record_list *l,
	    int (*cmp)(const void *, const void *));

int	record_name_valid(const char *name);
/* For qsort: by name, bytewise. */
int	record_cmp_name(const void *a, const void *b);

#endif
