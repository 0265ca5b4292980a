/* Unit tests of consul_kv_path() in src/common/consul.c. */
#include <stdlib.h>
#include <string.h>

#include "consul.h"
#include "test.h"

/* Whether key becomes want, with query appended when not NULL. */
static int
path_is(const char *key, const char *query, const char *want)
{
	char *got = consul_kv_path(key, query);
	int same = strcmp(got, want) == 0;

	if (!same)
		printf("# %s: got %s, want %s\n", key, got, want);
	free(got);
	return same;
}

int
main(void)
{
	CHECK(path_is("prometheus/records/7", NULL,
	    "/v1/kv/prometheus/records/7"), "slashes kept between segments");
	CHECK(path_is("prometheus/records/", "recurse",
	    "/v1/kv/prometheus/records/?recurse"), "a trailing slash, a query");
	CHECK(path_is("a b/c?d#e", NULL, "/v1/kv/a%20b/c%3Fd%23e"),
	    "each segment escaped");
	CHECK(path_is("a//b/7", NULL, "/v1/kv/a//b/7"),
	    "an empty segment does not escape the rest");
	CHECK(path_is("/lead", NULL, "/v1/kv//lead"), "a leading slash");
	return test_status();
}
