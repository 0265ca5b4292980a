#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

const char *progname = "recsync";
int verbosity = 1;

void
diag_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
}

/*
 * The length of the UTF-8 sequence at s when it is valid and no C1 control
 * (U+0080 to U+009F, which terminals obey as ESC is obeyed), else 0.
 */
static size_t
utf8_printable(const unsigned char *s)
{
	unsigned long cp;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* the NUL at the end too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return n;
}

/*
 * Write s with control bytes (C0, DEL, and C1 in UTF-8) and bytes that
 * are not UTF-8 shown as \xNN; other UTF-8 passes through.
 */
static void
put_escaped(const char *s, FILE *fp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if (*p >= 0x20 && *p < 0x7f)
			n = 1;
		else if (*p < 0x80 || (n = utf8_printable(p)) == 0) {
			fprintf(fp, "\\x%02x", *p++);
			continue;
		}
		fwrite(p, 1, n, fp);
		p += n;
	}
}

void
vdiag(const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0) {
		fprintf(stderr, "%s: out of memory formatting a message\n",
		    progname);
		return;
	}
	fprintf(stderr, "%s: ", progname);
	put_escaped(msg, stderr);
	putc('\n', stderr);
	free(msg);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
	exit(status);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

void
warn_at(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	warnmsg("%s:%lu: %s", file, line, msg ? msg : "(out of memory)");
	free(msg);
}

#define LEVELLED(name, level)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	if (verbosity < (level))				\
		return;						\
	va_start(ap, fmt);					\
	vdiag(fmt, ap);						\
	va_end(ap);						\
}

LEVELLED(note, 1)
LEVELLED(info, 2)
LEVELLED(debug, 3)
