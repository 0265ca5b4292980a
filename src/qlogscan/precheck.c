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
 * way: jansson would reject it, so it is never selected.  A line holding a
 * NUL byte is never light: scan.c counts it bad, and asks the pre-check
 * first.
 *
 * Speed: this runs on every line of the heavy-query mode, so the bytes are
 * looked at many at a time, and the timings are read without strtod when
 * their digits make a double exactly (strtod takes the rest), or not at
 * all when their integer part is well below the threshold.
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
 * light here in one pass over its bytes, 64 a word, without a step per
 * token; anything this cannot prove goes to the token walk below, which
 * has the last word.  Each word gives where the quotes, backslashes,
 * brackets, blanks and NUL bytes are; which quotes a backslash escapes (a
 * backslash escapes the byte after it); from the others, which bytes lie
 * inside strings.  The line is light when it holds no NUL byte, no
 * backslash and no blank lies outside a string (so the walk would cut the
 * same strings, and a key's colon follows its quote), the brackets
 * outside strings close the object at its last byte and never before, no
 * string holding a backslash is a key, and each timing key, a string of
 * the name's length closed by a quote and a colon, has a number below the
 * threshold, both being there.
 */

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

static inline __m128i
cmp_nul(__m128i x)
{
	return _mm_cmpeq_epi8(x, _mm_setzero_si128());
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

static int
popcount_any(uint64_t x)
{
	return __builtin_popcountll(x);
}

/* The bytes of one word that the masks are made from. */
struct word_bytes {
	uint64_t	quote, bs, open, close, blank, nul;
};

static inline __attribute__((always_inline)) void
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
	b->nul = MASK64(x, cmp_nul);
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
static inline __attribute__((always_inline)) void
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
	b->nul = MASK64_AVX2(_mm256_cmpeq_epi8(lo, _mm256_setzero_si256()),
	    _mm256_cmpeq_epi8(hi, _mm256_setzero_si256()));
}

/* prefix_xor() in one carry-less product, by a word of ones. */
__attribute__((target("pclmul")))
static inline __attribute__((always_inline)) uint64_t
prefix_xor_clmul(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(
	    _mm_set_epi64x(0, (long long)x), _mm_set1_epi8((char)0xff), 0));
}

__attribute__((target("popcnt")))
static inline __attribute__((always_inline)) int
popcount_insn(uint64_t x)
{
	return __builtin_popcountll(x);
}

static int
cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("pclmul") &&
	    __builtin_cpu_supports("popcnt");
}
#define HAVE_AVX2_MASKS	1
#endif

/*
 * The bytes of the last word of the line [p, p + n), rem (< 64) bytes long:
 * by the word that ends with the line when the line has one (its masks
 * moved down), else by a copy padded with bytes that match nothing.  Its
 * callers are not inlined: the loop over whole words keeps its registers.
 */
static inline __attribute__((always_inline)) void
tail_word_by(const char *p, size_t n, size_t rem,
    void (*bytes)(const char *, struct word_bytes *), struct word_bytes *b)
{
	char tail[64];
	size_t k = 64 - rem;

	if (n < 64) {
		memset(tail, 'a', sizeof(tail));
		memcpy(tail, p, n);
		bytes(tail, b);
		return;
	}
	bytes(p + n - 64, b);
	b->quote >>= k;
	b->bs >>= k;
	b->open >>= k;
	b->close >>= k;
	b->blank >>= k;
	b->nul >>= k;
}

#define EVEN_BITS	0x5555555555555555ULL

/*
 * The bytes of a word, other than backslashes, that a backslash escapes,
 * from its backslashes and *carry (1 when the word's first byte is
 * escaped by the last one's); sets *carry for the next word.  A backslash
 * not escaped escapes the next byte, so a run of backslashes, counted from
 * its first unescaped one, escapes the byte after it when it is odd: when
 * that byte's place and the run's start differ in parity.  Adding a run's
 * start to the run carries a one onto the byte after it; runs starting at
 * even and at odd places are added apart.  Without a branch: where the
 * backslashes fall would mislead the CPU's guesses.
 */
