/*
 * Unit tests of src/common/recflat.c, the flat record scanner, against
 * recscan's general path on the same text: the texts it must take (the
 * records recsync's tools write, and their odd but flat cousins) and find
 * exactly what the general path finds; the texts it must leave to the
 * general path, whatever that makes of them.
 */
#include <stdlib.h>
#include <string.h>

#include "recflat.h"
#include "recscan.h"
#include "test.h"
#include "../fuzz/recscan_diff.h"

static const char *const wants[] = { NULL, "origin", "", "x" };

/* Taken by recflat, with the general path's findings for every want. */
static int
taken_alike(const char *text, size_t len, const char **why)
{
	const struct recscan *flat, *gen;
	size_t i;

	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		gen = recscan_general(text, len, wants[i]);
		flat = recflat(text, len, wants[i]);
		if (flat == NULL || gen == NULL)
			return *why = flat ? "refused by the general path" :
			    "left to the general path", 0;
		if ((*why = recscan_diff(flat, gen)) != NULL)
			return 0;
	}
	return 1;
}

static void
test_taken(void)
{
	static const char *const texts[] = {
	    "{\"record\": \"hke:heavy_expr:e8bfa4f2c04a2b1b5fbd2e1bd54dfaa5\", "
	    "\"expr\": \"histogram_quantile(0.99, sum by (le, job) (rate(http_"
	    "request_duration_seconds_bucket{job=\\\"api-0\\\",code=~\\\"5..\\\""
	    "}[5m])))\"}",
	    "{\"record\":\"a:b\",\"expr\":\"up\",\"index\":7}",
	    "{\"record\":\"a\",\"expr\":\"up\",\"index\":999999999999999999}",
	    "{\"record\":\"a\",\"expr\":\"up\",\"tracked_since\":\"2026-12-03T"
	    "00:00:00Z\",\"last_used\":\"x\",\"origin\":\"f.yml\",\"index\":1}",
	    "{}",
	    " \t\r\n{ \"record\" :\t\"a\" ,\r\n\"expr\":\"b\" } \n ",
	    "{\"rec\\u006frd\":\"a\",\"\\u0065xpr\":\"b\"}",
	    "{\"record\":\"a\",\"expr\":\"\\u00e9\\u20ac\\ud83d\\ude00"
	    "\\uD83D\\uDE00\"}",
	    "{\"record\":\"a\",\"expr\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf\xef\xbf\xbf\"}",
	    "{\"record\":\"a\",\"expr\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
	    "{\"record\":\"a\",\"expr\":\"up\",\"index\":\"7\"}",
	    "{\"record\":\"a\",\"expr\":\"\",\"origin\":\"\"}",
	    "{\"\":\"\",\"x\":\"y\",\"origin\":\"o\\\"\"}",
	    "{\"record\":\"has a space\",\"expr\":\"up\"}",
	    "{\"expr\":\"up\"}",
	    "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\","
	    "\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\",\"j\":\"10\","
	    "\"k\":\"11\",\"l\":\"12\",\"m\":\"13\",\"n\":\"14\",\"o\":\"15\","
	    "\"p\":\"16\"}",
	};
	const char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		CHECK(taken_alike(texts[i], strlen(texts[i]), &why),
		    "flat text %zu taken, as the general path reads it (%s)", i,
		    why ? why : "same");
}

/*
 * A '"' or '\\' escape, a control character's escape and a UTF-8 sequence
 * at every place of strings 0 to 40 bytes long: across the sixteen-byte
 * steps and their tail.
 */
static void
test_every_offset(void)
{
	static const char *const specials[] = { "\\\"", "\\\\", "\\n",
	    "\\u00e9", "\xc3\xa9", "\xf0\x9f\x98\x80", "\\ud83d\\ude00" };
	char text[256], s[64];
	size_t n, at, k, len;
	int bad = 0;
	const char *why = NULL;

	for (n = 0; n <= 40; n++)
		for (at = 0; at <= n; at++)
			for (k = 0; k < sizeof(specials) / sizeof(specials[0]);
			    k++) {
				memset(s, 'a', n);
				s[n] = '\0';
				len = (size_t)snprintf(text, sizeof(text),
				    "{\"record\":\"r\",\"expr\":\"%.*s%s%s\"}",
				    (int)at, s, specials[k], s + at);
				if (!taken_alike(text, len, &why) && bad++ == 0)
					printf("# %s: %s\n", text, why);
			}
	CHECK(bad == 0, "escapes and UTF-8 at every offset read alike "
	    "(%d differ)", bad);
}

