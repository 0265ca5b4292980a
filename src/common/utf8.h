/*
 * utf8: one UTF-8 sequence decoded and checked, for the code that must
 * tell valid text from stray bytes (messages to a terminal, promtool's
 * reasons in JSON); one encoded, for the JSON \u escapes decoded.
 */
#ifndef RECSYNC_UTF8_H
#define RECSYNC_UTF8_H

#include <stddef.h>

/*
 * The length (1 to 4) of the valid UTF-8 sequence at p, its code point in
 * *cp; 0 when the bytes are not one: overlong, a surrogate, above U+10FFFF
 * or cut short.  p must be NUL-terminated: the NUL ends any sequence.
 */
size_t	utf8_decode(const unsigned char *p, unsigned long *cp);
/* Writes code point cp (below U+110000) as UTF-8 at out; its length. */
size_t	utf8_write(unsigned long cp, char *out);

#endif
