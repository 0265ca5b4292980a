/*
 * fnv: the 64-bit FNV-1a hash, for the maps of record names and for
 * telling two stored expressions apart (64 bits make a false match moot).
 * Quick and good enough for names, which are mostly hex.
 */
#ifndef RECSYNC_FNV_H
#define RECSYNC_FNV_H

#include <stddef.h>
#include <stdint.h>

uint64_t	fnv1a(const char *data, size_t len);
/* The same hash of a NUL-terminated string, without a strlen() first. */
uint64_t	fnv1a_str(const char *s);

#endif
