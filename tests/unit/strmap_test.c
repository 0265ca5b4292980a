/* Unit tests of src/common/strmap.c and src/common/hash.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#include "strmap.h"
#include "test.h"

/*
 * Whether texts of each length up to 40 that differ in one byte, by every
 * byte value at every place, all hash apart from the text of zeros.
 */
static int
one_byte_apart(void)
{
	char text[40];
	size_t len, at;
	int v;

	for (len = 1; len <= sizeof(text); len++) {
		uint64_t zeros;

		memset(text, 0, sizeof(text));
		zeros = hash_bytes(text, len);
		for (at = 0; at < len; at++) {
			for (v = 1; v < 256; v++) {
				text[at] = (char)v;
				if (hash_bytes(text, len) == zeros)
					return 0;
			}
			text[at] = 0;
		}
	}
	return 1;
}

/*
 * The share of 2^18 buckets that 2^18 record names, alike but for their
 * last 32 hex digits, leave empty by their hash's low bits: about 1/e
 * when the hash spreads them as random ones would.
 */
static double
empty_buckets(void)
{
	enum { BITS = 18, N = 1 << BITS };
	unsigned char *used = calloc(N, 1);
	char name[64];
	int i, n, empty = 0;

	for (i = 0; i < N; i++) {
		n = snprintf(name, sizeof(name), "hke:heavy_expr:%016x%016x",
		    (unsigned)i * 2654435761u, (unsigned)i);
		used[hash_bytes(name, (size_t)n) & (N - 1)] = 1;
	}
	for (i = 0; i < N; i++)
		empty += !used[i];
	free(used);
	return (double)empty / N;
}

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
	CHECK(strmap_get_hashed(m, "k7", strmap_hash("k7")) == &keys[7] &&
	    strmap_add_hashed(m, "k7", strmap_hash("k7"), NULL) == 0,
	    "the _hashed calls find what the others added");
	strmap_free(m);
	CHECK(hash_bytes("abc", 3) == hash_bytes("abcd", 3) &&
	    hash_bytes("abc", 3) != hash_bytes("abc", 4) &&
	    hash_bytes("", 0) != hash_bytes("\0", 1),
	    "a hash of the bytes given, their length in it");
	CHECK(one_byte_apart(), "texts one byte apart never collide");
	CHECK(empty_buckets() > 0.36 && empty_buckets() < 0.376,
	    "names alike spread as random ones over the buckets (%.4f empty; "
	    "1/e is 0.3679)", empty_buckets());
	return test_status();
}