static inline uint64_t
escaped_bytes(uint64_t bs, uint64_t *carry)
{
	uint64_t b = bs & ~*carry, start = b & ~(b << 1), after_even,
	    after_odd, esc = *carry;

	after_even = (b + (start & EVEN_BITS)) & ~b;
	*carry = __builtin_add_overflow(b, start & ~EVEN_BITS, &after_odd);
	after_odd &= ~b;
	return esc | (after_even & ~EVEN_BITS) | (after_odd & EVEN_BITS);
}

/*
 * The brackets outside strings of a word: 0 while the depth stays above
 * zero, else -1.  Only a word with as many closing brackets as the depth
 * it starts at may reach zero: those are walked one at a time.
 */
static inline __attribute__((always_inline)) int
brackets(uint64_t open, uint64_t close, int *depth, int (*popcount)(uint64_t))
{
	int nclose = popcount(close);
	uint64_t b;

	if (nclose < *depth) {
		*depth += popcount(open) - nclose;
		return 0;
	}
	for (b = open | close; b != 0; b &= b - 1) {
		*depth += (close & (b & -b)) != 0 ? -1 : 1;
		if (*depth <= 0)
			return -1;
	}
	return 0;
}

/*
 * The timing key that a string closing at c (its quote) is, 1 or 2 as
 * key_kind(), else 0: the name with a quote before it and a colon after
 * it (the name holds no quote, so it is the whole string).
 */
static inline int
timing_key_closed_at(const char *p, size_t c)
{
	if (p[c + 1] != ':')
		return 0;
	if (c >= 21 && memcmp(p + c - 21, "\"queryPreparationTime", 21) == 0)
		return 1;
	if (c >= 14 && memcmp(p + c - 14, "\"innerEvalTime", 14) == 0)
		return 2;
	return 0;
}

/* A byte that strtod might read on with after a number's digits. */
static inline int
number_goes_on(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '_';
}

/*
 * 1 when the timing at p is a number below threshold, else 0.  A number
 * of the usual form, an integer part i of up to 15 digits and a fraction,
 * lies below i + 1, a double, so strtod's nearest double is at most i + 1:
 * light, unread, when i + 1 is below threshold.
 */
static inline int
timing_light(const char *p, double threshold)
{
	const char *q = p;
	uint64_t i = 0;

	while (*q >= '0' && *q <= '9' && q - p < 15)
		i = i * 10 + (uint64_t)(*q++ - '0');
	if (q > p && q[0] == '.' && q[1] >= '0' && q[1] <= '9') {
		for (q += 2; *q >= '0' && *q <= '9'; q++)
			continue;
		if (!number_goes_on(*q) && (double)(i + 1) < threshold)
			return 1;
	}
	return *p != '"' && light_number(p, threshold) != NULL;
}

/*
 * 1 when [p, p + n) (p[0] '{', p[n - 1] '}') is proved light (see above),
 * else 0.  Made with the CPU's instructions of choice: bytes (and tail,
 * the same for the last word), pxor and popcount, inlined in each of the
 * versions below.  The first and last brackets are taken as read: the
 * depth starts at 1 and must end there.
 */
