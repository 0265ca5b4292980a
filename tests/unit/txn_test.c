/*
 * Unit tests of src/common/txn.c's arithmetic: every length it reckons is
 * the length of the body it writes, which jansson reads back as the
 * operations meant, and txn_size_add cuts exactly at the limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "txn.h"
#include "test.h"

/* Whether body's operation i is a cas of key with value's base64 at cas. */
static int
is_cas(json_t *body, size_t i, const char *key, const char *b64,
    unsigned long long cas)
{
	json_t *kv = json_object_get(json_array_get(body, i), "KV");

	return kv != NULL &&
	    strcmp(json_string_value(json_object_get(kv, "Verb")), "cas") == 0 &&
	    strcmp(json_string_value(json_object_get(kv, "Key")), key) == 0 &&
	    strcmp(json_string_value(json_object_get(kv, "Value")), b64) == 0 &&
	    (unsigned long long)json_integer_value(json_object_get(kv,
	    "Index")) == cas;
}

static void
lengths(void)
{
	static const char *values[] = { "", "a", "ab", "abc", "abcd",
	    "{\"record\":\"r\",\"expr\":\"up\"}" };
	static const char *b64[] = { "", "YQ==", "YWI=", "YWJj", "YWJjZA==",
	    "eyJyZWNvcmQiOiJyIiwiZXhwciI6InVwIn0=" };
	static const unsigned long long cas[] = { 0, 9, 10, 9223372036854775807ULL };
	struct txn_body b = { NULL, 0, 0, 0 };
	size_t i, want = 2, klen, bad = 0, badread = 0;
	char *key = txn_json_string("p\"re/fix\\/12", &klen);
	json_t *doc;

	txn_body_start(&b, 0);
	for (i = 0; i < 6; i++) {
		size_t len = txn_cas_len(klen, strlen(values[i]), cas[i % 4]);
		size_t at = b.len;

		want += len + (i > 0);
		txn_body_cas(&b, key, klen, values[i], strlen(values[i]),
		    cas[i % 4]);
		bad += b.len - at - (i > 0) != len;
	}
	txn_body_delete_cas(&b, key, klen, 77);
	want += txn_delete_cas_len(klen, 77) + 1;
	txn_body_end(&b);
	CHECK(bad == 0, "txn_cas_len is each operation's length");
	CHECK(b.len == want && strlen(b.text) == b.len,
	    "the body's length is 2 + the operations' + the commas (%zu)",
	    b.len);
	doc = json_loadb(b.text, b.len, 0, NULL);
	for (i = 0; i < 6; i++)
		badread += !is_cas(doc, i, "p\"re/fix\\/12", b64[i], cas[i % 4]);
	CHECK(doc != NULL && badread == 0, "jansson reads back each cas");
	CHECK(json_array_size(doc) == 7 && strcmp(json_string_value(
	    json_object_get(json_object_get(json_array_get(doc, 6), "KV"),
	    "Verb")), "delete-cas") == 0, "...and the delete-cas");
	json_decref(doc);
	free(key);
	txn_body_free(&b);
}

static void
limits(void)
{
	struct txn_size s = TXN_SIZE_EMPTY;
	int i, n = 0;

	CHECK(txn_size_add(&s, 100, 64, 102) && s.bytes == 102,
	    "one operation of 100 bytes makes a body of 102, the limit");
	CHECK(!txn_size_add(&s, 0, 64, 102) && s.ops == 1,
	    "not one byte more: the comma alone passes it");
	s = (struct txn_size)TXN_SIZE_EMPTY;
	CHECK(txn_size_add(&s, 100, 64, 204) && txn_size_add(&s, 101, 64, 204) &&
	    s.bytes == 204, "100 + 101 bytes and a comma: 204, the limit");
	s = (struct txn_size)TXN_SIZE_EMPTY;
	for (i = 0; i < 100; i++)
		n += txn_size_add(&s, 1, 64, 1 << 20);
	CHECK(n == 64 && s.ops == 64, "64 operations, not 65");
	CHECK(txn_op_fits_alone(100, 102) && !txn_op_fits_alone(101, 102),
	    "an operation fits alone when it and its brackets do");
}

int
main(void)
{
	lengths();
	limits();
	return test_status();
}
