/* Unit tests of src/common/record.c: the record stream contract. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "diag.h"
#include "record.h"
#include "test.h"
#include "xalloc.h"

static char tmpl[] = "/tmp/record_test.XXXXXX";

/* Writes text to a temporary file and reads every record of it. */
static int
read_all(const char *text, size_t len, struct record *out, int max,
    unsigned long *bad)
{
	struct record_reader *rd;
	int fd = mkstemp(tmpl), n = 0;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return -1;
	close(fd);
	rd = record_reader_open(tmpl);
	while (n < max && record_read(rd, &out[n]) == 1)
		n++;
	*bad = record_reader_bad(rd);
	record_reader_close(rd);
	unlink(tmpl);
	strcpy(tmpl + strlen(tmpl) - 6, "XXXXXX");
	return n;
}

static void
test_good_and_bad_lines(void)
{
	static const char text[] =
	    "{\"record\":\"a:b\",\"expr\":\"up\"}\r\n"
	    "\n   \n"
	    "not json\n"
	    "[1,2]\n"
	    "{\"record\":\"1bad\",\"expr\":\"up\"}\n"
	    "{\"record\":\"ok\",\"expr\":\"\"}\n"
	    "{\"record\":\"ok\"}\n"
	    "{\"record\":\"ok\",\"expr\":\"up\",\"index\":0}\n"
	    "{\"record\":\"ok\",\"expr\":\"up\",\"index\":1.5}\n"
	    "{\"record\":\"ok\",\"expr\":\"\xff\"}\n"
	    "{\"record\":\"ok\",\"expr\":\"a\\u0000b\"}\n"
	    "{\"record\":\"ok\",\"record\":\"dup\",\"expr\":\"x\"}\n"
	    "{\"record\":5,\"expr\":\"up\"}\n"
	    " \0 \n"
	    "{\"record\":\"c\",\"expr\":\"rate(x[5m])\",\"index\":7,\"extra\":[1]}";
	struct record r[4];
	unsigned long bad = 0;
	int n = read_all(text, sizeof(text) - 1, r, 4, &bad);

	CHECK(n == 2, "two good records among bad lines (got %d)", n);
	CHECK(bad == 12, "twelve bad lines counted, a line of NULs among them "
	    "(got %lu)", bad);
	if (n != 2)
		return;
	CHECK(strcmp(r[0].name, "a:b") == 0 && r[0].index == 0,
	    "CRLF line parsed, no index");
	CHECK(r[1].index == 7 && r[1].expr_len == 11,
	    "last line without newline keeps its index");
	record_set_index(&r[0], 42);
	CHECK(r[0].index == 42 && strcmp(r[0].text,
	    "{\"record\":\"a:b\",\"expr\":\"up\",\"index\":42}") == 0,
	    "record_set_index updates the text");
	record_free(&r[0]);
	record_free(&r[1]);
}

/* What record_write() prints for r. */
static char *
written(const struct record *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (record_write(fp, r) != 0)
		buf = NULL;
	fclose(fp);
	return buf;
}

static void
test_text_kept(void)
{
	static const char line[] = " {\"record\":\"a:b\", \"c\":1.10,"
	    "\"e\":1e2,\"n\": { \"x\" :[1 ,2.50]},\"u\":\"\\u00e9\","
	    "\"expr\":\"up\"}\t";
	static const char text[] = "{\"record\":\"a:b\", \"c\":1.10,"
	    "\"e\":1e2,\"n\": { \"x\" :[1 ,2.50]},\"u\":\"\\u00e9\","
	    "\"expr\":\"up\"}";
	struct record r;
	unsigned long bad = 0;
	char *out;

	if (read_all(line, sizeof(line) - 1, &r, 1, &bad) != 1) {
		CHECK(0, "a record with numbers, spacing and escapes is read");
		return;
	}
	out = written(&r);
	CHECK(out != NULL && strncmp(out, text, sizeof(text) - 1) == 0 &&
	    strcmp(out + sizeof(text) - 1, "\n") == 0,
	    "printed byte for byte, blanks around it dropped");
	free(out);
	record_set_index(&r, 42);
	out = written(&r);
	CHECK(out != NULL && strncmp(out, text, sizeof(text) - 2) == 0 &&
	    strcmp(out + sizeof(text) - 2, ",\"index\":42}\n") == 0 &&
	    r.index == 42,
	    "an index added at the end, the rest untouched");
	free(out);
	record_set_index(&r, 7);
	record_set_index(&r, 0);
	out = written(&r);
	CHECK(out != NULL && strncmp(out, text, sizeof(text) - 1) == 0 &&
	    r.index == 0,
	    "an index replaced, then removed: the text as it came");
	free(out);
	record_free(&r);
	CHECK(record_make(&r, "m", "up", &(const char *){ NULL }) == 0 &&
	    (out = written(&r)) != NULL &&
	    strcmp(out, "{\"record\":\"m\",\"expr\":\"up\"}\n") == 0,
	    "a made record prints compact");
	free(out);
	record_free(&r);
}

