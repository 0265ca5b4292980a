#include <string.h>

#include "diag.h"
#include "resp.h"
#include "xalloc.h"

/* c, then n in decimal, then CR LF, at p; where that ends. */
static char *
put_header(char *p, char c, size_t n)
{
	char digits[24];
	size_t d = sizeof(digits);

	do
		digits[--d] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	*p++ = c;
	memcpy(p, digits + d, sizeof(digits) - d);
	p += sizeof(digits) - d;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

size_t
resp_format(char **buf, size_t *cap, int argc, const char **argv,
    const size_t *lens)
{
	size_t need = 24, len, i;
	char *p;

	/* Each argument: '$', up to 20 digits, CR LF, its bytes, CR LF. */
	for (i = 0; i < (size_t)argc; i++)
		need += (lens ? lens[i] : strlen(argv[i])) + 25;
	if (need > *cap) {
		*cap = need * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	p = put_header(*buf, '*', (size_t)argc);
	for (i = 0; i < (size_t)argc; i++) {
		len = lens ? lens[i] : strlen(argv[i]);
		p = put_header(p, '$', len);
		memcpy(p, argv[i], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	return (size_t)(p - *buf);
}

void
resp_append(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	static char *buf;
	static size_t cap;
	size_t len = resp_format(&buf, &cap, argc, argv, lens);

	if (redisAppendFormattedCommand(c, buf, len) != REDIS_OK)
		die(EX_OSERR, "out of memory queueing a Redis command");
}
