/* Unit tests of src/common/listing.c and src/common/jsonstrict.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstrict.h"
#include "listing.h"
#include "test.h"
#include "../fuzz/listing_ref.h"

#define PREFIX	"p"

static char got[4096];

static void
collect(const struct kv_entry *e, void *arg)
{
	size_t n = strlen(got);

	(void)arg;
	snprintf(got + n, sizeof(got) - n, "%s=%lld@%llu:%.*s|", e->key,
	    e->number, e->modify_index, (int)e->value_len, e->value);
}

static void
collect_key(const char *key, void *arg)
{
	(void)arg;
	strncat(got, key, sizeof(got) - strlen(got) - 2);
	strcat(got, "|");
}

/* Reads n bytes fed in pieces of `piece` bytes; 0 when it was a listing. */
static int
read_n(const char *text, size_t n, size_t piece, int all, int keys)
{
	struct listing *l = keys ? listing_keys(collect_key, NULL) :
	    listing_entries(PREFIX, all, collect, NULL);
	size_t i;
	int rc = 0;

	got[0] = '\0';
	for (i = 0; i < n && rc == 0; i += piece)
		rc = listing_feed(l, text + i, n - i < piece ? n - i : piece);
	if (rc == 0)
		rc = listing_end(l);
	listing_free(l);
	return rc;
}

static int
entries(const char *text)
{
	return read_n(text, strlen(text), 3, 0, 0);
}

/*
 * Bodies the scanner must read exactly as the old reader (yajl held to
 * jansson's rules, tests/fuzz/listing_ref.h) does, taken or refused: each
 * read with foreign keys too, cut in two at every byte.
 */
static const char *const against_old[] = {
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"YQ==\"},]",
	"[,]", "[{},]", "[{}]", "[ ]", " [\n\t\r] \n", "[]]", "[{\"Key\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":01,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":-,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1.,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1e,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1E+5,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":-0,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":9223372036854775807,"
	    "\"Value\":null,\"F\":-9223372036854775809}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,\"F\":2.5e-400}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":nul}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":nullx}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":true,\"T\":false}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":7}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":[\"YQ==\"]}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"Y\\u0051==\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"YQ=\\u003d\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"\\u00e9t\u00e9\"}]",
	"[{\"Key\":\"q/1\",\"ModifyIndex\":1,\"Value\":\"\\u00e9\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"YQ\\\"==\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"Y\\/==\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"=\"}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"Y===\"}]",
	"[{\"Key\":\"p/\\ud83d\\ude00\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\\ud83d\\u0041\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\\ud83dx\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\\uDFFF\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\\u00zz\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\\x\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\\\\u0000\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\xe2\x82\xac\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\xe2\x82\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\xed\xa0\x80\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\x7f\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/\x1f\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"K\\u0065y\":\"p/2\",\"ModifyIndex\":1,\"Value\":null}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,"
	    "\"N\":{\"a\":[1,{\"b\":[[],{}]},\"c\"],\"d\":null}}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,\"N\":[1,]}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,\"N\":{\"a\"}}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,\"N\":{1:2}}]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,\"N\":[}]}]",
	"[{\"Key\":\"p/1\" , \"ModifyIndex\" :\t1 ,\n\"Value\": null }]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null}\v]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null} /* */]",
	"[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null}][]",
	"[{\"LockIndex\":0,\"Key\":\"p/1\",\"Flags\":0,\"Value\":\"YQ==\","
	    "\"CreateIndex\":5,\"ModifyIndex\":7,\"Session\":\"a-b\"},"
	    "{\"Keys\":\"p/2\",\"Key\":\"p/3\",\"ModifyIndexx\":1,"
	    "\"ModifyIndex\":2,\"Valu\":null,\"Value\":\"YmM=\",\"K\":1,"
	    "\"Sessions\":2,\"Key\\u0000\":3}]",
	"[{\"LockIndex\":0,\"Key\":\"p/1\",\"Flags\":0,\"Value\":\"YQ==\","
	    "\"CreateIndex\":5,\"ModifyIndex\":7,\"Session\":\"a-b\"},"
	    "{\"Keys\":\"p/2\",\"Key\":\"p/3\",\"ModifyIndexx\":1,"
	    "\"ModifyIndex\":2,\"Valu\":null,\"Value\":\"YmM=\",\"K\":1,"
	    "\"Sessions\":2,\"Ke\\u0079\":\"p/4\"}]",
	"[\"p/1\"]", "[[]]", "[1]", "[null]", "{}", "\"p\"", "",
};

