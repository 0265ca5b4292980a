/*
 * Unit tests of redis_url_parse(): the sentinel and cluster forms, and the
 * message each malformed URL gets, which must name the part that is wrong
 * and never quote the password.  Parsing connects to nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "redis_url.h"
#include "test.h"

/* The message parsing text gives, or "" when it parses. */
static const char *
fault(const char *text)
{
	struct redis_url u;
	const char *why = "";

	if (redis_url_parse(text, &u, &why) == 0) {
		redis_url_free(&u);
		return "";
	}
	return why;
}

static int
has(const char *text, const char *part)
{
	return strstr(fault(text), part) != NULL;
}

static void
check_sentinel(void)
{
	struct redis_url u;
	const char *why;
	char *disp;

	CHECK(redis_url_parse("redis+sentinel://al:pw%40x@h1:26380,[::1],h3/"
	    "mymaster/2?sentinel_password=spw&sentinel_username=su", &u,
	    &why) == 0, "a full sentinel URL parses");
	CHECK(u.kind == REDIS_SENTINEL && u.nnodes == 3, "three sentinels");
	CHECK(strcmp(u.nodes[0].host, "h1") == 0 && u.nodes[0].port == 26380,
	    "first sentinel and its port");
	CHECK(strcmp(u.nodes[1].host, "::1") == 0 && u.nodes[1].port == 26379,
	    "IPv6 sentinel with the default port 26379");
	CHECK(strcmp(u.master, "mymaster") == 0 && u.db == 2, "master and db");
	CHECK(strcmp(u.password, "pw@x") == 0 &&
	    strcmp(u.sentinel_password, "spw") == 0 &&
	    strcmp(u.sentinel_user, "su") == 0 && strcmp(u.user, "al") == 0,
	    "data and sentinel credentials kept apart");
	disp = redis_url_display(&u);
	CHECK(strcmp(disp, "redis+sentinel://al:***@h1:26380,[::1]:26379,"
	    "h3:26379/mymaster/2?sentinel_username=su&sentinel_password=***")
	    == 0, "display masks both passwords (%s)", disp);
	free(disp);
	redis_url_free(&u);
}

static void
check_cluster(void)
{
	struct redis_url u;
	const char *why;
	char *disp;

	CHECK(redis_url_parse("redis+cluster://:s3cret@10.0.0.1:7000,"
	    "10.0.0.2?user=bob", &u, &why) == 0, "a cluster URL parses");
	CHECK(u.kind == REDIS_CLUSTER && u.nnodes == 2 &&
	    u.nodes[1].port == 6379, "two seeds, the default port 6379");
	disp = redis_url_display(&u);
	CHECK(strcmp(disp, "redis+cluster://bob:***@10.0.0.1:7000,"
	    "10.0.0.2:6379") == 0, "display masks the password (%s)", disp);
	free(disp);
	redis_url_free(&u);
}

int
main(void)
{
	unsetenv("REDISCLI_AUTH");
	check_sentinel();
	check_cluster();
	CHECK(*fault("redis://h:6379/1") == '\0', "redis:// still parses");
	CHECK(has("redis+sentinel://h:1", "no master name"),
	    "sentinel without a master name");
	CHECK(has("redis+sentinel://h:1/", "no master name"),
	    "sentinel with an empty master name");
	CHECK(has("redis+sentinel:///m", "host list is empty"),
	    "sentinel with no host");
	CHECK(has("redis+cluster://:pw@", "host list is empty"),
	    "cluster with no host");
	CHECK(has("redis+cluster://a:1,,b:2", "empty entry"),
	    "an empty entry in the host list");
	CHECK(has("redis+cluster://a:1,b:70000", "port of host 2 of the list"),
	    "a port out of range names its host");
	CHECK(has("redis+sentinel://a:0/m", "port of host 1 of the list"),
	    "port 0");
	CHECK(has("redis://h:99999", "the port is not a number"),
	    "redis:// port out of range");
	CHECK(has("redis+clutser://h:1", "unknown scheme 'redis+clutser'"),
	    "an unknown scheme is named");
	CHECK(has("pw:secret@h", "does not start with a scheme"),
	    "no scheme at all");
	CHECK(strstr(fault("x://:hunter2@h"), "hunter2") == NULL,
	    "the password is never quoted");
	CHECK(has("redis+cluster://h:1/3", "only db 0"), "a cluster db");
	CHECK(has("redis+cluster://h:1?db=3", "only db 0"), "a cluster db=");
	CHECK(has("redis+sentinel://h/m/x", "not a db number"),
	    "a sentinel db that is not a number");
	CHECK(has("redis+cluster://h?sentinel_password=x", "unknown query"),
	    "sentinel_password belongs to sentinel URLs");
	CHECK(has("rediss+cluster://h", "TLS"), "TLS is refused by name");
	return test_status();
}
