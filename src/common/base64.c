#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH	1
#endif

#include "base64.h"
#include "xalloc.h"

size_t
base64_encoded_len(size_t len)
{
	return 4 * ((len + 2) / 3);
}

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/* The two digits of each 12 bits, as the bytes in memory have them. */
static uint16_t digit_pair[4096];

static void
pairs_init(void)
{
	size_t i;

	for (i = 0; i < 4096; i++)
		memcpy(&digit_pair[i], (char[2]){ alphabet[i >> 6],
		    alphabet[i & 63] }, 2);
}

/* The two digits of bits 12 to 23 and 0 to 11 of g at o. */
static void
put_group(char *o, uint32_t g)
{
	memcpy(o, &digit_pair[g >> 12], 2);
	memcpy(o + 2, &digit_pair[g & 0xfff], 2);
}

#ifdef HAVE_AVX2_PATH
static int	have_avx2(void);
static size_t	encode_avx2(const unsigned char *d, size_t len, char *out);
#endif

/*
 * Twenty-four bytes a step with AVX2 where the CPU has it, then by table,
 * six bytes a step while eight can be read: kvpush encodes every value it
 * writes, and the table alone takes under half of EVP_EncodeBlock's
 * instructions for the same digits.
 */
size_t
base64_encode_to(char *out, const char *data, size_t len)
{
	const unsigned char *d = (const unsigned char *)data;
	char *o = out;
	uint64_t w, digits;
	size_t i = 0;

	if (digit_pair[0] == 0)
		pairs_init();
#ifdef HAVE_AVX2_PATH
	if (len >= 32 && have_avx2()) {
		i = encode_avx2(d, len, out);
		o += i / 3 * 4;
	}
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; len - i >= 8; i += 6, o += 8) {
		memcpy(&w, d + i, 8);
		w = __builtin_bswap64(w);	/* the first byte on top */
		digits = (uint64_t)digit_pair[w >> 52] |
		    (uint64_t)digit_pair[w >> 40 & 0xfff] << 16 |
		    (uint64_t)digit_pair[w >> 28 & 0xfff] << 32 |
		    (uint64_t)digit_pair[w >> 16 & 0xfff] << 48;
		memcpy(o, &digits, 8);
	}
#endif
	for (; len - i >= 3; i += 3, o += 4)
		put_group(o, (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 |
		    d[i + 2]);
	if (i < len) {		/* one or two bytes left: padded */
		put_group(o, (uint32_t)d[i] << 16 |
		    (len - i == 2 ? (uint32_t)d[i + 1] << 8 : 0));
		if (len - i == 1)
			o[2] = '=';
		o[3] = '=';
		o += 4;
	}
	*o = '\0';
	return (size_t)(o - out);
}

char *
base64_encode(const char *data, size_t len)
{
	char *out = xmalloc(base64_encoded_len(len) + 1);

	base64_encode_to(out, data, len);
	return out;
}

/*
 * Each byte's value as the digit at each place of a group of four, shifted
 * into place: a group is four loads and three ORs (a listing holds a
 * million values).  A byte out of the alphabet sets BAD at any place.
 */
#define BAD	0x01000000u
static uint32_t digit_at[4][256];

static void
digits_init(void)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, place;

	for (place = 0; place < 4; place++)
		for (i = 0; i < 256; i++)
			digit_at[place][i] = BAD;
	for (i = 0; set[i] != '\0'; i++)
		for (place = 0; place < 4; place++)
			digit_at[place][(unsigned char)set[i]] =
			    (uint32_t)i << (18 - 6 * place);
}

/* The 24 bits of the group at t, or BAD set. */
static inline uint32_t
group(const unsigned char *t)
{
	return digit_at[0][t[0]] | digit_at[1][t[1]] | digit_at[2][t[2]] |
	    digit_at[3][t[3]];
}

#ifdef HAVE_AVX2_PATH
/*
 * Thirty-two digits at a time with AVX2, where the CPU has it (checked at
 * run time): each byte's class by its two nibbles, looked up in a
 * register (pshufb); a digit's value is the byte plus an offset its high
 * nibble picks ('/' apart); then four 6-bit values a 24-bit group, and
 * each group's three bytes in order.  The groups before dlen decoded to
 * out; returns how many digits it took (a multiple of 32), or -1 when one
 * is out of the alphabet.
 */
