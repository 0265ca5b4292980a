#include <string.h>

#include "hash.h"

/* The golden ratio's and MurmurHash3's finalizer's odd constants. */
#define K0	0x9e3779b97f4a7c15ULL
#define K1	0xff51afd7ed558ccdULL
#define K2	0xc4ceb9fe1a85ec53ULL

static uint64_t
step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * K1;
	return h ^ h >> 32;
}

uint64_t
hash_bytes(const char *data, size_t len)
{
	uint64_t h = K0 * (len + 1), w = 0;
	size_t i;

	for (; len >= 8; data += 8, len -= 8) {
		memcpy(&w, data, 8);
		h = step(h, w);
	}
	if (len > 0) {
		for (w = 0, i = 0; i < len; i++)
			w |= (uint64_t)(unsigned char)data[i] << (8 * i);
		h = step(h, w);
	}
	h ^= h >> 33;
	h *= K1;
	h ^= h >> 33;
	h *= K2;
	return h ^ h >> 33;
}
