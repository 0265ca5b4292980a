#include "fnv.h"

#define FNV_OFFSET	14695981039346656037ULL
#define FNV_PRIME	1099511628211ULL

uint64_t
fnv1a(const char *data, size_t len)
{
	uint64_t h = FNV_OFFSET;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * FNV_PRIME;
	return h;
}

uint64_t
fnv1a_str(const char *s)
{
	uint64_t h = FNV_OFFSET;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}