/* The elements the last reading counted. */
static unsigned long counted;

/* The old reader's or the scanner's reading: 0 when taken, into got. */
static int
old_reading(const char *text, size_t n, int keys)
{
	struct ref_listing *l = keys ? ref_listing_keys(collect_key, NULL) :
	    ref_listing_entries(PREFIX, 1, collect, NULL);
	int rc;

	got[0] = '\0';
	rc = ref_listing_feed(l, text, n);
	if (rc == 0)
		rc = ref_listing_end(l);
	counted = ref_listing_elements(l);
	ref_listing_free(l);
	return rc;
}

static int
cut_reading(const char *text, size_t n, size_t cut, int keys)
{
	struct listing *l = keys ? listing_keys(collect_key, NULL) :
	    listing_entries(PREFIX, 1, collect, NULL);
	int rc;

	got[0] = '\0';
	rc = listing_feed(l, text, cut);
	if (rc == 0)
		rc = listing_feed(l, text + cut, n - cut);
	if (rc == 0)
		rc = listing_end(l);
	counted = listing_elements(l);
	listing_free(l);
	return rc;
}

/* Whether every body of against_old reads as the old reader reads it. */
static int
as_old_reader(int keys)
{
	static char want[sizeof(got)];
	size_t i, cut, n;
	unsigned long elements;
	int rc, ok = 1;

	for (i = 0; i < sizeof(against_old) / sizeof(against_old[0]); i++) {
		n = strlen(against_old[i]);
		rc = old_reading(against_old[i], n, keys);
		memcpy(want, got, sizeof(got));
		elements = counted;
		for (cut = 0; cut <= n; cut++) {
			int same = (cut_reading(against_old[i], n, cut, keys) ==
			    0) == (rc == 0) && (rc != 0 ||
			    (strcmp(got, want) == 0 && counted == elements));

			if (!same) {
				printf("# differs from the old reader, cut at "
				    "%zu: %s\n", cut, against_old[i]);
				ok = 0;
				break;
			}
		}
	}
	return ok;
}

