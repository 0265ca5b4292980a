/*
 * base64 as RFC 4648 writes it out (padded), a digit at a time, for the
 * tests to hold src/common/base64.c's table and AVX2 paths against.
 */
#ifndef BASE64_REF_H
#define BASE64_REF_H

#include <stddef.h>
#include <string.h>

static int
b64_digit(unsigned char c)
{
	const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = c ? strchr(set, c) : NULL;

	return p ? (int)(p - set) : -1;
}

/* RFC 4648 base64 with padding; -1 when s is not that. */
static int
b64_decode(const char *s, size_t len, char *out, size_t *outlen)
{
	size_t i, n = 0, pad = 0;
	unsigned long bits = 0;
	int d;

	if (len % 4 != 0)
		return -1;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		if ((d = b64_digit((unsigned char)s[i])) < 0)
			return -1;
		bits = bits << 6 | (unsigned long)d;
		if (i % 4 == 3) {
			out[n++] = (char)(bits >> 16);
			out[n++] = (char)(bits >> 8);
			out[n++] = (char)bits;
			bits = 0;
		}
	}
	if (pad == 2)
		out[n++] = (char)(bits >> 4);
	else if (pad == 1) {
		out[n++] = (char)(bits >> 10);
		out[n++] = (char)(bits >> 2);
	}
	*outlen = n;
	return 0;
}

#endif