__attribute__((target("avx2"))) static long
decode_avx2(const unsigned char *t, size_t dlen, unsigned char *out)
{
	/* Bits of the high nibble's class; the low nibbles each refuses. */
	const __m256i classes = _mm256_setr_epi8(
	    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
	    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
	    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m256i refused = _mm256_setr_epi8(
	    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a,
	    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	/* By high nibble ('/' at 1): '/' 63-47, '+' 62-43, digits, letters. */
	const __m256i offsets = _mm256_setr_epi8(
	    0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i order = _mm256_setr_epi8(
	    2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
	    2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	const __m256i slash = _mm256_set1_epi8('/');
	size_t i;

	for (i = 0; i + 32 <= dlen; i += 32, out += 24) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)
		    (t + i));
		__m256i hi = _mm256_and_si256(_mm256_srli_epi32(x, 4), nibble);
		__m256i lo = _mm256_and_si256(x, nibble);
		__m256i v;

		if (!_mm256_testz_si256(_mm256_shuffle_epi8(classes, hi),
		    _mm256_shuffle_epi8(refused, lo)))
			return -1;
		v = _mm256_add_epi8(x, _mm256_shuffle_epi8(offsets,
		    _mm256_add_epi8(hi, _mm256_cmpeq_epi8(x, slash))));
		/* a<<6|b in 16 bits, then ab<<12|cd in 32. */
		v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
		v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
		v = _mm256_shuffle_epi8(v, order);
		v = _mm256_permutevar8x32_epi32(v,
		    _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
		_mm_storeu_si128((__m128i *)(void *)out,
		    _mm256_castsi256_si128(v));
		_mm_storel_epi64((__m128i *)(void *)(out + 16),
		    _mm256_extracti128_si256(v, 1));
	}
	return (long)i;
}

static int
have_avx2(void)
{
	static int known = -1;

	if (known < 0) {
		__builtin_cpu_init();
		known = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return known;
}

/*
 * The groups of 24 bytes before the last 28 or so at d as 32 digits each
 * at out; returns how many bytes it took (a multiple of 24).  Each lane
 * of a register takes 12 bytes: reshuffled so that each 32-bit word holds
 * one group of three, the four 6-bit values moved each into its own byte
 * by a multiply, then offset into the alphabet by a lookup on their range
 * (the method of Muła and Lemire, "Faster Base64 Encoding and Decoding
 * using AVX2 Instructions", 2018).  len is 32 at least: the first load
 * reads 32 bytes, the next ones from 4 bytes before the group.
 */
__attribute__((target("avx2"))) static size_t
encode_avx2(const unsigned char *d, size_t len, char *out)
{
	const __m256i shuffle = _mm256_set_epi8(
	    10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1,
	    14, 15, 13, 14, 11, 12, 10, 11, 8, 9, 7, 8, 5, 6, 4, 5);
	const __m256i offsets = _mm256_setr_epi8(
	    65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0,
	    65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0);
	__m256i v, t0, t1, range;
	size_t i = 0;

	/* The first 32 bytes, their words moved up one in the low lane. */
	v = _mm256_loadu_si256((const __m256i *)(const void *)d);
	v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 0, 1, 2, 3,
	    4, 5, 6));
	for (;;) {
		v = _mm256_shuffle_epi8(v, shuffle);
		t0 = _mm256_mulhi_epu16(_mm256_and_si256(v,
		    _mm256_set1_epi32(0x0fc0fc00)), _mm256_set1_epi32(0x04000040));
		t1 = _mm256_mullo_epi16(_mm256_and_si256(v,
		    _mm256_set1_epi32(0x003f03f0)), _mm256_set1_epi32(0x01000010));
		v = _mm256_or_si256(t0, t1);	/* a 6-bit value a byte */
		/* 0 for A-Z, 1 a-z, 2-11 0-9, 12 '+', 13 '/'. */
		range = _mm256_sub_epi8(_mm256_subs_epu8(v, _mm256_set1_epi8(51)),
		    _mm256_cmpgt_epi8(v, _mm256_set1_epi8(25)));
		v = _mm256_add_epi8(v, _mm256_shuffle_epi8(offsets, range));
		_mm256_storeu_si256((__m256i *)(void *)(out + i / 3 * 4), v);
		i += 24;
		if (len - i < 28)
			return i;
		v = _mm256_loadu_si256((const __m256i *)(const void *)(d + i -
		    4));
	}
}
#endif

/*
 * Decoded by table, checked as it goes.  (OpenSSL's EVP_DecodeBlock takes
 * blanks around the text and an '=' in it, turned into wrong bytes, so it
 * needed a pass of checks before it.)  The bits a padded digit carries
 * past the last byte are ignored.
 */
int
base64_decode_into(const char *text, size_t len, char **buf, size_t *cap,
    size_t *outlen)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t pad = 0, i, n = 0, digits;
	uint32_t g, bad = 0;
	unsigned char *out;

	if (digit_at[0][0] == 0)
		digits_init();
	if (len % 4 != 0)
		return -1;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	if (*cap < len / 4 * 3 + 1) {
		*cap = len / 4 * 3 + 1;
		free(*buf);
		*buf = xmalloc(*cap);
	}
	out = (unsigned char *)*buf;
	digits = len - pad;
	i = 0;
#ifdef HAVE_AVX2_PATH
	if (digits >= 32 && have_avx2()) {
		long done = decode_avx2(t, digits, out);

		if (done < 0)
			return -1;
		i = (size_t)done;
		n = i / 4 * 3;
	}
#endif
	for (; i + 4 <= digits; i += 4, n += 3) {
		g = group(t + i);
		bad |= g;
		out[n] = (unsigned char)(g >> 16);
		out[n + 1] = (unsigned char)(g >> 8);
		out[n + 2] = (unsigned char)g;
	}
	if (pad > 0) {
		g = digit_at[0][t[i]] | digit_at[1][t[i + 1]] |
		    (pad == 1 ? digit_at[2][t[i + 2]] : 0);
		bad |= g;
		out[n++] = (unsigned char)(g >> 16);
		if (pad == 1)
			out[n++] = (unsigned char)(g >> 8);
	}
	if (bad & BAD)		/* a byte out of the alphabet */
		return -1;
	out[n] = '\0';
	*outlen = n;
	return 0;
}

int
base64_decode(const char *text, size_t len, char **out, size_t *outlen)
{
	size_t cap = 0;

	*out = NULL;
	if (base64_decode_into(text, len, out, &cap, outlen) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
