#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "jsonedit.h"
#include "jsonstrict.h"
#include "record.h"
#include "recscan.h"
#include "utf8.h"
#include "xalloc.h"

/*
 * Records are read in blocks of 256 KiB, not stdio's 4 KiB (20,000
 * records, 3.9 MB: 27 reads, not 976).  glibc's setvbuf() takes no size
 * without a buffer of the caller's, so the reader keeps one: a file it
 * opens gets its own, and standard input one for the run, set before
 * anything reads it.
 */
#define READ_BLOCK	(1 << 18)

struct record_reader {
	FILE		*fp;
	int		 owned;		/* opened here, closed here */
	char		*block;		/* fp's buffer when owned */
	const char	*name;
	char		*line;
	size_t		 cap;
	unsigned long	 lineno, bad;
	int		 error;		/* errno of a failed read, or 0 */
	const char	*want;		/* the member asked for, or NULL */
	const char	*found;		/* its string value in the last record */
	int		 lend;		/* records in keep, not allocated */
	char		*keep;
	size_t		 keep_cap;
};

struct record_reader *
record_reader_open(const char *path)
{
	static char stdin_block[READ_BLOCK];
	static int stdin_blocked;
	struct record_reader *rd;
	FILE *fp;

	if (strcmp(path, "-") == 0) {
		if (!stdin_blocked)
			setvbuf(stdin, stdin_block, _IOFBF, sizeof(stdin_block));
		stdin_blocked = 1;
		return record_reader_stream(stdin, "<stdin>");
	}
	if ((fp = fopen(path, "r")) == NULL) {
		warnmsg("%s: %s", path, strerror(errno));
		return NULL;
	}
	rd = record_reader_stream(fp, path);
	rd->owned = 1;
	rd->block = xmalloc(READ_BLOCK);
	setvbuf(fp, rd->block, _IOFBF, READ_BLOCK);
	return rd;
}

struct record_reader *
record_reader_stream(FILE *fp, const char *name)
{
	struct record_reader *rd = xcalloc(1, sizeof(*rd));

	rd->fp = fp;
	rd->name = name;
	return rd;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Drops the line end (LF, CRLF); the line stays NUL-terminated. */
static size_t
chomp(char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return len;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	/* Not strchr: it would find the NUL of a line holding NUL bytes. */
	for (i = 0; i < len; i++)
		if (!is_blank(s[i]))
			return 0;
	return 1;
}

/* Room left after a record for an index added later, so that it stays put. */
#define INDEX_ROOM	24

/* Why a scanned object is no record, as record.h has it; NULL if it is one. */
static const char *
invalid(const struct recscan *sc)
{
	if (sc->top != '{')
		return "not a JSON object";
	if (sc->name.state == RS_ABSENT)
		return "missing \"record\"";
	if (sc->name.state != RS_STRING)
		return "\"record\" is not a string";
	if (!record_name_valid(sc->name.s))
		return "\"record\" is not a valid metric name "
		    "([a-zA-Z_:][a-zA-Z0-9_:]*)";
	if (sc->expr.state == RS_ABSENT)
		return "missing \"expr\"";
	if (sc->expr.state != RS_STRING)
		return "\"expr\" is not a string";
	if (sc->expr.len == 0)
		return "\"expr\" is empty";
	if (sc->index_state == RS_OTHER)
		return "\"index\" is not a positive integer";
	return NULL;
}

/* Points name and expr after the text, where they are kept. */
static void
place_fields(struct record *r, size_t namelen)
{
	r->name = r->text + r->text_len + 1;
	r->expr = r->name + namelen + 1;
}

/*
 * The record of text[lead, lead + len), which sc found valid: in a new
 * allocation, or in rd's keep when rd is not NULL.
 */
static void
fill(struct record *r, const char *text, size_t lead, size_t len,
    const struct recscan *sc, struct record_reader *rd)
{
	size_t nlen = sc->name.len, elen = sc->expr.len;

	r->cap = len + 1 + nlen + 1 + elen + 1 + INDEX_ROOM;
	if (rd == NULL)
		r->text = xmalloc(r->cap);
	else {
		if (r->cap > rd->keep_cap) {
			rd->keep_cap = 2 * r->cap;
			rd->keep = xreallocarray(rd->keep, rd->keep_cap, 1);
		}
		r->text = rd->keep;
	}
	memcpy(r->text, text + lead, len);
	r->text[len] = '\0';
	r->text_len = len;
	place_fields(r, nlen);
	memcpy((char *)r->name, sc->name.s, nlen + 1);
	memcpy((char *)r->expr, sc->expr.s, elen + 1);
	r->expr_len = elen;
	r->expr_at = sc->expr.at - lead;
	r->expr_raw_len = sc->expr.raw_len;
	r->index = sc->index_state == RS_STRING ? sc->index : 0;
	r->index_at = r->index ? sc->index_at - lead : 0;
	r->index_len = r->index ? sc->index_len : 0;
}

/*
 * jansson's words for a text the scanner refused.  Should jansson take it
 * (it never should), yajl's refusal is all there is to say.
 */
static void
why_not_json(const char *text, size_t len, json_error_t *err)
{
	json_error_t mine;
	json_t *obj;

	if ((obj = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    err ? err : &mine)) == NULL)
		return;
	json_decref(obj);
	if (err != NULL) {
		snprintf(err->text, sizeof(err->text), "refused by yajl");
		err->column = 0;
		err->position = 0;
	}
}

