/*
 * Unit tests of src/common/redis_slot.c.  The expected slots are what
 * CLUSTER KEYSLOT of redis-server 7.0 answers for the same keys.
 */
#include <string.h>

#include "redis_slot.h"
#include "test.h"

static unsigned
slot(const char *key)
{
	return redis_key_slot(key, strlen(key));
}

int
main(void)
{
	static const struct { const char *key; unsigned slot; } keyslot[] = {
		{ "foo", 12182 }, { "bar", 5061 }, { "hello", 866 },
		{ "123456789", 12739 }, { "hke:heavy_query_set", 8818 },
		{ "{user1000}.following", 3443 },
		{ "{user1000}.followers", 3443 },
		{ "foo{}{bar}", 8363 },		/* empty tag: whole key */
		{ "foo{{bar}}zap", 4015 },	/* tag "{bar" */
		{ "foo{bar}{zap}", 5061 },	/* first tag only: "bar" */
		{ "{}", 15257 }, { "a{", 14311 }, { "user}{x", 4681 },
	};
	size_t i;

	CHECK(redis_crc16("123456789", 9) == 0x31C3,
	    "CRC16/XMODEM check value of the cluster spec");
	CHECK(redis_crc16("", 0) == 0, "CRC16 of nothing");
	for (i = 0; i < sizeof(keyslot) / sizeof(keyslot[0]); i++)
		CHECK(slot(keyslot[i].key) == keyslot[i].slot,
		    "slot of %s is %u (got %u)", keyslot[i].key,
		    keyslot[i].slot, slot(keyslot[i].key));
	CHECK(redis_key_slot("a\0{b}", 5) == slot("b"),
	    "a NUL byte is part of the key");
	CHECK(redis_key_slot("{bar}", 3) == redis_key_slot("{ba", 3),
	    "only len bytes are read");
	return test_status();
}
