/* Unit tests of src/common/base64.c. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "test.h"

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
	return test_status();
}