/*
 * record_parse(), finding the member want as well (in *scp); the record in
 * lend's keep when lend is not NULL.
 */
static int
parse(const char *text, size_t len, struct record *r, const char **why,
    json_error_t *err, const char *want, const struct recscan **scp,
    struct record_reader *lend)
{
	const char *nul = memchr(text, '\0', len);
	const struct recscan *sc;
	size_t lead = 0;

	/*
	 * JSON text never holds a NUL byte, but jansson takes one right after
	 * a number, true, false or null, and the byte would be kept in text.
	 */
	if (nul != NULL) {
		if (err != NULL) {
			snprintf(err->text, sizeof(err->text), "a NUL byte");
			err->column = (int)(nul - text + 1);
			err->position = nul - text;
		}
		return *why = NULL, -1;
	}
	if ((sc = *scp = recscan(text, len, want)) == NULL) {
		why_not_json(text, len, err);
		return *why = NULL, -1;
	}
	if ((*why = invalid(sc)) != NULL)
		return -1;
	while (len > 0 && is_blank(text[len - 1]))
		len--;
	while (lead < len && is_blank(text[lead]))
		lead++;
	fill(r, text, lead, len - lead, sc, lend);
	return 0;
}

int
record_parse(const char *text, size_t len, struct record *r,
    const char **why, json_error_t *err)
{
	const struct recscan *sc;

	return parse(text, len, r, why, err, NULL, &sc, NULL);
}

int
record_from_json(json_t *obj, struct record *r, const char **why)
{
	char *text;
	int rc;

	if (!json_is_object(obj))
		return *why = "not a JSON object", -1;
	if ((text = json_dumps(obj, JSON_COMPACT)) == NULL)
		die(EX_OSERR, "out of memory");
	rc = record_parse(text, strlen(text), r, why, NULL);
	free(text);
	if (rc != 0 && *why == NULL)
		*why = "not JSON";	/* a string holding a NUL */
	if (rc == 0)
		json_decref(obj);
	return rc;
}

int
record_make(struct record *r, const char *name, const char *expr,
    const char **why)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "record", json_string(name));
	json_object_set_new(obj, "expr", json_string(expr));
	if (record_from_json(obj, r, why) != 0) {
		json_decref(obj);
		return -1;
	}
	return 0;
}

/* Decodes one line; warns and returns -1 when it is not a record. */
static int
parse_line(struct record_reader *rd, size_t len, struct record *r)
{
	const struct recscan *sc;
	json_error_t err;
	const char *why;

	rd->found = NULL;
	if (parse(rd->line, len, r, &why, &err, rd->want, &sc,
	    rd->lend ? rd : NULL) == 0) {
		if (rd->want != NULL && sc->want.state == RS_STRING)
			rd->found = sc->want.s;
		return 0;
	}
	if (why == NULL)
		warn_at(rd->name, rd->lineno, "not a JSON record: %s "
		    "(column %d)", err.text, err.column);
	else
		warn_at(rd->name, rd->lineno, "%s", why);
	return -1;
}

/*
 * The next line, or -1 at the end or after a read error (kept in
 * rd->error).  glibc's getline() does not set the stream's error flag when
 * it runs out of memory, so errno, cleared before, tells an end from a
 * failure.
 */
static ssize_t
next_line(struct record_reader *rd)
{
	ssize_t n;

	errno = 0;
	n = getline(&rd->line, &rd->cap, rd->fp);
	if (n != -1)
		return n;
	if (errno == ENOMEM)
		die(EX_OSERR, "%s:%lu: out of memory reading a line", rd->name,
		    rd->lineno + 1);
	if (errno != 0 || ferror(rd->fp))
		rd->error = errno != 0 ? errno : EIO;
	return -1;
}

