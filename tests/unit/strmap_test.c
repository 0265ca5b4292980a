/* Unit tests of src/common/strmap.c. */
#include <stdio.h>
#include <stdlib.h>

#include "strmap.h"
#include "test.h"

int
main(void)
{
	enum { N = 100000 };
	struct strmap *m = strmap_new();
	static char keys[N][16];
	int i, added = 0, found = 0;

	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		added += strmap_add(m, keys[i], &keys[i]);
	}
	CHECK(added == N && strmap_count(m) == N, "%d distinct keys added", N);
	CHECK(strmap_add(m, "k5", NULL) == 0, "a key already there is not added");
	for (i = 0; i < N; i++)
		found += strmap_get(m, keys[i]) == &keys[i];
	CHECK(found == N, "every key finds its value after growing");
	CHECK(strmap_get(m, "missing") == NULL, "a missing key gives NULL");
	CHECK(strmap_get(m, "") == NULL, "the empty key gives NULL");
	strmap_free(m);
	return test_status();
}
