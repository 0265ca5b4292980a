/*
 * The rule file's trailer (see rule_trailer.h).  SHA-256 is OpenSSL's:
 * about 1.7 GB/s on this machine's SHA extensions, a tenth of a second
 * for a million rules.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "diag.h"
#include "rule_trailer.h"

#define HEAD	"# yamlemit: rules="
#define MIDDLE	" sha256="
#define TAIL	" of the bytes above\n"

static EVP_MD *sha256;

static void
sha256_release(void)
{
	EVP_MD_free(sha256);
}

/* Fetched once, as OpenSSL 3 looks a name up on every EVP_sha256() use. */
static const EVP_MD *
sha256_md(void)
{
	if (sha256 == NULL) {
		if ((sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
			die(EX_SOFTWARE, "SHA-256 is not available from OpenSSL");
		atexit(sha256_release);
	}
	return sha256;
}

void
rule_digest_init(struct rule_digest *dg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, sha256_md(), NULL) != 1)
		die(EX_SOFTWARE, "cannot start a SHA-256 digest");
	dg->ctx = ctx;
}

void
rule_digest_add(struct rule_digest *dg, const void *data, size_t len)
{
	if (EVP_DigestUpdate(dg->ctx, data, len) != 1)
		die(EX_SOFTWARE, "SHA-256 digest failed");
}

void
rule_digest_final(struct rule_digest *dg, unsigned char md[RULE_DIGEST_LEN])
{
	unsigned int len;

	if (EVP_DigestFinal_ex(dg->ctx, md, &len) != 1 ||
	    len != RULE_DIGEST_LEN)
		die(EX_SOFTWARE, "SHA-256 digest failed");
}

void
rule_digest_free(struct rule_digest *dg)
{
	EVP_MD_CTX_free(dg->ctx);
	dg->ctx = NULL;
}

size_t
rule_trailer_make(struct rule_digest *dg, size_t nrules, char *line)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[RULE_DIGEST_LEN];
	char digits[24];
	size_t n = 0, nd;
	int i;

	rule_digest_final(dg, md);
	nd = (size_t)snprintf(digits, sizeof(digits), "%zu", nrules);
	memcpy(line, HEAD, strlen(HEAD));
	n += strlen(HEAD);
	memcpy(line + n, digits, nd);
	n += nd;
	memcpy(line + n, MIDDLE, strlen(MIDDLE));
	n += strlen(MIDDLE);
	for (i = 0; i < RULE_DIGEST_LEN; i++) {
		line[n++] = hex[md[i] >> 4];
		line[n++] = hex[md[i] & 0xf];
	}
	memcpy(line + n, TAIL, strlen(TAIL));
	return n + strlen(TAIL);
}

/* A lowercase hex digit's value, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
rule_trailer_parse(const char *line, size_t len, size_t *nrules,
    unsigned char md[RULE_DIGEST_LEN])
{
	const char *p = line, *end = line + len;
	size_t n = 0, nd = 0;
	int i, hi, lo;

	if (len > RULE_TRAILER_MAX || len < strlen(HEAD) ||
	    memcmp(p, HEAD, strlen(HEAD)) != 0)
		return -1;
	/* The digits as %zu writes them: no sign, no leading zero. */
	for (p += strlen(HEAD); p < end && *p >= '0' && *p <= '9'; p++, nd++) {
		if (n > ((size_t)-1 - 9) / 10 || (nd == 1 && n == 0))
			return -1;
		n = n * 10 + (size_t)(*p - '0');
	}
	if (nd == 0 || (size_t)(end - p) != strlen(MIDDLE) +
	    2 * RULE_DIGEST_LEN + strlen(TAIL) ||
	    memcmp(p, MIDDLE, strlen(MIDDLE)) != 0)
		return -1;
	for (p += strlen(MIDDLE), i = 0; i < RULE_DIGEST_LEN; i++, p += 2) {
		if ((hi = hexval(p[0])) < 0 || (lo = hexval(p[1])) < 0)
			return -1;
		md[i] = (unsigned char)(hi << 4 | lo);
	}
	if (memcmp(p, TAIL, strlen(TAIL)) != 0)
		return -1;
	*nrules = n;
	return 0;
}
