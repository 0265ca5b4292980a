/*
 * A minimal harness for the unit tests of src/common: CHECK prints one
 * "ok - ..." or "not ok - ..." line the runner counts; main returns
 * test_status().
 */
#ifndef RECSYNC_TEST_H
#define RECSYNC_TEST_H

#include <stdio.h>

static int test_failed;

#define CHECK(cond, ...) do {						\
	int passed_ = (cond) ? 1 : 0;					\
									\
	printf("%s - ", passed_ ? "ok" : "not ok");			\
	printf(__VA_ARGS__);						\
	printf("%s\n", passed_ ? "" : "  [failed: " #cond "]");	\
	test_failed |= !passed_;					\
} while (0)

static inline int
test_status(void)
{
	return test_failed;
}

#endif