int
record_read(struct record_reader *rd, struct record *r)
{
	ssize_t n;

	while ((n = next_line(rd)) != -1) {
		size_t len = chomp(rd->line, (size_t)n);

		rd->lineno++;
		if (blank(rd->line, len))
			continue;
		if (parse_line(rd, len, r) == 0)
			return 1;
		rd->bad++;
	}
	return 0;
}

unsigned long
record_reader_bad(const struct record_reader *rd)
{
	return rd->bad;
}

int
record_reader_close(struct record_reader *rd)
{
	int failed = rd->error != 0 || ferror(rd->fp);

	if (failed)
		warnmsg("%s: read error: %s", rd->name,
		    strerror(rd->error != 0 ? rd->error : EIO));
	if (rd->owned)
		fclose(rd->fp);
	free(rd->block);
	free(rd->line);
	free(rd->keep);
	free(rd);
	return failed ? -1 : 0;
}

void
record_input_init(struct record_input *in, int argc, char **argv)
{
	static char *stdin_only[] = { "-" };

	memset(in, 0, sizeof(*in));
	in->paths = argc > 0 ? argv : stdin_only;
	in->npaths = argc > 0 ? argc : 1;
	in->status = EX_OK;
}

/* The worst status wins: data errors, then unreadable input. */
static void
input_fail(struct record_input *in, int status)
{
	if (in->status == EX_OK || status == EX_IOERR ||
	    (status == EX_NOINPUT && in->status == EX_DATAERR))
		in->status = status;
}

/* The next record, lent (in the reader's keep) or not. */
static int
input_next(struct record_input *in, struct record *r, int lend)
{
	for (;;) {
		if (in->cur == NULL) {
			if (in->next == in->npaths)
				return 0;
			in->cur = record_reader_open(in->paths[in->next++]);
			if (in->cur == NULL) {
				input_fail(in, EX_NOINPUT);
				continue;
			}
			in->cur->want = in->want;
		}
		in->cur->lend = lend;
		if (record_read(in->cur, r)) {
			in->records++;
			return 1;
		}
		in->bad += record_reader_bad(in->cur);
		if (record_reader_bad(in->cur) > 0)
			input_fail(in, EX_DATAERR);
		if (record_reader_close(in->cur) != 0)
			input_fail(in, EX_IOERR);
		in->cur = NULL;
	}
}

int
record_input_next(struct record_input *in, struct record *r)
{
	return input_next(in, r, 0);
}

int
record_input_lend(struct record_input *in, struct record *r)
{
	return input_next(in, r, 1);
}

int
record_input_status(const struct record_input *in)
{
	return in->status;
}

const char *
record_input_file(const struct record_input *in)
{
	return in->cur ? in->cur->name : NULL;
}

unsigned long
record_input_line(const struct record_input *in)
{
	return in->cur ? in->cur->lineno : 0;
}

const char *
record_input_member(const struct record_input *in)
{
	return in->cur ? in->cur->found : NULL;
}

/*
 * Replaces text[at, at + del) with ins[0, n), moving what follows (the
 * rest of the text, then name and expr) along; the spans after at follow.
 */
static void
splice(struct record *r, size_t at, size_t del, const char *ins, size_t n)
{
	size_t namelen = strlen(r->name);
	size_t after = r->text_len - at - del + 1 + namelen + 1 +
	    r->expr_len + 1;
	size_t need = at + n + after;

	if (need > r->cap) {
		r->cap = need + INDEX_ROOM;
		r->text = xreallocarray(r->text, r->cap, 1);
	}
	memmove(r->text + at + n, r->text + at + del, after);
	memcpy(r->text + at, ins, n);
	r->text_len = r->text_len - del + n;
	place_fields(r, namelen);
	if (r->expr_at > at)
		r->expr_at = r->expr_at + n - del;
	if (r->index_len > 0 && r->index_at > at)
		r->index_at = r->index_at + n - del;
}

/* The edit jsonedit plans (value: JSON text, or NULL to remove). */
static void
edit_member(struct record *r, const char *key, const char *value)
{
	struct json_edit e;

	json_edit_plan(r->text, r->text_len, key, value, &e);
	splice(r, e.at, e.del, e.ins, e.ins_len);
	free(e.ins);
}