static void
test_long_line(void)
{
	size_t n = 300000, len;
	char *text = malloc(n + 64);
	struct record r;
	unsigned long bad = 0;

	len = (size_t)sprintf(text, "{\"record\":\"big\",\"expr\":\"");
	memset(text + len, 'x', n);
	len += n;
	len += (size_t)sprintf(text + len, "\"}\n");
	CHECK(read_all(text, len, &r, 1, &bad) == 1 && r.expr_len == n,
	    "a 300 KB expression is read whole");
	record_free(&r);
	free(text);
}

/* Escapes decoded into name and expr exactly; the text kept as it came. */
static void
test_escapes(void)
{
	static const char line[] = "{\"record\":\"\\u0061b\",\"expr\":"
	    "\"x\\\"y\\u00e9\\\\\\ud83d\\ude00\",\"o\":\"f\\/g:3\"}";
	struct record r;
	const char *why;
	char *o;

	if (record_parse(line, sizeof(line) - 1, &r, &why, NULL) != 0) {
		CHECK(0, "a record with escapes is read");
		return;
	}
	CHECK(strcmp(r.name, "ab") == 0, "name decoded (%s)", r.name);
	CHECK(r.expr_len == 10 && strcmp(r.expr,
	    "x\"y\xc3\xa9\\\xf0\x9f\x98\x80") == 0, "expr decoded (%s)",
	    r.expr);
	CHECK(r.expr_raw_len == 24 && strncmp(r.text + r.expr_at,
	    "x\\\"y", 4) == 0, "the escaped expr's bytes in the text");
	{
		char out[32];

		CHECK(record_unescape(r.text + r.expr_at, r.expr_raw_len, out)
		    == r.expr_len && memcmp(out, r.expr, r.expr_len) == 0,
		    "and decoded again to expr");
	}
	CHECK(strcmp(r.text, line) == 0, "the text as it came");
	o = record_get_string(&r, "o");
	CHECK(o != NULL && strcmp(o, "f/g:3") == 0, "another member decoded");
	free(o);
	CHECK(record_get_string(&r, "none") == NULL, "no such member");
	record_free(&r);
}

/* Editing the index: in place, and no copy when there is nothing to do. */
static void
test_index_edits(void)
{
	static const char line[] = "{\"index\":7, \"record\":\"a\",\"expr\":\"up\" }";
	struct record r;
	const char *why, *text;

	if (record_parse("{\"record\":\"a\",\"expr\":\"up\"}", 26, &r, &why,
	    NULL) != 0) {
		CHECK(0, "a record is read");
		return;
	}
	text = r.text;
	record_set_index(&r, 0);
	CHECK(r.text == text && strcmp(r.text,
	    "{\"record\":\"a\",\"expr\":\"up\"}") == 0,
	    "no index to drop: the text untouched, not copied");
	record_set_index(&r, 12345);
	CHECK(r.text == text && strcmp(r.expr, "up") == 0 && strcmp(r.name,
	    "a") == 0 && r.expr_at > 0 && strncmp(r.text + r.expr_at, "up", 2)
	    == 0, "an index added in the room kept for it");
	record_free(&r);
	if (record_parse(line, sizeof(line) - 1, &r, &why, NULL) != 0) {
		CHECK(0, "a record with its index first is read");
		return;
	}
	record_set_index(&r, 123456789012LL);
	CHECK(strcmp(r.text, "{\"index\":123456789012, \"record\":\"a\","
	    "\"expr\":\"up\" }") == 0 && r.index == 123456789012LL &&
	    strncmp(r.text + r.expr_at, "up\"", 3) == 0 &&
	    strcmp(r.expr, "up") == 0, "digits replaced in place, what "
	    "follows moved (%s)", r.text);
	record_set(&r, "x", json_integer(5));
	record_set_index(&r, 3);
	CHECK(strcmp(r.text, "{\"index\":3, \"record\":\"a\","
	    "\"expr\":\"up\",\"x\":5 }") == 0, "a member added, then the "
	    "index replaced (%s)", r.text);
	record_set_index(&r, 0);
	CHECK(strcmp(r.text, "{\"record\":\"a\",\"expr\":\"up\",\"x\":5 }")
	    == 0 && r.index == 0 && strcmp(r.name, "a") == 0,
	    "the index removed (%s)", r.text);
	record_free(&r);
}

static void
test_names(void)
{
	CHECK(record_name_valid("hke:heavy_expr:0123abcd"), "md5 record name");
	CHECK(record_name_valid("_a:B_9"), "underscore and colon");
	CHECK(!record_name_valid(""), "empty name");
	CHECK(!record_name_valid("9abc"), "leading digit");
	CHECK(!record_name_valid("a-b"), "dash");
	CHECK(!record_name_valid("a b"), "space");
	CHECK(!record_name_valid("\xe4\xb8\xad"), "non-ASCII");
}

/* expr as yajl's generator writes it (what kvpush stores), quotes dropped. */
static int
same_as_yajl(const struct record *r)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	int same;

	yajl_gen_string(g, (const unsigned char *)r->expr, r->expr_len);
	yajl_gen_get_buf(g, &buf, &len);
	same = len == r->expr_raw_len + 2 &&
	    memcmp(buf + 1, r->text + r->expr_at, r->expr_raw_len) == 0;
	yajl_gen_free(g);
	return same;
}

