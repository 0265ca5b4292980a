/*
 * recflat (src/common/recflat.c) against recscan's general path (yajl held
 * to jansson's rules), on the same bytes: each line of the input, then the
 * whole input, each read asking for several members.  Whatever text recflat
 * takes, the general path takes too and finds the same in it, field for
 * field (tests/fuzz/recscan_diff.h); and recscan(), which tries recflat
 * first, finds what the general path finds, or refuses what it refuses.
 */
#include <string.h>

#include "fuzz.h"
#include "recflat.h"
#include "recscan.h"
#include "recscan_diff.h"

static const char *const wants[] = {
	NULL, "origin", "tracked_since", "", "record", "index", "a\"b",
	"\xc3\xa9",
};

static void
check_text(const char *text, size_t len)
{
	const struct recscan *any, *flat, *gen;
	const char *diff;
	size_t i;

	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		/* Each call keeps its result until its own next call. */
		any = recscan(text, len, wants[i]);
		gen = recscan_general(text, len, wants[i]);
		flat = recflat(text, len, wants[i]);
		FUZZ_CHECK(flat == NULL || gen != NULL,
		    "recflat takes only what the general path takes");
		diff = flat && gen ? recscan_diff(flat, gen) : NULL;
		FUZZ_CHECK(diff == NULL, diff);
		FUZZ_CHECK((any == NULL) == (gen == NULL),
		    "recscan refuses what the general path refuses");
		diff = any && gen ? recscan_diff(any, gen) : NULL;
		FUZZ_CHECK(diff == NULL, diff);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end, *nl;

	fuzz_init("fuzz-recflat");
	/* recscan() reads text without a NUL byte (record.c sees to that). */
	end = memchr(p, '\0', size);
	if (end == NULL)
		end = p + size;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		check_text(p, (size_t)(nl - p));
		p = nl + 1;
	}
	check_text(p, (size_t)(end - p));
	check_text((const char *)data, (size_t)(end - (const char *)data));
	return 0;
}
