#include <limits.h>
#include <stdlib.h>

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

/*
 * Whether text is base64 as Consul writes it (RFC 4648, padded).
 * EVP_DecodeBlock also takes blanks around it and an '=' inside it, and
 * turns them into wrong bytes.
 */
static int
base64_text(const char *text, size_t len)
{
	/* The digits of RFC 4648's alphabet, marked 1 by base64_init(). */
	static unsigned char digit[256];
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t pad = 0, i;
	unsigned char bad = 0;

	if (!digit['A'])
		for (i = 0; set[i] != '\0'; i++)
			digit[(unsigned char)set[i]] = 1;
	if (len % 4 != 0 || len > INT_MAX)
		return 0;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	/* No branch a byte: a listing holds a million of these. */
	for (i = 0; i < len - pad; i++)
		bad |= digit[(unsigned char)text[i]] ^ 1;
	return !bad;
}

int
base64_decode_into(const char *text, size_t len, char **buf, size_t *cap,
    size_t *outlen)
{
	int n, pad = 0;

	if (!base64_text(text, len))
		return -1;
	if (*cap < len / 4 * 3 + 1) {
		*cap = len / 4 * 3 + 1;
		free(*buf);
		*buf = xmalloc(*cap);
	}
	n = len ? EVP_DecodeBlock((unsigned char *)*buf,
	    (const unsigned char *)text, (int)len) : 0;
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes of output. */
	while (pad < 2 && len > (size_t)pad && text[len - 1 - pad] == '=')
		pad++;
	*outlen = (size_t)n - (size_t)pad;
	(*buf)[*outlen] = '\0';
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
