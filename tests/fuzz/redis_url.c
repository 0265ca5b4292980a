/*
 * The Redis URL parser (src/common/redis_url.c): whatever the text, a URL
 * that parses names one TCP address or one socket path (redis://, unix://)
 * or a list of nodes (redis+sentinel://, redis+cluster://), ports from 1
 * to 65535 and a db of 0 or more; a refusal says why and leaves nothing;
 * the URL shown in messages never depends on the passwords (they are
 * masked) and parses back to the same kind, place, user and db.
 */
#include <string.h>

#include "fuzz.h"
#include "redis_url.h"

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether the passwords are set alike in a and b. */
static int
same_secrets(const struct redis_url *a, const struct redis_url *b)
{
	return (a->password == NULL) == (b->password == NULL) &&
	    (a->sentinel_password == NULL) == (b->sentinel_password == NULL);
}

static int
same_nodes(const struct redis_url *a, const struct redis_url *b)
{
	size_t i;

	if (a->nnodes != b->nnodes)
		return 0;
	for (i = 0; i < a->nnodes; i++)
		if (!same(a->nodes[i].host, b->nodes[i].host) ||
		    a->nodes[i].port != b->nodes[i].port)
			return 0;
	return 1;
}

/* The display of u with other passwords, where u has some. */
static char *
shown_with_other_passwords(struct redis_url *u)
{
	char *pw = u->password, *spw = u->sentinel_password, *shown;

	u->password = pw ? strdup(pw[0] == 'x' ? "y" : "x") : NULL;
	u->sentinel_password = spw ? strdup(spw[0] == 'x' ? "y" : "x") : NULL;
	shown = redis_url_display(u);
	free(u->password);
	free(u->sentinel_password);
	u->password = pw;
	u->sentinel_password = spw;
	return shown;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct redis_url u, back;
	const char *why = NULL;
	char *text, *shown, *shown2;
	size_t i;

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
	if (u.kind == REDIS_SERVER) {
		FUZZ_CHECK((u.host == NULL) != (u.path == NULL),
		    "a host or a socket path, not both");
		FUZZ_CHECK(u.port >= 1 && u.port <= 65535,
		    "a port from 1 to 65535");
	} else
		FUZZ_CHECK(u.host == NULL && u.path == NULL && u.nnodes > 0 &&
		    (u.kind == REDIS_CLUSTER || u.master != NULL),
		    "nodes, and for sentinels the master's name");
	for (i = 0; i < u.nnodes; i++)
		FUZZ_CHECK(u.nodes[i].host != NULL && u.nodes[i].port >= 1 &&
		    u.nodes[i].port <= 65535, "each node a host and a port");
	FUZZ_CHECK(u.db >= 0, "a db of 0 or more");
	FUZZ_CHECK(u.path == NULL || (u.path[0] != '\0' &&
	    strlen(u.path) < 108), "a socket path that fits sun_path");
	shown = redis_url_display(&u);
	shown2 = shown_with_other_passwords(&u);
	FUZZ_CHECK(strcmp(shown, shown2) == 0, "the passwords are masked");
	FUZZ_CHECK(redis_url_parse(shown, &back, &why) == 0,
	    "the URL shown parses");
	FUZZ_CHECK(u.kind == back.kind && same(u.host, back.host) &&
	    same(u.path, back.path) && u.port == back.port &&
	    same_nodes(&u, &back) && same(u.master, back.master) &&
	    u.db == back.db && same(u.user, back.user) &&
	    same(u.sentinel_user, back.sentinel_user),
	    "to the same kind, place, user and db");
	FUZZ_CHECK(same_secrets(&u, &back),
	    "with passwords where there were some");
	redis_url_free(&back);
	redis_url_free(&u);
	free(shown);
	free(shown2);
	free(text);
	return 0;
}
