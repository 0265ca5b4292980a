/* Unit tests of src/common/jsonedit.c: one member edited, no other byte. */
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "test.h"

static const struct {
	const char	*text, *key, *value, *want;
} cases[] = {
	/* replaced in place */
	{ "{\"a\":1, \"index\" : 7 ,\"b\":1.10}", "index", "8",
	  "{\"a\":1, \"index\" : 8 ,\"b\":1.10}" },
	{ "{\"index\":{\"x\":[1,\"}\"]},\"b\":1e2}", "index", "3",
	  "{\"index\":3,\"b\":1e2}" },
	{ "{\"\\u0069ndex\":1,\"b\":2}", "index", "5",
	  "{\"\\u0069ndex\":5,\"b\":2}" },
	/* added at the end */
	{ "{\"a\":\"x\\\"}\", \"n\": { \"y\" :[1 ,2.50]} }", "index", "4",
	  "{\"a\":\"x\\\"}\", \"n\": { \"y\" :[1 ,2.50]},\"index\":4 }" },
	{ "{}", "index", "1", "{\"index\":1}" },
	{ "{ }", "error", "\"e\"", "{\"error\":\"e\" }" },
	/* removed: first, middle, last, only, absent */
	{ "{\"index\":1, \"a\":1.10}", "index", NULL, "{\"a\":1.10}" },
	{ "{\"a\":1,\"index\":2 , \"b\":3}", "index", NULL, "{\"a\":1,\"b\":3}" },
	{ "{\"a\":1.0 , \"index\":2 }", "index", NULL, "{\"a\":1.0 }" },
	{ "{ \"index\":2 }", "index", NULL, "{ }" },
	{ "{\"a\":\"index\"}", "index", NULL, "{\"a\":\"index\"}" },
	/* a key that only contains the name is another key */
	{ "{\"indexes\":1}", "index", "2", "{\"indexes\":1,\"index\":2}" },
};

int
main(void)
{
	size_t i, len;
	char *out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = json_edit_member(cases[i].text, strlen(cases[i].text),
		    cases[i].key, cases[i].value, &len);
		CHECK(strcmp(out, cases[i].want) == 0 && len == strlen(out),
		    "%s %s %s: %s", cases[i].text, cases[i].key,
		    cases[i].value ? cases[i].value : "(removed)", out);
		free(out);
	}
	return test_status();
}
