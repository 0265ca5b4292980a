#include "utf8.h"

size_t
utf8_decode(const unsigned char *p, unsigned long *cp)
{
	unsigned long c = p[0];
	size_t n, i;

	if (c < 0x80)
		return *cp = c, 1;
	if (c < 0xc2 || c > 0xf4)	/* a continuation, overlong or too high */
		return 0;
	n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	c &= 0x3f >> (n - 1);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* the NUL stops here too */
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t
utf8_write(unsigned long cp, char *out)
{
	if (cp < 0x80)
		return out[0] = (char)cp, 1;
	if (cp < 0x800)
		return out[0] = (char)(0xc0 | cp >> 6),
		    out[1] = (char)(0x80 | (cp & 0x3f)), 2;
	if (cp < 0x10000)
		return out[0] = (char)(0xe0 | cp >> 12),
		    out[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
		    out[2] = (char)(0x80 | (cp & 0x3f)), 3;
	return out[0] = (char)(0xf0 | cp >> 18),
	    out[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
	    out[2] = (char)(0x80 | (cp >> 6 & 0x3f)),
	    out[3] = (char)(0x80 | (cp & 0x3f)), 4;
}
