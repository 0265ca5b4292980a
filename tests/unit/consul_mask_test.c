/* Unit tests of consul_mask_password() in src/common/consul.c. */
#include <stdlib.h>
#include <string.h>

#include "consul.h"
#include "test.h"

/* Whether addr is shown as want. */
static int
shown_as(const char *addr, const char *want)
{
	char *got = consul_mask_password(addr);
	int same = strcmp(got, want) == 0;

	if (!same)
		printf("# %s: got %s, want %s\n", addr, got, want);
	free(got);
	return same;
}

int
main(void)
{
	CHECK(shown_as("http://user:pw@host:8500", "http://user:***@host:8500"),
	    "the password masked, the user kept");
	CHECK(shown_as("user:pw@host:8500", "user:***@host:8500"),
	    "host:port with user information");
	CHECK(shown_as("https://u:p@ss:w@h/x", "https://u:***@h/x"),
	    "a password holding '@': up to the last one");
	CHECK(shown_as("http://u:p/w@h:1", "http://u:***@h:1"),
	    "a password holding an unescaped '/'");
	CHECK(shown_as("http://u@h:1", "http://u@h:1"), "a user alone");
	CHECK(shown_as("http://h:8500", "http://h:8500"), "no user information");
	CHECK(shown_as("127.0.0.1:8500", "127.0.0.1:8500"), "host:port");
	CHECK(shown_as("http://:pw@h", "http://:***@h"), "a password alone");
	return test_status();
}
