/* Unit tests of src/common/base64.c. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "test.h"
#include "../fuzz/base64_ref.h"

/* Whether text decodes to want (want NULL: is refused). */
static int
decodes(const char *text, const char *want, size_t wantlen)
{
	char *out;
	size_t len;
	int rc = base64_decode(text, strlen(text), &out, &len), ok;

	if (want == NULL)
		return rc != 0;
	ok = rc == 0 && len == wantlen && memcmp(out, want, len) == 0 &&
	    out[len] == '\0';
	free(out);
	return ok;
}

static const char set[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Whether base64_decode_into() gives the reference's answer on text. */
static int
as_reference(const char *text, size_t len, char **buf, size_t *cap)
{
	char want[256];
	size_t wlen, glen;
	int rc = b64_decode(text, len, want, &wlen);

	if (base64_decode_into(text, len, buf, cap, &glen) != 0)
		return rc != 0;
	return rc == 0 && glen == wlen && memcmp(*buf, want, wlen) == 0 &&
	    (*buf)[glen] == '\0';
}

/*
 * Texts of every length to 160 of random digits (and pads), then each
 * with every byte value put at every place: the fast paths (32 digits at
 * a time) and the byte-at-a-time one must answer as the reference does.
 */
static int
against_reference(void)
{
	char text[161], *buf = NULL;
	size_t len, at, cap = 0;
	int v, ok = 1;

	srand(7);
	for (len = 0; len <= 160 && ok; len++) {
		for (at = 0; at < len; at++)
			text[at] = set[rand() % 64];
		if (len >= 4 && rand() % 2)
			text[len - 1] = '=';
		if (len >= 4 && rand() % 3 == 0)
			text[len - 2] = '=';
		ok &= as_reference(text, len, &buf, &cap);
		for (at = 0; at < len && ok; at++) {
			char was = text[at];

			for (v = 0; v < 256 && ok; v++) {
				text[at] = (char)v;
				ok &= as_reference(text, len, &buf, &cap);
			}
			text[at] = was;
		}
	}
	free(buf);
	return ok;
}

int
main(void)
{
	char *e = base64_encode("ab\0c", 4), *buf = NULL;
	size_t cap = 0, len;

	CHECK(strcmp(e, "YWIAYw==") == 0, "encode, a NUL byte inside");
	free(e);
	CHECK(decodes("YWIAYw==", "ab\0c", 4), "decode, two pads");
	CHECK(decodes("YWJj", "abc", 3), "decode, no pad");
	CHECK(decodes("YWI=", "ab", 2), "decode, one pad");
	CHECK(decodes("", "", 0), "decode, empty");
	CHECK(decodes("YWJ", NULL, 0), "refused: not a multiple of 4");
	CHECK(decodes(" YWJj", NULL, 0) && decodes("YWJj\n", NULL, 0),
	    "refused: blanks around");
	CHECK(decodes("YW=j", NULL, 0), "refused: '=' inside");
	CHECK(decodes("YW*j", NULL, 0), "refused: a byte out of the set");
	CHECK(decodes("Y===", NULL, 0), "refused: three pads");
	CHECK(base64_decode_into("YWJjZGVm", 8, &buf, &cap, &len) == 0 &&
	    len == 6 && strcmp(buf, "abcdef") == 0 &&
	    base64_decode_into("eA==", 4, &buf, &cap, &len) == 0 &&
	    len == 1 && strcmp(buf, "x") == 0 && cap >= 7,
	    "decode_into keeps its buffer for the next value");
	free(buf);
	CHECK(against_reference(), "every length to 160, every byte at every "
	    "place: as RFC 4648 has it");
	return test_status();
}
