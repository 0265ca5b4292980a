/*
 * The Redis URL parser (src/common/redis_url.c): whatever the text, a URL
 * that parses names one TCP address or one socket path, a port from 1 to
 * 65535 and a db of 0 or more; a refusal says why and leaves nothing; the
 * URL shown in messages never depends on the password (it is masked) and
 * parses back to the same place, user and db.
 */
#include <string.h>

#include "fuzz.h"
#include "redis_url.h"

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct redis_url u, back;
	const char *why = NULL;
	char *text, *shown, *shown2, *pw;

	fuzz_init("fuzz-redis-url");
	if (!once) {
		unsetenv("REDISCLI_AUTH");
		once = 1;
	}
	/* An option or the environment never holds a NUL byte. */
	if (memchr(data, '\0', size) != NULL)
		return 0;
	text = strndup((const char *)data, size);
	if (redis_url_parse(text, &u, &why) != 0) {
		FUZZ_CHECK(why != NULL && u.host == NULL && u.path == NULL &&
		    u.user == NULL && u.password == NULL,
		    "a refusal says why and leaves nothing");
		free(text);
		return 0;
	}
	FUZZ_CHECK((u.host == NULL) != (u.path == NULL),
	    "a host or a socket path, not both");
	FUZZ_CHECK(u.port >= 1 && u.port <= 65535, "a port from 1 to 65535");
	FUZZ_CHECK(u.db >= 0, "a db of 0 or more");
	FUZZ_CHECK(u.path == NULL || (u.path[0] != '\0' &&
	    strlen(u.path) < 108), "a socket path that fits sun_path");
	shown = redis_url_display(&u);
	/* The same URL with another password must show the same. */
	pw = u.password;
	u.password = pw ? strdup(pw[0] == 'x' ? "y" : "x") : NULL;
	shown2 = redis_url_display(&u);
	free(u.password);
	u.password = pw;
	FUZZ_CHECK(strcmp(shown, shown2) == 0, "the password is masked");
	FUZZ_CHECK(redis_url_parse(shown, &back, &why) == 0,
	    "the URL shown parses");
	FUZZ_CHECK(same(u.host, back.host) && same(u.path, back.path) &&
	    u.port == back.port && u.db == back.db && same(u.user, back.user),
	    "to the same place, user and db");
	FUZZ_CHECK((u.password == NULL) == (back.password == NULL),
	    "with a password when there was one");
	redis_url_free(&back);
	redis_url_free(&u);
	free(shown);
	free(shown2);
	free(text);
	return 0;
}