/* Left to the general path: recflat gives no answer. */
static void
test_left(void)
{
	static const char *const texts[] = {
	    "", "   ", "[]", "\"s\"", "7", "{", "{\"a\"", "{\"a\":", "{\"a\":\"b\"",
	    "{\"a\":\"b\",}", "{\"a\" \"b\"}", "{\"a\":\"b\"} x", "{}{}",
	    "\v{}", "{}\f", "{\"a\":\"b\"\v}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"x\":{}}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"x\":[1]}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"x\":1}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"x\":true}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"x\":null}",
	    "{\"record\":null,\"expr\":\"b\"}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":0}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":-1}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":07}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":1.0}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":1e2}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":1234567890123456789}",
	    "{\"record\":\"a\",\"expr\":\"b\",\"index\":99999999999999999999}",
	    "{\"record\":\"a\",\"expr\":\"b\\u0000\"}",
	    "{\"record\":\"a\",\"expr\":\"\\ud800\"}",
	    "{\"record\":\"a\",\"expr\":\"\\ud800x\"}",
	    "{\"record\":\"a\",\"expr\":\"\\udc00\"}",
	    "{\"record\":\"a\",\"expr\":\"\\ud800\\u0041\"}",
	    "{\"record\":\"a\",\"expr\":\"\\ud800\\ud800\"}",
	    "{\"record\":\"a\",\"expr\":\"\\u12\"}",
	    "{\"record\":\"a\",\"expr\":\"\\u12g4\"}",
	    "{\"record\":\"a\",\"expr\":\"\\x\"}",
	    "{\"record\":\"a\",\"expr\":\"\\'\"}",
	    "{\"record\":\"a\",\"expr\":\"b\\",
	    "{\"record\":\"a\",\"expr\":\"\xff\"}",
	    "{\"record\":\"a\",\"expr\":\"\xc0\x80\"}",
	    "{\"record\":\"a\",\"expr\":\"\xc3\"}",
	    "{\"record\":\"a\",\"expr\":\"\xe2\x82\"}",
	    "{\"record\":\"a\",\"expr\":\"\xed\xa0\x80\"}",
	    "{\"record\":\"a\",\"expr\":\"\xf4\x90\x80\x80\"}",
	    "{\"record\":\"a\",\"expr\":\"\xf8\x88\x80\x80\x80\"}",
	    "{\"record\":\"a\",\"expr\":\"\x80\"}",
	    "{\"record\":\"a\",\"expr\":\"\x01\"}",
	    "{\"record\":\"a\",\"expr\":\"\t\"}",
	    "{\"record\":\"a\",\"record\":\"b\"}",
	    "{\"a\":\"1\",\"\\u0061\":\"2\"}",
	    "{\"\xc3\xa9\":\"1\",\"\\u00e9\":\"2\"}",
	    "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\","
	    "\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\",\"j\":\"10\","
	    "\"k\":\"11\",\"l\":\"12\",\"m\":\"13\",\"n\":\"14\",\"o\":\"15\","
	    "\"p\":\"16\",\"q\":\"17\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *t = texts[i];

		CHECK(recflat(t, strlen(t), "x") == NULL,
		    "text %zu left to the general path", i);
	}
}

/* DEL is plain ASCII to JSON: a string may hold it as it is. */
static void
test_del_taken(void)
{
	static const char text[] = "{\"record\":\"a\",\"expr\":\"\x7f\"}";
	const char *why = NULL;

	CHECK(taken_alike(text, sizeof(text) - 1, &why),
	    "a DEL byte in a string is taken (%s)", why ? why : "same");
}

int
main(void)
{
	test_taken();
	test_every_offset();
	test_left();
	test_del_taken();
	return test_status();
}
