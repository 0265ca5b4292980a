/*
 * Unit test of base64_encode_to() (src/common/base64.c), recsync's own
 * table encoder (and AVX2's steps, where the CPU has it), against
 * OpenSSL's EVP_EncodeBlock, which it replaced: the same digits and
 * padding for every length up to 700 bytes, each byte value in each place
 * of a group of three.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "test.h"

/* Whether data[0, len) encodes as OpenSSL encodes it; the length too. */
static int
as_openssl(const unsigned char *data, size_t len)
{
	char *mine = malloc(base64_encoded_len(len) + 1);
	unsigned char *theirs = malloc(base64_encoded_len(len) + 1);
	size_t n = base64_encode_to(mine, (const char *)data, len);
	int m = EVP_EncodeBlock(theirs, data, (int)len), same;

	same = n == (size_t)m && n == base64_encoded_len(len) &&
	    memcmp(mine, theirs, n + 1) == 0;
	free(mine);
	free(theirs);
	return same;
}

int
main(void)
{
	unsigned char data[700], all[768];
	size_t len, i, differ = 0;
	char out[8];

	srand(10);
	for (len = 0; len <= sizeof(data); len++) {
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)rand();
		differ += !as_openssl(data, len);
	}
	CHECK(differ == 0, "random bytes, 0 to 700 of them, encode as "
	    "OpenSSL's (%zu lengths differ)", differ);
	for (i = 0, differ = 0; i < 256 * 3; i++) {
		memset(data, 0x5a, 3);
		data[i % 3] = (unsigned char)(i / 3);
		differ += !as_openssl(data, 3) + !as_openssl(data, i % 3 + 1);
	}
	CHECK(differ == 0, "each byte value in each place of a group, full "
	    "and padded (%zu differ)", differ);
	/* Each value thrice in a row: at each place of a group. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(i / 3);
	differ = !as_openssl(all, sizeof(all));
	for (len = 32; len < 100; len++)
		differ += !as_openssl(all + sizeof(all) - len, len);
	CHECK(differ == 0, "each byte value in each place of the 24-byte "
	    "steps, at every length to 100 (%zu differ)", differ);
	CHECK(base64_encode_to(out, "f", 1) == 4 && strcmp(out, "Zg==") == 0 &&
	    base64_encode_to(out, "fo", 2) == 4 && strcmp(out, "Zm8=") == 0 &&
	    base64_encode_to(out, "foo", 3) == 4 && strcmp(out, "Zm9v") == 0 &&
	    base64_encode_to(out, "", 0) == 0 && out[0] == '\0',
	    "RFC 4648's examples");
	return test_status();
}
