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

/* Write s with control bytes (and DEL) shown as \xNN; UTF-8 passes through. */
static void
put_escaped(const char *s, FILE *fp)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			putc(c, fp);
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
