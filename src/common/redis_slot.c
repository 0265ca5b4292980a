#include <string.h>

#include "redis_slot.h"

unsigned
redis_crc16(const char *buf, size_t len)
{
	unsigned crc = 0;
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned)(unsigned char)buf[i] << 8;
		for (bit = 0; bit < 8; bit++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
		crc &= 0xffff;
	}
	return crc;
}

unsigned
redis_key_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;
	size_t rest;

	/* An empty tag ("{}") or an unclosed '{' hashes the whole key. */
	if (open != NULL) {
		rest = len - (size_t)(open - key) - 1;
		close = memchr(open + 1, '}', rest);
		if (close != NULL && close > open + 1)
			return redis_crc16(open + 1,
			    (size_t)(close - open - 1)) & (REDIS_SLOTS - 1);
	}
	return redis_crc16(key, len) & (REDIS_SLOTS - 1);
}