int
main(void)
{
	/* "YQ==" is "a", "YmM=" "bc". */
	static const char body[] =
	    " [ {\"LockIndex\":0,\"Key\":\"p/1\",\"Flags\":0,\"Value\":\"YQ==\","
	    "\"CreateIndex\":5,\"ModifyIndex\":7},\n"
	    "{\"Key\":\"p/x\",\"ModifyIndex\":8,\"Value\":null,"
	    "\"Nested\":[{\"Key\":\"p/9\"},[]]},"
	    "{\"Value\":\"YmM=\",\"ModifyIndex\":9,\"Key\":\"p\\/2\"},"
	    "{\"Key\":\"p/3\",\"ModifyIndex\":1,\"Value\":null}]\n";
	static const char want[] = "p/1=1@7:a|p/2=2@9:bc|p/3=3@1:|";
	static const char want_all[] = "p/1=1@7:a|p/x=0@8:|p/2=2@9:bc|p/3=3@1:|";
	size_t piece;
	int ok = 1, ok_all = 1;

	for (piece = 1; piece <= sizeof(body); piece++) {
		ok &= read_n(body, sizeof(body) - 1, piece, 0, 0) == 0 &&
		    strcmp(got, want) == 0;
		ok_all &= read_n(body, sizeof(body) - 1, piece, 1, 0) == 0 &&
		    strcmp(got, want_all) == 0;
	}
	CHECK(ok, "entries found whatever the piece size (1..%zu bytes)",
	    sizeof(body));
	CHECK(ok_all, "and foreign keys with all");
	CHECK(entries("[]") == 0 && got[0] == '\0', "an empty array");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"YQ==\","
	    "\"Value\":null}]") == 0 && strcmp(got, "p/1=1@1:|") == 0,
	    "a member given twice: the last counts, as in jansson");
	CHECK(entries("") != 0, "no text at all");
	CHECK(entries("[") != 0, "an array never closed");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Val") != 0,
	    "a listing cut short");
	CHECK(entries("{\"a\":1}") != 0, "an object is not an array");
	CHECK(entries("[] x") != 0 && entries("[][]") != 0,
	    "text after the array");
	CHECK(entries("[1]") != 0 && entries("[\"p/1\"]") != 0 &&
	    entries("[[]]") != 0, "an element that is no object");
	CHECK(entries("[{\"ModifyIndex\":1,\"Value\":null}]") != 0,
	    "an entry without Key");
	CHECK(entries("[{\"Key\":7,\"ModifyIndex\":1,\"Value\":null}]") != 0,
	    "a Key that is no string");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1.0,\"Value\":null}]")
	    != 0 && entries("[{\"Key\":\"p/1\",\"Value\":null}]") != 0,
	    "a ModifyIndex missing or no integer");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1}]") != 0,
	    "an entry without Value");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":\"YQ\"}]")
	    != 0, "a value of ours that is not base64");
	CHECK(entries("[{\"Key\":\"q/1\",\"ModifyIndex\":1,\"Value\":\"YQ\"}]")
	    == 0 && got[0] == '\0', "a foreign key's value is not read");
	CHECK(read_n("[1\0]", 4, 1, 0, 1) != 0 &&
	    read_n("[\"a\0b\"]", 7, 7, 0, 1) != 0 &&
	    read_n("\0[]", 3, 3, 0, 1) != 0, "a NUL byte anywhere");
	CHECK(entries("[\v]") != 0 && entries("[\f]") != 0,
	    "a vertical tab or a form feed, which yajl takes for blanks");
	CHECK(entries("[{\"Key\":\"p/1\\u0000\",\"ModifyIndex\":1,"
	    "\"Value\":null}]") != 0, "\\u0000 in a string");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,"
	    "\"S\":\"\\ud800\"}]") != 0 &&
	    entries("[{\"Key\":\"p/1\\udc00\",\"ModifyIndex\":1,"
	    "\"Value\":null}]") != 0, "a surrogate out of a pair");
	CHECK(entries("[{\"Key\":\"p/\\ud83d\\ude00\",\"ModifyIndex\":1,"
	    "\"Value\":null}]") == 0, "a surrogate pair");
	CHECK(entries("[{\"Key\":\"p/1\xc0\xaf\",\"ModifyIndex\":1,"
	    "\"Value\":null}]") != 0, "an overlong UTF-8 form");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":99999999999999999999,"
	    "\"Value\":null}]") != 0 &&
	    entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,"
	    "\"F\":1e999}]") != 0, "a number out of range");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":1,\"Value\":null,"
	    "\"F\":-9223372036854775808}]") == 0,
	    "the smallest long long is a number");
	CHECK(entries("[{\"Key\":\"p/1\",\"ModifyIndex\":-3,\"Value\":null}]")
	    != 0 && entries("[{\"Key\":\"p/1\",\"ModifyIndex\":0,"
	    "\"Value\":null}]") != 0 &&
	    entries("[{\"Key\":\"p/1\",\"ModifyIndex\":-9223372036854775808,"
	    "\"Value\":null}]") != 0, "a ModifyIndex below 1, which no key has");
	CHECK(read_n("[\"p/1\",\"p/\",\"p/22\"]", 19, 2, 0, 1) == 0 &&
	    strcmp(got, "p/1|p/|p/22|") == 0, "a ?keys listing");
	CHECK(read_n("[\"p/1\",{}]", 10, 2, 0, 1) != 0 &&
	    read_n("[\"p/1\",2]", 9, 2, 0, 1) != 0, "a key that is no string");

	CHECK(json_escapes_ok("\"a\\\\u0000\\ud83d\\ude00\\n\"", 24) &&
	    !json_escapes_ok("\"\\ud83d\\n\"", 10) &&
	    !json_escapes_ok("\"\\ud83d", 7), "escapes: pairs and NULs");
	CHECK(json_string_ok("\xc3\xa9t\xc3\xa9", 5) &&
	    !json_string_ok("\xed\xa0\x80", 3) &&
	    !json_string_ok("\xf4\x90\x80\x80", 4) &&
	    !json_string_ok("\xc3", 1), "strings: UTF-8 as jansson wants");
	CHECK(old_reading("[] \"abc", 7, 0) == 0 && entries("[] \"abc") != 0 &&
	    entries("[] tr") != 0, "an unfinished token after the array, which "
	    "yajl let through, is refused, as jansson refuses it");
	CHECK(as_old_reader(0), "%zu bodies read as the old reader read them, "
	    "cut at every byte", sizeof(against_old) / sizeof(against_old[0]));
	CHECK(as_old_reader(1), "and as ?keys listings");
	return test_status();
}