void
record_set(struct record *r, const char *key, json_t *value)
{
	char *vtext = NULL;

	if (value != NULL && (vtext = json_dumps(value, JSON_ENCODE_ANY |
	    JSON_COMPACT)) == NULL)
		die(EX_OSERR, "out of memory");
	json_decref(value);
	edit_member(r, key, vtext);
	free(vtext);
}

size_t
record_index_place(const struct record *r)
{
	size_t at = r->text_len - 1;	/* the closing brace */

	while (at > 0 && is_blank(r->text[at - 1]))
		at--;
	return at;
}

/*
 * By hand, not snprintf: kvpush numbers a million records, and snprintf
 * took most of the time of it.
 */
size_t
record_index_member(char *buf, long long index)
{
	static const char head[] = ",\"index\":";
	char digits[24];
	size_t d = sizeof(digits);

	do
		digits[--d] = (char)('0' + index % 10);
	while ((index /= 10) > 0);
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + sizeof(head) - 1, digits + d, sizeof(digits) - d);
	return sizeof(head) - 1 + sizeof(digits) - d;
}

void
record_set_index(struct record *r, long long index)
{
	char digits[RECORD_INDEX_MEMBER_MAX];
	size_t n;

	if (index <= 0) {
		if (r->index_len > 0)
			edit_member(r, "index", NULL);
		r->index = 0;
		r->index_at = r->index_len = 0;
		return;
	}
	n = record_index_member(digits, index);
	if (r->index_len > 0) {
		splice(r, r->index_at, r->index_len, digits + 9, n - 9);
	} else {
		/* A record has "record" and "expr": a comma always goes first. */
		r->index_at = record_index_place(r);
		splice(r, r->index_at, 0, digits, n);
		r->index_at += 9;
	}
	r->index = index;
	r->index_len = n - 9;
}

char *
record_get_string(const struct record *r, const char *key)
{
	const struct recscan *sc;

	if (strcmp(key, "record") == 0)
		return xstrdup(r->name);
	if (strcmp(key, "expr") == 0)
		return xstrndup(r->expr, r->expr_len);
	if (strcmp(key, "index") == 0 ||
	    (sc = recscan(r->text, r->text_len, key)) == NULL ||
	    sc->want.state != RS_STRING)
		return NULL;
	return xstrndup(sc->want.s, sc->want.len);
}

void
record_free(struct record *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

size_t
record_unescape(const char *raw, size_t len, char *out)
{
	const char *p = raw, *end = raw + len, *bs;
	size_t n = 0;
	unsigned long cp;

	while ((bs = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		memcpy(out + n, p, (size_t)(bs - p));
		n += (size_t)(bs - p);
		switch (bs[1]) {
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u':
			cp = (unsigned long)json_hex4(bs + 2);
			if (cp >= 0xd800 && cp <= 0xdbff) {	/* a pair */
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    ((unsigned long)json_hex4(bs + 8) - 0xdc00);
				bs += 6;
			}
			n += utf8_write(cp, out + n);
			bs += 4;
			break;
		default: out[n++] = bs[1]; break;	/* " \\ / */
		}
		p = bs + 2;
	}
	memcpy(out + n, p, (size_t)(end - p));
	return n + (size_t)(end - p);
}

int
record_expr_canonical(const struct record *r)
{
	const char *p = r->text + r->expr_at, *end = p + r->expr_raw_len;
	const char *bs;

	/* A valid text holds no raw control character: escapes alone tell. */
	while ((bs = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		switch (bs[1]) {
		case '"': case '\\': case 'b': case 'f': case 'n': case 'r':
		case 't':
			break;
		default:
			return 0;	/* \/ and \u are written otherwise */
		}
		p = bs + 2;
	}
	return 1;
}

int
record_write(FILE *fp, const struct record *r)
{
	if (fwrite(r->text, 1, r->text_len, fp) != r->text_len)
		return -1;
	return putc('\n', fp) == EOF ? -1 : 0;
}

void
record_print(const struct record *r)
{
	if (record_write(stdout, r) != 0)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
}


int
record_cmp_name(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void
record_list_push(struct record_list *l, struct record *r)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *r;
	memset(r, 0, sizeof(*r));
}

void
record_list_free(struct record_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		record_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
record_list_sort(struct record_list *l, int (*cmp)(const void *, const void *))
{
	if (l->n > 1)	/* qsort must not see the NULL of an empty list */
		qsort(l->v, l->n, sizeof(l->v[0]), cmp);
}
