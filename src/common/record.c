#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "jsonedit.h"
#include "record.h"
#include "xalloc.h"

struct record_reader {
	FILE		*fp;
	int		 owned;		/* opened here, closed here */
	const char	*name;
	char		*line;
	size_t		 cap;
	unsigned long	 lineno, bad;
	int		 error;		/* errno of a failed read, or 0 */
};

struct record_reader *
record_reader_open(const char *path)
{
	struct record_reader *rd;
	FILE *fp;

	if (strcmp(path, "-") == 0)
		return record_reader_stream(stdin, "<stdin>");
	if ((fp = fopen(path, "r")) == NULL) {
		warnmsg("%s: %s", path, strerror(errno));
		return NULL;
	}
	rd = record_reader_stream(fp, path);
	rd->owned = 1;
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

int
record_name_valid(const char *s)
{
	const char *p;

	if (*s == '\0' || strchr("0123456789", *s) != NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (!(*p == '_' || *p == ':' || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return 0;
	}
	return 1;
}

int
record_from_json(json_t *obj, struct record *r, const char **why)
{
	json_t *name, *expr, *index;

	if (!json_is_object(obj))
		return *why = "not a JSON object", -1;
	name = json_object_get(obj, "record");
	expr = json_object_get(obj, "expr");
	index = json_object_get(obj, "index");
	if (name == NULL)
		return *why = "missing \"record\"", -1;
	if (!json_is_string(name))
		return *why = "\"record\" is not a string", -1;
	if (!record_name_valid(json_string_value(name)))
		return *why = "\"record\" is not a valid metric name "
		    "([a-zA-Z_:][a-zA-Z0-9_:]*)", -1;
	if (expr == NULL)
		return *why = "missing \"expr\"", -1;
	if (!json_is_string(expr))
		return *why = "\"expr\" is not a string", -1;
	if (json_string_length(expr) == 0)
		return *why = "\"expr\" is empty", -1;
	if (index != NULL && (!json_is_integer(index) ||
	    json_integer_value(index) < 1))
		return *why = "\"index\" is not a positive integer", -1;
	r->obj = obj;
	r->text = NULL;
	r->text_len = 0;
	r->name = json_string_value(name);
	r->expr = json_string_value(expr);
	r->expr_len = json_string_length(expr);
	r->index = index ? json_integer_value(index) : 0;
	return 0;
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

int
record_parse(const char *text, size_t len, struct record *r,
    const char **why, json_error_t *err)
{
	const char *nul = memchr(text, '\0', len);
	json_t *obj;

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
	/* Decoded as it is, for the columns of jansson's messages. */
	if ((obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, err)) == NULL)
		return *why = NULL, -1;
	if (record_from_json(obj, r, why) != 0) {
		json_decref(obj);
		return -1;
	}
	while (len > 0 && is_blank(text[len - 1]))
		len--;
	while (len > 0 && is_blank(*text))
		text++, len--;
	r->text = xstrndup(text, len);
	r->text_len = len;
	return 0;
}

/* Decodes one line; warns and returns -1 when it is not a record. */
static int
parse_line(struct record_reader *rd, size_t len, struct record *r)
{
	json_error_t err;
	const char *why;

	if (record_parse(rd->line, len, r, &why, &err) == 0)
		return 0;
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
	free(rd->line);
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

int
record_input_next(struct record_input *in, struct record *r)
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
		}
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
record_input_text(const struct record_input *in, size_t *len)
{
	if (in->cur == NULL)
		return NULL;
	*len = strlen(in->cur->line);	/* chomp() left it NUL-terminated */
	return in->cur->line;
}

void
record_set(struct record *r, const char *key, json_t *value)
{
	char *vtext = NULL, *text;

	if (value != NULL && (vtext = json_dumps(value, JSON_ENCODE_ANY |
	    JSON_COMPACT)) == NULL)
		die(EX_OSERR, "out of memory");
	if (value != NULL)
		json_object_set_new(r->obj, key, value);
	else
		json_object_del(r->obj, key);
	if (r->text != NULL) {
		text = json_edit_member(r->text, r->text_len, key, vtext,
		    &r->text_len);
		free(r->text);
		r->text = text;
	}
	free(vtext);
}

void
record_set_index(struct record *r, long long index)
{
	r->index = index;
	record_set(r, "index", index > 0 ? json_integer(index) : NULL);
}

void
record_free(struct record *r)
{
	json_decref(r->obj);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

int
record_write(FILE *fp, const struct record *r)
{
	if (r->text != NULL ?
	    fwrite(r->text, 1, r->text_len, fp) != r->text_len :
	    json_dumpf(r->obj, fp, JSON_COMPACT) != 0)
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

int
record_cmp_index(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
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
