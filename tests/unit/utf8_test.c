/* Unit tests of src/common/utf8.c. */
#include "test.h"
#include "utf8.h"

/* Whether s decodes to a sequence of len bytes holding want (len 0: none). */
static int
decodes(const char *s, size_t len, unsigned long want)
{
	unsigned long cp = 0;
	size_t n = utf8_decode((const unsigned char *)s, &cp);

	return n == len && (len == 0 || cp == want);
}

int
main(void)
{
	CHECK(decodes("a", 1, 'a'), "ASCII");
	CHECK(decodes("\x1b", 1, 0x1b), "a C0 control is one byte");
	CHECK(decodes("\xc3\xa9", 2, 0xe9), "two bytes: U+00E9");
	CHECK(decodes("\xc2\x9b", 2, 0x9b), "a C1 control decodes (callers judge it)");
	CHECK(decodes("\xe7\x94\x9f", 3, 0x751f), "three bytes: U+751F");
	CHECK(decodes("\xf0\x9f\x98\x80", 4, 0x1f600), "four bytes: U+1F600");
	CHECK(decodes("\xc0\xaf", 0, 0), "overlong two bytes");
	CHECK(decodes("\xe0\x80\xaf", 0, 0), "overlong three bytes");
	CHECK(decodes("\xed\xa0\x80", 0, 0), "a surrogate");
	CHECK(decodes("\xf4\x90\x80\x80", 0, 0), "above U+10FFFF");
	CHECK(decodes("\x80", 0, 0), "a lone continuation byte");
	CHECK(decodes("\xe7\x94", 0, 0), "cut short by the NUL");
	CHECK(decodes("\xff", 0, 0), "0xff");
	return test_status();
}
