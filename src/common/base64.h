/*
 * base64: values as Consul's HTTP API carries them (RFC 4648, padded), in
 * a listing's "Value" and in a transaction's operations.
 *
 * Ownership: what base64_encode() returns, and *out of base64_decode(),
 * are the caller's to free.
 */
#ifndef RECSYNC_BASE64_H
#define RECSYNC_BASE64_H

#include <stddef.h>

/* The base64 of data, NUL-terminated: 4 * ceil(len / 3) characters. */
char	*base64_encode(const char *data, size_t len);
/* That length, 4 * ceil(len / 3), reckoned. */
size_t	 base64_encoded_len(size_t len);
/*
 * As base64_encode, written at out (base64_encoded_len(len) + 1 bytes, the
 * NUL included, len at most INT_MAX); returns the length written.
 */
size_t	 base64_encode_to(char *out, const char *data, size_t len);
/*
 * Decodes text into *out (NUL-terminated, *outlen bytes before the NUL);
 * -1, with nothing allocated, when text is not padded base64.
 */
int	 base64_decode(const char *text, size_t len, char **out, size_t *outlen);
/*
 * As base64_decode, into a buffer the caller keeps for the next value:
 * *buf (of *cap bytes) grows as needed.
 */
int	 base64_decode_into(const char *text, size_t len, char **buf,
	    size_t *cap, size_t *outlen);

#endif
