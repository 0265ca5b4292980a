/*
 * The raw pre-check: most lines of a query log are light queries, and
 * decoding each with jansson would cost most of the run.  This walks the
 * line's bytes once, without decoding, and says a line may be skipped only
 * when it looks like one JSON object, holds both queryPreparationTime and
 * innerEvalTime keys, and every value of such a key is a number below the
 * threshold.  Anything else (text that is not JSON, a timing of another
 * type, an escaped key) goes to jansson, which says what is wrong.
 *
 * Why it never drops a line the full rules would keep: a line is heavy only
 * if jansson decodes one of the two timings to a number at least the
 * threshold.  JSON numbers are never escaped, so that value is a literal in
 * the text, right after its key and colon, and strtod reads it as jansson
 * does.  A key decodes to one of the two names only if its raw text is the
 * name or holds an escape; both are caught here, at any depth and however
 * often they occur.  A line that is not valid JSON may be answered either
 * way: jansson would reject it, so it is never selected.
 *
 * Speed: this runs on every line of the heavy-query mode, so the bytes are
 * looked at many at a time, and the timings are read without strtod when
 * their digits make a double exactly (strtod takes the rest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "qlogscan.h"

static int
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * From just after an opening quote, returns just after the closing one, or
 * NULL when the string does not end on this line; *escaped is set when it
 * holds a backslash.  A backslash escapes the byte after it, whatever it is.
 */
static const char *
skip_string(const char *p, const char *end, int *escaped)
{
	*escaped = 0;
	for (;;) {
		p = scan_escapable(p, end);
		if (p == end)
			return NULL;
		if (*p == '"')
			return p + 1;
		*escaped = 1;
		if (end - p < 2)
			return NULL;
		p += 2;
	}
}

/* 1 or 2 for the two timings we test, 0 for another key. */
static int
key_kind(const char *s, size_t n)
{
	if (n == 20 && memcmp(s, "queryPreparationTime", 20) == 0)
		return 1;
	if (n == 13 && memcmp(s, "innerEvalTime", 13) == 0)
		return 2;
	return 0;
}

/* Exact powers of ten: each a double, so m * 10^e rounds once. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * A JSON number at p read as strtod reads it, in the common case: up to
 * 19 digits and a power of ten whose product (or quotient) is one
 * correctly rounded operation on exact doubles, hence strtod's very value
 * (Clinger's fast path).  Returns the end, or NULL for any other form
 * (hexadecimal, inf, a dangling '.', many digits...), which strtod reads
 * instead.  (19 digits make less than 2^64, leading zeros or not.)
 */
static const char *
number_fast(const char *p, double *out)
{
	const char *q;
	uint64_t m = 0;
	size_t ndigits, nfraction = 0;
	int neg = 0, e, x = 0, xneg = 0, xdigits = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (q = p; *p >= '0' && *p <= '9'; p++)
		m = m * 10 + (uint64_t)(*p - '0');
	if ((ndigits = p - q) == 0)
		return NULL;
	if (*p == '.') {
		for (q = ++p; *p >= '0' && *p <= '9'; p++)
			m = m * 10 + (uint64_t)(*p - '0');
		if ((nfraction = p - q) == 0)
			return NULL;
		ndigits += nfraction;
	}
	if (ndigits > 19)
		return NULL;
	e = -(int)nfraction;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			xneg = *p++ == '-';
		for (; *p >= '0' && *p <= '9'; p++)
			if (++xdigits > 4)
				return NULL;
			else
				x = x * 10 + (*p - '0');
		if (xdigits == 0)
			return NULL;
		e += xneg ? -x : x;
	}
	/* Anything strtod might read on with: fall back to it. */
	if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '_')
		return NULL;
	if (m == 0)
		*out = 0;
	else if (m <= (1ULL << 53) && e >= -22 && e <= 22)
		*out = e < 0 ? (double)m / pow10_exact[-e] :
		    (double)m * pow10_exact[e];
	else
		return NULL;
	if (neg)
		*out = -*out;
	return p;
}

/*
 * The value of a timing key at p: the end of a number below threshold, or
 * NULL (a number at least the threshold, or no number).  The line is
 * NUL-terminated: every read stops there.
 */
static const char *
light_number(const char *p, double threshold)
{
	const char *q;
	char *num;
	double v;

	if ((q = number_fast(p, &v)) == NULL) {
		v = strtod(p, &num);
		if (num == p)
			return NULL;
		q = num;
	}
	return v >= threshold ? NULL : q;
}

