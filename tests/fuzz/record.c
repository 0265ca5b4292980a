/*
 * The record reader (src/common/record.c) against jansson:
 *
 * - the input read as lines: the reader takes and refuses the same lines
 *   as the rules of record.h written out again here over jansson, in order,
 *   each record equal to jansson's object and its text the line trimmed;
 * - every record taken has jansson's name, expr and index; edited (index
 *   set and removed, a member replaced, added and removed, the same edits
 *   made to jansson's object), its text re-parses to that object after
 *   each edit, its fields follow, and record_write() prints exactly the
 *   text;
 * - when record_expr_canonical() says the text holds expr as an encoder
 *   writes it, those bytes are what yajl's generator writes (kvpush copies
 *   them into the values it stores).
 */
#include <string.h>

#include <jansson.h>
#include <yajl/yajl_gen.h>

#include "fuzz.h"
#include "record.h"

static int
blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]*, as Prometheus has it. */
static int
metric_name(const char *s)
{
	size_t i;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] == '_' || s[i] == ':' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* The object a line holds when it is a record, else NULL. */
static json_t *
oracle(const char *line, size_t len)
{
	json_t *o, *name, *expr, *index;

	if (memchr(line, '\0', len) != NULL)
		return NULL;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	name = json_object_get(o, "record");
	expr = json_object_get(o, "expr");
	index = json_object_get(o, "index");
	if (json_is_object(o) && json_is_string(name) &&
	    metric_name(json_string_value(name)) && json_is_string(expr) &&
	    json_string_length(expr) > 0 && (index == NULL ||
	    (json_is_integer(index) && json_integer_value(index) > 0)))
		return o;
	json_decref(o);
	return NULL;
}

/* r's fields are those of jansson's object o. */
static void
check_fields(const struct record *r, json_t *o, const char *after)
{
	json_t *name = json_object_get(o, "record");
	json_t *expr = json_object_get(o, "expr");
	json_t *index = json_object_get(o, "index");

	FUZZ_CHECK(strcmp(r->name, json_string_value(name)) == 0, after);
	FUZZ_CHECK(r->expr_len == json_string_length(expr) &&
	    memcmp(r->expr, json_string_value(expr), r->expr_len) == 0 &&
	    r->expr[r->expr_len] == '\0', after);
	FUZZ_CHECK(r->index == (index ? json_integer_value(index) : 0), after);
	/* expr's bytes in the text decode to expr. */
	{
		char *out = malloc(r->expr_raw_len + 1);

		FUZZ_CHECK(r->expr_at + r->expr_raw_len < r->text_len &&
		    r->text[r->expr_at - 1] == '"' &&
		    r->text[r->expr_at + r->expr_raw_len] == '"' &&
		    record_unescape(r->text + r->expr_at, r->expr_raw_len, out)
		    == r->expr_len && memcmp(out, r->expr, r->expr_len) == 0,
		    after);
		free(out);
	}
}

/* expr's bytes in the text are yajl's when they are said canonical. */
static void
check_canonical(const struct record *r)
{
	yajl_gen g;
	const unsigned char *buf;
	size_t len;

	if (!record_expr_canonical(r))
		return;
	g = yajl_gen_alloc(NULL);
	FUZZ_CHECK(g != NULL && yajl_gen_string(g, (const unsigned char *)
	    r->expr, r->expr_len) == yajl_gen_status_ok, "yajl_gen_string");
	yajl_gen_get_buf(g, &buf, &len);
	FUZZ_CHECK(len == r->expr_raw_len + 2 && memcmp(buf + 1, r->text +
	    r->expr_at, r->expr_raw_len) == 0,
	    "a canonical expr is written as the text has it");
	yajl_gen_free(g);
}

/* r's text decodes to o, and is what record_write() prints. */
static void
check_text(const struct record *r, json_t *o, const char *after)
{
	json_t *again = json_loadb(r->text, r->text_len, JSON_REJECT_DUPLICATES,
	    NULL);
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp = open_memstream(&out, &outlen);

	FUZZ_CHECK(again != NULL, after);
	FUZZ_CHECK(json_equal(again, o), after);
	json_decref(again);
	check_fields(r, o, after);
	FUZZ_CHECK(fp != NULL && record_write(fp, r) == 0 && fclose(fp) == 0,
	    "record_write");
	FUZZ_CHECK(outlen == r->text_len + 1 &&
	    memcmp(out, r->text, r->text_len) == 0 && out[outlen - 1] == '\n',
	    "record_write prints the text and a line feed");
	free(out);
}

