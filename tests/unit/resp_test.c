/*
 * Unit tests of src/common/resp.c: commands written as hiredis's own
 * redisFormatCommandArgv() writes them, byte for byte (what redisput sent
 * before), for arguments empty, binary, long and many.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "resp.h"
#include "test.h"

/* Whether resp_format() writes argv as hiredis does, buffer reused. */
static int
as_hiredis(char **buf, size_t *cap, int argc, const char **argv,
    const size_t *lens)
{
	char *theirs = NULL;
	int n = redisFormatCommandArgv(&theirs, argc, argv, lens);
	size_t len = resp_format(buf, cap, argc, argv, lens);
	int same = n > 0 && len == (size_t)n && memcmp(*buf, theirs, len) == 0;

	redisFreeCommand(theirs);
	return same;
}

int
main(void)
{
	static const char *set[] = { "SET", "k", "v" };
	static const char *binary[] = { "MSET", "a\r\nb", "\0\xff\r", "" };
	static const size_t binlens[] = { 4, 4, 3, 0 };
	const char **many = calloc(2001, sizeof(*many));
	size_t *lens = calloc(2001, sizeof(*lens)), cap = 0, i;
	char *big = malloc(100001), *buf = NULL;

	CHECK(as_hiredis(&buf, &cap, 3, set, NULL), "SET k v, strings");
	CHECK(as_hiredis(&buf, &cap, 4, binary, binlens),
	    "binary arguments: CR LF, NUL, 0xff, empty");
	memset(big, 'x', 100000);
	big[100000] = '\0';
	many[0] = "MSET";
	lens[0] = 4;
	for (i = 1; i < 2001; i++) {
		many[i] = i % 2 ? "hke:heavy_expr:e8bfa4f2c04a2b1b5fbd2e1bd54dfaa5" :
		    i == 1000 ? big : "rate(x{job=\"a\"}[5m])";
		lens[i] = strlen(many[i]);
	}
	CHECK(as_hiredis(&buf, &cap, 2001, many, lens),
	    "2001 arguments, one of 100000 bytes, after a small command");
	CHECK(as_hiredis(&buf, &cap, 3, set, NULL),
	    "a small command again, the buffer kept");
	free(buf);
	free(big);
	free(many);
	free(lens);
	return test_status();
}
