/* Unit tests of src/common/jsonsplit.c. */
#include <stdlib.h>
#include <string.h>

#include "jsonsplit.h"
#include "test.h"

static char got[4096];

static int
collect(const char *text, size_t len, void *arg)
{
	(void)arg;
	strncat(got, text, len);
	strcat(got, "|");
	return 0;
}

/* Splits n bytes fed in pieces of `piece` bytes; 0 when the array was whole. */
static int
split_n(const char *text, size_t n, size_t piece)
{
	struct json_split s;
	size_t i;
	int rc = 0;

	got[0] = '\0';
	json_split_init(&s, collect, NULL);
	for (i = 0; i < n && rc == 0; i += piece)
		rc = json_split_feed(&s, text + i, n - i < piece ? n - i : piece);
	if (rc == 0)
		rc = json_split_end(&s);
	json_split_free(&s);
	return rc;
}

static int
split(const char *text, size_t piece)
{
	return split_n(text, strlen(text), piece);
}

int
main(void)
{
	static const char arr[] =
	    " [ {\"Key\":\"a,]\",\"V\":[1,{\"x\":\"}\\\"\"}]} ,\"s\\\\\", 12 ,null]\n";
	static const char want[] =
	    "{\"Key\":\"a,]\",\"V\":[1,{\"x\":\"}\\\"\"}]}|\"s\\\\\"|12|null|";
	size_t piece;
	int all = 1;

	for (piece = 1; piece <= sizeof(arr); piece++)
		all &= split(arr, piece) == 0 && strcmp(got, want) == 0;
	CHECK(all, "elements found whatever the piece size (1..%zu bytes)",
	    sizeof(arr));
	CHECK(split("[]", 1) == 0 && got[0] == '\0', "an empty array");
	CHECK(split("[", 4) != 0, "an array never closed");
	CHECK(split("[1,]", 4) != 0, "a trailing comma");
	CHECK(split("[,1]", 4) != 0, "a leading comma");
	CHECK(split("{\"a\":1}", 4) != 0, "an object is not an array");
	CHECK(split("[1] x", 2) != 0, "text after the array");
	CHECK(split("[1}]", 2) != 0, "an unbalanced bracket");
	/* jansson would take the element "1\0" whole: the split must not. */
	CHECK(split_n("[1\0]", 4, 1) != 0, "a NUL after an element");
	CHECK(split_n("[true\0,2]", 9, 3) != 0, "a NUL after true");
	CHECK(split_n("[1, \0 2]", 8, 8) != 0, "a NUL between elements");
	CHECK(split_n("\0[1]", 4, 4) != 0, "a NUL before the array");
	CHECK(split_n("[1]\0", 4, 2) != 0, "a NUL after the array");
	CHECK(split_n("[\"a\0b\"]", 7, 7) != 0, "a NUL inside a string");
	return test_status();
}