/* record_set() on r and the same on o. */
static void
set_both(struct record *r, json_t *o, const char *key, json_t *v)
{
	if (v != NULL)
		json_object_set(o, key, v);
	else
		json_object_del(o, key);
	record_set(r, key, v);
}

static void
set_index_both(struct record *r, json_t *o, long long index)
{
	if (index > 0)
		json_object_set_new(o, "index", json_integer(index));
	else
		json_object_del(o, "index");
	record_set_index(r, index);
}

/* Edits r every way record.h allows, checking the text after each. */
static void
check_edits(struct record *r, json_t *o, unsigned char seed)
{
	static const char *keys[] = { "origin", "x", "a\"b\\c", "", "\xc3\xa9",
	    "n\x01" };
	const char *key = keys[seed % (sizeof(keys) / sizeof(keys[0]))];
	const char *member;
	json_t *v;
	char *got;

	set_index_both(r, o, seed + 1LL);
	check_text(r, o, "the index set");
	set_index_both(r, o, 9223372036854775807LL);
	check_text(r, o, "the largest index set");
	set_index_both(r, o, 0);
	check_text(r, o, "the index removed");
	set_both(r, o, key, json_pack("{s:[i,s,n]}", "k", seed, "v\"\\"));
	check_text(r, o, "a member set");
	set_both(r, o, key, json_string("v\u00e9\"\\"));
	check_text(r, o, "a member replaced");
	got = record_get_string(r, key);
	FUZZ_CHECK(got != NULL && strcmp(got, "v\u00e9\"\\") == 0,
	    "a string member read back");
	free(got);
	set_index_both(r, o, seed + 2LL);
	check_text(r, o, "the index set after the member");
	set_both(r, o, key, json_real(seed / 4.0));
	check_text(r, o, "a member replaced again");
	set_both(r, o, key, NULL);
	check_text(r, o, "a member removed");
	FUZZ_CHECK(record_get_string(r, key) == NULL, "no member left");
	/* A member the line brought, by its decoded name. */
	json_object_foreach(o, member, v) {
		if (strcmp(member, "record") != 0 && strcmp(member, "expr") != 0 &&
		    strcmp(member, "index") != 0)
			break;
	}
	if (member != NULL) {
		char *name = strdup(member);

		set_both(r, o, name, json_string("replaced"));
		check_text(r, o, "a member of the line replaced");
		set_both(r, o, name, NULL);
		check_text(r, o, "a member of the line removed");
		free(name);
	}
}

/* A line as the reader sees it: chomped, then blank or not. */
static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!blank_char(s[i]))
			return 0;
	return 1;
}

static void
check_reader(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl, *t;
	FILE *fp = fmemopen((void *)data, size, "r");
	struct record_reader *rd = record_reader_stream(fp, "fuzz");
	unsigned long bad = 0;
	struct record r;

	FUZZ_CHECK(fp != NULL, "fmemopen");
	for (; p < end; p = nl ? nl + 1 : end) {
		size_t len, tlen;
		json_t *want;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		if (blank(p, len))
			continue;
		if ((want = oracle(p, len)) == NULL) {
			bad++;
			continue;
		}
		FUZZ_CHECK(record_read(rd, &r) == 1, "a record line is read");
		FUZZ_CHECK(record_reader_bad(rd) == bad,
		    "the same lines before it are bad");
		check_fields(&r, want, "the record is jansson's");
		for (t = p, tlen = len; tlen > 0 && blank_char(t[tlen - 1]);)
			tlen--;
		for (; tlen > 0 && blank_char(*t); t++)
			tlen--;
		FUZZ_CHECK(r.text_len == tlen && memcmp(r.text, t, tlen) == 0,
		    "the text is the line without the blanks around it");
		check_text(&r, want, "as read");
		check_canonical(&r);
		check_edits(&r, want, (unsigned char)p[0]);
		record_free(&r);
		json_decref(want);
	}
	FUZZ_CHECK(record_read(rd, &r) == 0, "no record past the last");
	FUZZ_CHECK(record_reader_bad(rd) == bad, "the same lines are bad");
	FUZZ_CHECK(record_reader_close(rd) == 0, "no read error");
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init("fuzz-record");
	if (size > 0)
		check_reader(data, size);
	return 0;
}
