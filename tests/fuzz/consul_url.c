/*
 * The Consul address parser (consul_address_url() in src/common/consul.c),
 * with and without CONSUL_HTTP_SSL: an address taken becomes an http:// or
 * https:// URL (https whenever SSL is asked for) with a host after the
 * scheme and no slash at the end, that is the address itself but for the
 * scheme and those slashes, and that parses back to itself.
 */
#include <string.h>

#include "consul.h"
#include "fuzz.h"

static const char *
after_scheme(const char *s)
{
	const char *p = strstr(s, "://");

	return p ? p + 3 : s;
}

static void
check(const char *addr, int https)
{
	const char *why = NULL, *host;
	char *url, *again;
	size_t n;

	if ((url = consul_address_url(addr, https, &why)) == NULL) {
		FUZZ_CHECK(why != NULL, "a refusal says why");
		return;
	}
	FUZZ_CHECK(strncmp(url, "https://", 8) == 0 ||
	    (!https && strncmp(url, "http://", 7) == 0),
	    "an http:// or https:// URL, https when SSL is asked for");
	host = after_scheme(url);
	FUZZ_CHECK(*host != '\0' && *host != '/', "a host after the scheme");
	n = strlen(url);
	FUZZ_CHECK(url[n - 1] != '/', "no slash at the end");
	FUZZ_CHECK(strncmp(after_scheme(addr), host, strlen(host)) == 0 &&
	    strspn(after_scheme(addr) + strlen(host), "/") ==
	    strlen(after_scheme(addr) + strlen(host)),
	    "the address itself, but for the scheme and the slashes at the end");
	again = consul_address_url(url, https, &why);
	FUZZ_CHECK(again != NULL && strcmp(again, url) == 0,
	    "the URL parses back to itself");
	free(again);
	free(url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *addr;

	fuzz_init("fuzz-consul-url");
	if (memchr(data, '\0', size) != NULL)
		return 0;
	addr = strndup((const char *)data, size);
	check(addr, 0);
	check(addr, 1);
	free(addr);
	return 0;
}
