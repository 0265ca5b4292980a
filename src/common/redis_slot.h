/*
 * redis_slot: which of Redis Cluster's 16384 hash slots a key belongs to,
 * as the cluster specification defines it: CRC16 (XMODEM: polynomial
 * 0x1021, initial value 0, no reflection) of the key modulo 16384, or of
 * its hash tag, the bytes between the first '{' and the first '}' after
 * it, when there are any.  Pure functions: nothing is allocated.
 */
#ifndef RECSYNC_REDIS_SLOT_H
#define RECSYNC_REDIS_SLOT_H

#include <stddef.h>

#define REDIS_SLOTS	16384

/* CRC16/XMODEM of buf[0..len): "123456789" gives 0x31C3. */
unsigned	redis_crc16(const char *buf, size_t len);
/* The slot of key[0..len), honouring a hash tag. */
unsigned	redis_key_slot(const char *key, size_t len);

#endif
