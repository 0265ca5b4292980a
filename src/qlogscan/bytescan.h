/*
 * The scans that take qlogscan's time, looking at many bytes a step: to the
 * end of a JSON string, and between strings to the next token that
 * matters.  With SSE2 (every x86-64) a step is 16 bytes, else 8 in a
 * 64-bit word.  Each returns the first byte of [p, end) of its kind, or
 * end; none reads outside [p, end).
 */
#ifndef QLOGSCAN_BYTESCAN_H
#define QLOGSCAN_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>

#define SCAN_STEP	16
typedef unsigned scan_mask;

static inline __m128i
scan_load(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline __m128i
scan_eq(__m128i x, char c)
{
	return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
}

/* '"' or '\\'. */
static inline scan_mask
scan_mask_escapable(const char *p)
{
	__m128i x = scan_load(p);

	return (scan_mask)_mm_movemask_epi8(_mm_or_si128(scan_eq(x, '"'),
	    scan_eq(x, '\\')));
}

/* What may be '"' or a bracket: '[' | 0x20 is '{', ']' | 0x20 is '}'. */
static inline scan_mask
scan_mask_token(const char *p)
{
	__m128i x = scan_load(p), y = _mm_or_si128(x, _mm_set1_epi8(0x20));

	return (scan_mask)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    scan_eq(x, '"'), scan_eq(y, '{')), scan_eq(y, '}')));
}

/* '"', '\\', a control byte or an 8-bit one (below 0x20 as signed). */
static inline scan_mask
scan_mask_string_stop(const char *p)
{
	__m128i x = scan_load(p);

	return (scan_mask)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    scan_eq(x, '"'), scan_eq(x, '\\')),
	    _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));
}

static inline size_t
scan_first(scan_mask m)
{
	return (size_t)__builtin_ctz(m);
}
#else
#define SCAN_STEP	8
typedef uint64_t scan_mask;

#define SCAN_ONES	0x0101010101010101ULL
#define SCAN_HIGHS	(SCAN_ONES << 7)

static inline uint64_t
scan_load(const char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/*
 * The high bit of each byte of x below c (x's bytes below 0x80).  Bits
 * above the lowest may be false (a borrow), the lowest never is: only the
 * first one is used.
 */
static inline uint64_t
scan_below(uint64_t x, unsigned char c)
{
	return (x - SCAN_ONES * c) & ~x & SCAN_HIGHS;
}

static inline uint64_t
scan_eq(uint64_t x, unsigned char c)
{
	return scan_below(x ^ (SCAN_ONES * c), 1);
}

static inline scan_mask
scan_mask_escapable(const char *p)
{
	uint64_t x = scan_load(p);

	return scan_eq(x, '"') | scan_eq(x, '\\');
}

static inline scan_mask
scan_mask_token(const char *p)
{
	uint64_t x = scan_load(p), y = x | SCAN_ONES * 0x20;

	return scan_eq(x, '"') | scan_eq(y, '{') | scan_eq(y, '}');
}

static inline scan_mask
scan_mask_string_stop(const char *p)
{
	uint64_t x = scan_load(p);

	return scan_eq(x, '"') | scan_eq(x, '\\') | scan_below(x, 0x20) |
	    (x & SCAN_HIGHS);
}

static inline size_t
scan_first(scan_mask m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t)__builtin_clzll(m) / 8;
#else
	return (size_t)__builtin_ctzll(m) / 8;
#endif
}
#endif

/* The first '"' or '\\'. */
static inline const char *
scan_escapable(const char *p, const char *end)
{
	scan_mask m;

	for (; end - p >= SCAN_STEP; p += SCAN_STEP)
		if ((m = scan_mask_escapable(p)) != 0)
			return p + scan_first(m);
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/*
 * The first byte that may be '"' or a bracket: some others are let
 * through ('Y', '_', 'y' among them), never one of those missed.
 */
static inline const char *
scan_token(const char *p, const char *end)
{
	scan_mask m;

	for (; end - p >= SCAN_STEP; p += SCAN_STEP)
		if ((m = scan_mask_token(p)) != 0)
			return p + scan_first(m);
	while (p < end && *p != '"' && (*p | 0x20) != '{' && (*p | 0x20) != '}')
		p++;
	return p;
}

/* The first byte that ends a run of plain string bytes. */
static inline const char *
scan_string_stop(const char *p, const char *end)
{
	scan_mask m;

	for (; end - p >= SCAN_STEP; p += SCAN_STEP)
		if ((m = scan_mask_string_stop(p)) != 0)
			return p + scan_first(m);
	while (p < end && *p != '"' && *p != '\\' &&
	    (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80)
		p++;
	return p;
}

#endif