/*
 * A string at p (its opening quote): just after it, or after the key's
 * colon and the value of a timing key.  NULL when the line may be heavy:
 * an unended string, an escaped key, a timing that is not a number below
 * threshold.  *seen gets the timings met.
 */
static const char *
string_token(const char *p, const char *end, double threshold, int *seen)
{
	const char *s = p + 1, *e;
	int escaped, kind;

	if ((e = skip_string(s, end, &escaped)) == NULL)
		return NULL;
	for (p = e; p < end && json_space(*p); p++)
		continue;
	if (p == end || *p != ':')
		return p;
	if (escaped)
		return NULL;
	if ((kind = key_kind(s, e - 1 - s)) == 0)
		return p + 1;
	*seen |= kind;
	for (p++; p < end && json_space(*p); p++)
		continue;
	if (p == end || *p == '"')
		return NULL;
	return light_number(p, threshold);
}

#ifdef __SSE2__
/*
 * The common line, by bit masks: a line of Prometheus's shape is proved
 * light here without a step per token, and anything this cannot prove
 * goes to the token walk below, which has the last word.  Over the line,
 * 64 bytes a word: where the quotes, backslashes, brackets and blanks are;
 * which quotes a backslash escapes (a backslash escapes the byte after
 * it); from the others, which bytes lie inside strings.  The line is light
 * when no backslash and no blank lies outside a string (so the walk would
 * cut the same strings, and a key's colon follows its quote), the
 * brackets outside strings close the object at its last byte and never
 * before, no string holding a backslash is a key, and each timing key,
 * found by memmem and checked to open a string, has a number below the
 * threshold, both being there.
 */
#define MASK_WORDS	64	/* lines of up to 4 KiB: longer ones walk */

struct masks {
	uint64_t	quote[MASK_WORDS], in[MASK_WORDS];
	size_t		nwords;
};

/* The 16-bit masks of four 16-byte steps as one 64-bit word. */
#define MASK64(x, expr)	((uint64_t)(unsigned)_mm_movemask_epi8(expr((x)[0])) | \
	(uint64_t)(unsigned)_mm_movemask_epi8(expr((x)[1])) << 16 | \
	(uint64_t)(unsigned)_mm_movemask_epi8(expr((x)[2])) << 32 | \
	(uint64_t)(unsigned)_mm_movemask_epi8(expr((x)[3])) << 48)

static inline __m128i
cmp_quote(__m128i x)
{
	return _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
}

static inline __m128i
cmp_backslash(__m128i x)
{
	return _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
}

/* '[' and ']' are '{' and '}' but for bit 0x20, which no other byte's is. */
static inline __m128i
cmp_open(__m128i x)
{
	return _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
	    _mm_set1_epi8('{'));
}

static inline __m128i
cmp_close(__m128i x)
{
	return _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
	    _mm_set1_epi8('}'));
}

/* Blanks and control bytes: at most 0x20, unsigned. */
static inline __m128i
cmp_blank(__m128i x)
{
	return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);
}

static uint64_t
prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	return x ^ x << 32;
}

/* The bytes of one word that the masks are made from. */
struct word_bytes {
	uint64_t	quote, bs, open, close, blank;
};

static void
word_bytes_sse2(const char *q, struct word_bytes *b)
{
	__m128i x[4];
	int i;

	for (i = 0; i < 4; i++)
		x[i] = _mm_loadu_si128((const __m128i *)(const void *)
		    (q + 16 * i));
	b->quote = MASK64(x, cmp_quote);
	b->bs = MASK64(x, cmp_backslash);
	b->open = MASK64(x, cmp_open);
	b->close = MASK64(x, cmp_close);
	b->blank = MASK64(x, cmp_blank);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/*
 * The same with AVX2, 32 bytes a step, where the CPU has it: half the
 * steps of the line's longest part.
 */
#define MASK64_AVX2(lo, hi)	((uint64_t)(uint32_t)_mm256_movemask_epi8(lo) | \
	(uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32)

__attribute__((target("avx2")))
static void
word_bytes_avx2(const char *q, struct word_bytes *b)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)q);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)
	    (q + 32));
	__m256i quote = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
	__m256i open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}');
	__m256i k20 = _mm256_set1_epi8(0x20);
	__m256i lo20 = _mm256_or_si256(lo, k20), hi20 = _mm256_or_si256(hi, k20);

	b->quote = MASK64_AVX2(_mm256_cmpeq_epi8(lo, quote),
	    _mm256_cmpeq_epi8(hi, quote));
	b->bs = MASK64_AVX2(_mm256_cmpeq_epi8(lo, bs),
	    _mm256_cmpeq_epi8(hi, bs));
	b->open = MASK64_AVX2(_mm256_cmpeq_epi8(lo20, open),
	    _mm256_cmpeq_epi8(hi20, open));
	b->close = MASK64_AVX2(_mm256_cmpeq_epi8(lo20, close),
	    _mm256_cmpeq_epi8(hi20, close));
	b->blank = MASK64_AVX2(_mm256_cmpeq_epi8(_mm256_min_epu8(lo, k20), lo),
	    _mm256_cmpeq_epi8(_mm256_min_epu8(hi, k20), hi));
}

