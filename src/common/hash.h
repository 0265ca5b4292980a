/*
 * hash: a 64-bit hash of bytes, for the maps of record names and for
 * telling two stored expressions apart (64 bits make a false match moot).
 * Eight bytes a step, where a byte at a time took a tenth of kvdiff's
 * instructions at a million names and expressions.  Each step is a
 * bijection of the state, so two texts of one length that differ in one
 * word never collide; a final avalanche spreads every bit over the hash.
 * Not for hostile keys (no seed), nor kept anywhere: it may change.
 */
#ifndef RECSYNC_HASH_H
#define RECSYNC_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t	hash_bytes(const char *data, size_t len);

#endif