static inline __attribute__((always_inline)) int
light_by_masks_by(const char *p, size_t n, double threshold,
    void (*bytes)(const char *, struct word_bytes *),
    void (*tail)(const char *, size_t, size_t, struct word_bytes *),
    uint64_t (*pxor)(uint64_t), int (*popcount)(uint64_t))
{
	uint64_t esc_next = 0, in_next = 0, bs_next = 0, prev_open = 0,
	    bad = 0, quote, in, oq, cq, sum, open, cand;
	struct word_bytes wb;
	size_t w, c, nwords = (n + 63) / 64;
	int depth = 1, seen = 0, kind, carry;

	for (w = 0; w < nwords; w++) {
		if (n - 64 * w >= 64)
			bytes(p + 64 * w, &wb);
		else
			tail(p, n, n - 64 * w, &wb);
		quote = wb.quote & ~escaped_bytes(wb.bs, &esc_next);
		in = pxor(quote) ^ in_next;
		in_next = (uint64_t)0 - (in >> 63);
		bad |= ((wb.bs | wb.blank) & ~in) | wb.nul;
		oq = quote & in;
		cq = quote & ~in;
		/* Brackets outside strings, but the first and the last. */
		open = wb.open & ~in;
		if (w == 0)
			open &= ~1ULL;
		if (w == nwords - 1)
			wb.close &= ~(1ULL << ((n - 1) % 64));
		if (brackets(open, wb.close & ~in, &depth, popcount) != 0)
			return 0;
		/*
		 * Strings holding a backslash: adding the backslashes to
		 * the strings' insides carries a one past each such inside,
		 * onto its closing quote.  None may close a key.
		 */
		carry = __builtin_add_overflow(in & ~quote, wb.bs, &sum);
		carry |= __builtin_add_overflow(sum, bs_next, &sum);
		bs_next = (uint64_t)carry;
		for (cand = sum & cq; cand != 0; cand &= cand - 1)
			if (p[64 * w + (size_t)__builtin_ctzll(cand) + 1] == ':')
				return 0;
		/* The strings of 20 and 13 bytes may be timing keys. */
		for (cand = cq & (oq << 21 | prev_open >> 43 | oq << 14 |
		    prev_open >> 50); cand != 0; cand &= cand - 1) {
			c = 64 * w + (size_t)__builtin_ctzll(cand);
			if ((kind = timing_key_closed_at(p, c)) == 0)
				continue;
			if (!timing_light(p + c + 2, threshold))
				return 0;
			seen |= kind;
		}
		prev_open = oq;
	}
	return bad == 0 && in_next == 0 && depth == 1 && seen == 3;
}

static __attribute__((noinline)) void
tail_word_sse2(const char *p, size_t n, size_t rem, struct word_bytes *b)
{
	tail_word_by(p, n, rem, word_bytes_sse2, b);
}

static int
light_by_masks_sse2(const char *p, size_t n, double threshold)
{
	return light_by_masks_by(p, n, threshold, word_bytes_sse2,
	    tail_word_sse2, prefix_xor, popcount_any);
}

#ifdef HAVE_AVX2_MASKS
__attribute__((target("avx2")))
static __attribute__((noinline)) void
tail_word_avx2(const char *p, size_t n, size_t rem, struct word_bytes *b)
{
	tail_word_by(p, n, rem, word_bytes_avx2, b);
}

__attribute__((target("avx2,pclmul,popcnt")))
static int
light_by_masks_avx2(const char *p, size_t n, double threshold)
{
	return light_by_masks_by(p, n, threshold, word_bytes_avx2,
	    tail_word_avx2, prefix_xor_clmul, popcount_insn);
}
#else
#define light_by_masks_avx2	light_by_masks_sse2

static int
cpu_has_avx2(void)
{
	return 0;
}
#endif

/* Chosen on the first line by what the CPU has (precheck_use_avx2()). */
static int	(*light_by_masks)(const char *, size_t, double);

void
precheck_use_avx2(int use)
{
	light_by_masks = use && cpu_has_avx2() ? light_by_masks_avx2 :
	    light_by_masks_sse2;
}
#else
static int
light_by_masks_none(const char *p, size_t n, double threshold)
{
	(void)p, (void)n, (void)threshold;
	return 0;
}

static int	(*light_by_masks)(const char *, size_t, double) =
		    light_by_masks_none;

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
	if (light_by_masks == NULL)
		precheck_use_avx2(1);
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
	/* Light, and no NUL byte: scan.c's screen() may be skipped. */
	return depth != 0 || seen != 3 || memchr(line, '\0', len) != NULL;
}