/*
 * The text's own bytes of expr stand for it in new JSON when they are
 * what an encoder writes, and only then.
 */
static void
test_expr_canonical(void)
{
	static const struct {
		const char	*expr;	/* as the line has it */
		int		 canonical;
	} rows[] = {
		{ "rate(x{job=\\\"a\\\"}[5m])", 1 },
		{ "up", 1 },
		{ "a\\\\b \\\"\\b\\f\\n\\r\\t", 1 },
		{ "\xc3\xa9 \x7f ~", 1 },
		{ "a\\/b", 0 },
		{ "\\u00e9", 0 },
		{ "\\u0001", 0 },
		{ "\\u0022", 0 },
		{ "\\ud83d\\ude00", 0 },
	};
	struct record r;
	const char *why;
	char *line;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		line = xasprintf("{\"record\":\"a\",\"expr\":\"%s\"}",
		    rows[i].expr);
		if (record_parse(line, strlen(line), &r, &why, NULL) != 0) {
			CHECK(0, "expr %zu parses", i);
			free(line);
			continue;
		}
		CHECK(record_expr_canonical(&r) == rows[i].canonical,
		    "expr %zu %s as an encoder writes it", i,
		    rows[i].canonical ? "is" : "is not");
		CHECK(!record_expr_canonical(&r) || same_as_yajl(&r),
		    "expr %zu: its bytes are yajl's when canonical", i);
		record_free(&r);
		free(line);
	}
}

/* Writes text to a new temporary file, whose name goes to path. */
static void
temp_file(const char *text, char *path)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/*
 * A lent record is the one record_input_next() gives, line by line, and
 * the reader's memory grows for a long line and shrinks back to short ones.
 */
static void
test_lend(void)
{
	char path[] = "/tmp/record_test.XXXXXX", *text, *longexpr;
	struct record_input given, lent;
	struct record g, l;
	char *argv[1] = { path };
	int n = 0, same = 1;

	longexpr = xmalloc(100001);
	memset(longexpr, 'x', 100000);
	longexpr[100000] = '\0';
	text = xasprintf("{\"record\":\"a\",\"expr\":\"up\"}\n\n"
	    "{\"record\":\"b\",\"expr\":\"%s\"}\nnot json\n"
	    "{ \"x\": 1.10, \"record\": \"c\", \"expr\": \"a\\\"b\" }\n",
	    longexpr);
	temp_file(text, path);
	record_input_init(&given, 1, argv);
	record_input_init(&lent, 1, argv);
	while (record_input_next(&given, &g)) {
		if (!record_input_lend(&lent, &l)) {
			same = 0;
			record_free(&g);
			break;
		}
		n++;
		same &= g.text_len == l.text_len &&
		    memcmp(g.text, l.text, g.text_len) == 0 &&
		    strcmp(g.name, l.name) == 0 && g.expr_len == l.expr_len &&
		    memcmp(g.expr, l.expr, g.expr_len) == 0 &&
		    g.expr_at == l.expr_at && g.index == l.index &&
		    record_input_line(&given) == record_input_line(&lent);
		record_free(&g);
	}
	CHECK(n == 3 && same && !record_input_lend(&lent, &l),
	    "record_input_lend: the same records as record_input_next");
	CHECK(record_input_status(&lent) == record_input_status(&given) &&
	    lent.bad == 1, "record_input_lend: the bad line counted");
	unlink(path);
	free(text);
	free(longexpr);
}

/* record_index_member at record_index_place is what record_set_index adds. */
static void
test_index_member(void)
{
	static const char *lines[] = {
		"{\"record\":\"a\",\"expr\":\"up\"}",
		"{ \"record\" : \"a\", \"expr\" : \"up\" , \"x\": [1] \t}",
	};
	static const long long numbers[] = { 1, 9, 10, 123456789012345678LL };
	char member[RECORD_INDEX_MEMBER_MAX], *made;
	struct record r;
	const char *why;
	size_t i, k, at, len;
	int same = 1;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		for (k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++) {
			if (record_parse(lines[i], strlen(lines[i]), &r, &why,
			    NULL) != 0) {
				same = 0;
				continue;
			}
			at = record_index_place(&r);
			len = record_index_member(member, numbers[k]);
			made = xasprintf("%.*s%.*s%s", (int)at, r.text,
			    (int)len, member, r.text + at);
			record_set_index(&r, numbers[k]);
			same &= strcmp(made, r.text) == 0;
			free(made);
			record_free(&r);
		}
	CHECK(same, "record_index_member at record_index_place: as "
	    "record_set_index");
}

int
main(void)
{
	diag_init("record_test");
	verbosity = 0;
	test_good_and_bad_lines();
	test_text_kept();
	test_long_line();
	test_escapes();
	test_index_edits();
	test_names();
	test_expr_canonical();
	test_lend();
	test_index_member();
	return test_status();
}
