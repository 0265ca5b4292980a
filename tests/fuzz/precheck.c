/*
 * qlogscan's raw pre-check (src/qlogscan/precheck.c) against its full
 * selection (select.c): a line the pre-check skips must never be one the
 * selection keeps, whatever the threshold; and it must answer as the slow
 * pre-check it replaced did (precheck_ref.h), line for line, with its
 * masks made by AVX2 (where the CPU has it) and by SSE2 alike.
 *
 * The first byte of the input picks the threshold and the rules (--instant,
 * --max-range, --max-time); the rest is one line of a query log, as
 * scan.c's classify() hands it to the pre-check: not the last partial
 * line, and without its line end.  classify() asks the pre-check before
 * it looks for a NUL byte, so a line holding one must never be skipped
 * (it is bad); the reference, which never saw such lines, is held to the
 * others only.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "precheck_ref.h"
#include "qlogscan.h"

static const double thresholds[] = {
	5, 0, 1e-9, 0.001, 0.1, 0.5, 1, 2.5, 10, 60, 3600, 1e300
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct rules ru = { .threshold = 5, .max_range = 6 * 3600,
	    .max_time = 40, .prefix = "hke:heavy_expr" };
	struct hit hit;
	char *line, *buf = NULL, *why = NULL;
	size_t len, bufcap = 0;
	enum reason r;
	int light;

	fuzz_init("fuzz-precheck");
	if (!once) {
		jalloc_init((size_t)64 << 20);
		once = 1;
	}
	if (size < 1)
		return 0;
	ru.threshold = thresholds[data[0] % (sizeof(thresholds) /
	    sizeof(thresholds[0]))];
	ru.instant = (data[0] & 0x10) != 0;
	if (data[0] & 0x20)
		ru.max_time = INFINITY;
	if (data[0] & 0x40)
		ru.max_range = INFINITY;
	len = size - 1;
	if (memchr(data + 1, '\n', len) != NULL)
		return 0;
	/* NUL-terminated, as lineread hands lines out. */
	line = malloc(len + 1);
	memcpy(line, data + 1, len);
	line[len] = '\0';
	light = !precheck_may_be_heavy(line, len, ru.threshold);
	if (memchr(line, '\0', len) != NULL) {
		FUZZ_CHECK(!light, "a line holding a NUL byte is never skipped");
		precheck_use_avx2(0);
		FUZZ_CHECK(precheck_may_be_heavy(line, len, ru.threshold),
		    "a line holding a NUL byte is never skipped (SSE2)");
		precheck_use_avx2(1);
		free(line);
		return 0;
	}
	FUZZ_CHECK(light == !precheck_ref(line, len, ru.threshold),
	    "the pre-check answers as the one it replaced");
	/* Its masks by SSE2 alone answer as those by AVX2, where the CPU
	 * has it. */
	precheck_use_avx2(0);
	FUZZ_CHECK(light == !precheck_may_be_heavy(line, len, ru.threshold),
	    "the pre-check answers the same by SSE2 and by AVX2");
	precheck_use_avx2(1);
	r = select_line(&ru, line, len, 0, &hit, &buf, &bufcap, &why);
	FUZZ_CHECK(!(light && r == R_SELECTED),
	    "a line the pre-check skips is one the selection keeps");
	FUZZ_CHECK((r == R_BAD || r == R_TOOLONG) == (why != NULL),
	    "a bad line, and only a bad line, says why");
	FUZZ_CHECK(r != R_SELECTED || strlen(hit.query) > 0,
	    "a selected query is not empty");
	free(why);
	free(buf);
	free(line);
	return 0;
}
