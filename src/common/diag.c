#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "utf8.h"

const char *progname = "recsync";
int verbosity = 1;

void
diag_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
}

/*
 * Write s with control bytes (C0, DEL, and C1 in UTF-8) and bytes that
 * are not UTF-8 shown as \xNN; other UTF-8 passes through.
 */
static void
put_escaped(const char *s, FILE *fp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n;

	while (*p != '\0') {
		/* C1 controls too: terminals obey them as they obey ESC. */
		if ((n = utf8_decode(p, &cp)) == 0 || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f)) {
			fprintf(fp, "\\x%02x", *p++);
			continue;
		}
		fwrite(p, 1, n, fp);
		p += n;
	}
}

static void
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
