#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "xalloc.h"

size_t
base64_encoded_len(size_t len)
{
	return 4 * ((len + 2) / 3);
}

size_t
base64_encode_to(char *out, const char *data, size_t len)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out,
	    (const unsigned char *)data, (int)len);
}

char *
base64_encode(const char *data, size_t len)
{
	char *out = xmalloc(base64_encoded_len(len) + 1);

	base64_encode_to(out, data, len);
	return out;
}

/* Each byte's value as a base64 digit (RFC 4648), else 0xff. */
static unsigned char digit_value[256];

static void
digits_init(void)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	memset(digit_value, 0xff, sizeof(digit_value));
	for (i = 0; set[i] != '\0'; i++)
		digit_value[(unsigned char)set[i]] = (unsigned char)i;
}

/*
 * Decoded by table, checked as it goes: a listing holds a million values.
 * (OpenSSL's EVP_DecodeBlock takes blanks around the text and an '=' in
 * it, turned into wrong bytes, so it needed a pass of checks before it.)
 * The bits a padded digit carries past the last byte are ignored.
 */
int
base64_decode_into(const char *text, size_t len, char **buf, size_t *cap,
    size_t *outlen)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t pad = 0, i, n = 0, digits;
	unsigned a, b, c, d, bad = 0;
	char *out;

	if (digit_value[0] == 0)
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
	out = *buf;
	digits = len - pad;
	for (i = 0; i + 4 <= digits; i += 4) {
		a = digit_value[t[i]];
		b = digit_value[t[i + 1]];
		c = digit_value[t[i + 2]];
		d = digit_value[t[i + 3]];
		bad |= a | b | c | d;
		out[n++] = (char)(a << 2 | b >> 4);
		out[n++] = (char)(b << 4 | c >> 2);
		out[n++] = (char)(c << 6 | d);
	}
	if (pad > 0) {
		a = digit_value[t[i]];
		b = digit_value[t[i + 1]];
		c = pad == 1 ? digit_value[t[i + 2]] : 0;
		bad |= a | b | c;
		out[n++] = (char)(a << 2 | b >> 4);
		if (pad == 1)
			out[n++] = (char)(b << 4 | c >> 2);
	}
	if (bad & 0x80)		/* a byte out of the alphabet */
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