/* prefix_xor() in one carry-less product, by a word of ones. */
__attribute__((target("pclmul")))
static uint64_t
prefix_xor_clmul(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(
	    _mm_set_epi64x(0, (long long)x), _mm_set1_epi8((char)0xff), 0));
}

static int
cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("pclmul");
}
#define HAVE_AVX2_MASKS	1
#endif

static int
bit(const uint64_t *w, size_t i)
{
	return (int)(w[i / 64] >> (i % 64) & 1);
}

/* The first set bit of w[] at or after i, or (size_t)-1. */
static size_t
next_bit(const uint64_t *w, size_t nwords, size_t i)
{
	size_t k = i / 64;
	uint64_t m;

	if (k >= nwords)
		return (size_t)-1;
	for (m = w[k] & (~0ULL << (i % 64)); m == 0; m = w[k])
		if (++k == nwords)
			return (size_t)-1;
	return 64 * k + (size_t)__builtin_ctzll(m);
}

/*
 * The masks of [p, p + n); 0, or -1 when the line is not of the shape
 * (a backslash or blank outside strings, brackets that close early or
 * late, a string left open, a string with a backslash used as a key).
 * Made with the CPU's instructions of choice: bytes and pxor, inlined in
 * each of the versions below.
 */
static inline __attribute__((always_inline)) int
make_masks_by(const char *p, size_t n, struct masks *m,
    void (*bytes)(const char *, struct word_bytes *),
    uint64_t (*pxor)(uint64_t))
{
	uint64_t bs[MASK_WORDS], esc, esc_next = 0, open, close, blank, valid,
	    carry = 0, b, low;
	struct word_bytes wb;
	char tail[64];
	const char *q;
	size_t w, i, j;
	int depth = 0;

	m->nwords = (n + 63) / 64;
	for (w = 0; w < m->nwords; w++) {
		q = p + 64 * w;
		valid = n - 64 * w >= 64 ? ~0ULL : (1ULL << (n - 64 * w)) - 1;
		if (n - 64 * w < 64) {
			memset(tail, 'a', sizeof(tail));
			memcpy(tail, q, n - 64 * w);
			q = tail;
		}
		bytes(q, &wb);
		m->quote[w] = wb.quote & valid;
		bs[w] = wb.bs & valid;
		open = wb.open & valid;
		close = wb.close & valid;
		blank = wb.blank & valid;
		/* Backslashes in order: each escapes the byte after it (the
		 * last one of a word, the next word's first). */
		esc = esc_next;
		esc_next = 0;
		for (b = bs[w] & ~esc; b != 0; b &= ~(low | esc)) {
			low = b & -b;
			if (low >> 63)
				esc_next = 1;
			else
				esc |= low << 1;
		}
		m->quote[w] &= ~esc;
		m->in[w] = pxor(m->quote[w]) ^ carry;
		carry = (uint64_t)0 - (m->in[w] >> 63);
		if (((bs[w] | blank) & ~m->in[w]) != 0)
			return -1;
		for (b = (open | close) & ~m->in[w]; b != 0; b &= b - 1) {
			i = 64 * w + (size_t)__builtin_ctzll(b);
			depth += open >> (i % 64) & 1 ? 1 : -1;
			if (depth <= 0 && i + 1 < n)
				return -1;
		}
	}
	if (depth != 0 || carry != 0)
		return -1;
	/* A string holding a backslash: its closing quote, then no colon. */
	for (i = next_bit(bs, m->nwords, 0); i != (size_t)-1;
	    i = next_bit(bs, m->nwords, j + 1)) {
		if ((j = next_bit(m->quote, m->nwords, i)) == (size_t)-1 ||
		    j + 1 >= n || p[j + 1] == ':')
			return -1;
	}
	return 0;
}

static int
make_masks_sse2(const char *p, size_t n, struct masks *m)
{
	return make_masks_by(p, n, m, word_bytes_sse2, prefix_xor);
}

#ifdef HAVE_AVX2_MASKS
__attribute__((target("avx2,pclmul")))
static int
make_masks_avx2(const char *p, size_t n, struct masks *m)
{
	return make_masks_by(p, n, m, word_bytes_avx2, prefix_xor_clmul);
}
#else
#define make_masks_avx2	make_masks_sse2

static int
cpu_has_avx2(void)
{
	return 0;
}
#endif

/* Chosen on the first line by what the CPU has (precheck_use_avx2()). */
static int	(*make_masks)(const char *, size_t, struct masks *);

void
precheck_use_avx2(int use)
{
	make_masks = use && cpu_has_avx2() ? make_masks_avx2 : make_masks_sse2;
}

/*
 * The timing key opening at i, if it is one: 1 or 2 as key_kind, else 0.
 * A key of the exact name has its closing quote and colon right after
 * the name (no blank is outside a string here).
 */
static int
timing_key_at(const char *p, size_t n, const struct masks *m, size_t i)
{
	if (i + 22 < n && bit(m->quote, i + 21) && p[i + 22] == ':' &&
	    memcmp(p + i + 1, "queryPreparationTime", 20) == 0)
		return 1;
	if (i + 15 < n && bit(m->quote, i + 14) && p[i + 15] == ':' &&
	    memcmp(p + i + 1, "innerEvalTime", 13) == 0)
		return 2;
	return 0;
}

/*
 * The strings of len bytes, by their opening quotes: a quote inside
 * whose string closes len + 1 bytes further.  Few are that long.
 */
static uint64_t
strings_of_length(const struct masks *m, size_t w, unsigned len)
{
	uint64_t close = m->quote[w] & ~m->in[w], next = 0;

	if (w + 1 < m->nwords)
		next = m->quote[w + 1] & ~m->in[w + 1];
	return m->quote[w] & m->in[w] & (close >> (len + 1) |
	    next << (63 - len));
}

/* 1 when [p, p + n) is proved light (see above), else 0. */
static int
light_by_masks(const char *p, size_t n, double threshold)
{
	struct masks m;
	size_t w, i;
	uint64_t b;
	int kind, seen = 0;

	if (make_masks == NULL)
		precheck_use_avx2(1);
	if (n > 64 * MASK_WORDS || make_masks(p, n, &m) != 0)
		return 0;
	for (w = 0; w < m.nwords; w++)
		for (b = strings_of_length(&m, w, 20) |
		    strings_of_length(&m, w, 13); b != 0; b &= b - 1) {
			i = 64 * w + (size_t)__builtin_ctzll(b);
			if ((kind = timing_key_at(p, n, &m, i)) == 0)
				continue;
			i += kind == 1 ? 23 : 16;
			if (p[i] == '"' || light_number(p + i, threshold) == NULL)
				return 0;
			seen |= kind;
		}
	return seen == 3;
}
#else
static int
light_by_masks(const char *p, size_t n, double threshold)
{
	(void)p, (void)n, (void)threshold;
	return 0;
}

void
precheck_use_avx2(int use)
{
	(void)use;
}
#endif

int
precheck_may_be_heavy(const char *line, size_t len, double threshold)
{
	const char *p = line, *end = line + len;
	int depth = 0, seen = 0;

	while (p < end && json_space(*p))
		p++;
	while (end > p && json_space(end[-1]))
		end--;
	if (p == end || *p != '{' || end[-1] != '}')
		return 1;
	if (light_by_masks(p, end - p, threshold))
		return 0;
	while ((p = scan_token(p, end)) < end) {
		switch (*p) {
		case '"':
			if ((p = string_token(p, end, threshold, &seen)) == NULL)
				return 1;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			/* Closed before the end: more after the object. */
			if (--depth <= 0 && (depth < 0 || p + 1 < end))
				return 1;
			break;
		}
		p++;
	}
	return depth != 0 || seen != 3;
}
