/*
 * Lines from a file descriptor in bounded memory.  getline would hold a
 * line of any length whole, and when malloc fails it returns -1 as at the
 * end of the file; here the buffer never grows past the longest line kept
 * plus one read, a longer line is read through without being kept, and a
 * failed read is an error, never the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlogscan.h"
#include "xalloc.h"

#define CHUNK	(64 * 1024)	/* the least room for one read */

void
lineread_open(struct lineread *lr, int fd)
{
	lr->fd = fd;
	lr->start = lr->end = 0;
	lr->eof = 0;
}

void
lineread_free(struct lineread *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->cap = 0;
}

static void
grow(struct lineread *lr, size_t cap)
{
	lr->buf = xreallocarray(lr->buf, 1, cap);
	lr->cap = cap;
}

/* Room for at least CHUNK bytes after end, a NUL after them included. */
static void
make_room(struct lineread *lr)
{
	size_t limit = lr->max + CHUNK + 1, cap;

	if (lr->cap - lr->end > CHUNK)
		return;
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (lr->cap - lr->end > CHUNK)
		return;
	cap = lr->cap > 0 ? lr->cap * 2 : 4 * CHUNK;
	grow(lr, cap < limit ? cap : limit);
}

/* One read after end: 1, 0 at the end of the input, -1 on error. */
static int
fill(struct lineread *lr)
{
	ssize_t n;

	do
		n = read(lr->fd, lr->buf + lr->end, lr->cap - 1 - lr->end);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		lr->eof = 1;
	if (n <= 0)
		return (int)n;
	lr->end += n;
	lr->buf[lr->end] = '\0';
	return 1;
}

/* Hands out the len bytes at start and the line feed after them, if any. */
static int
take(struct lineread *lr, struct line *l, size_t len, int partial)
{
	l->text = lr->buf + lr->start;
	l->len = len;
	l->size = len + !partial;
	l->partial = partial;
	l->toolong = 0;
	l->text[len] = '\0';
	lr->start += len + !partial;
	return 1;
}

/*
 * The pending line is longer than max: keeps its first max bytes at the
 * front of the buffer and reads the rest through the room after them,
 * dropping it, up to the line feed.
 */
static int
read_through(struct lineread *lr, struct line *l)
{
	unsigned long long size = lr->end - lr->start;
	char *nl = NULL;

	if (lr->cap < lr->max + CHUNK + 1)
		grow(lr, lr->max + CHUNK + 1);
	memmove(lr->buf, lr->buf + lr->start, lr->max);
	lr->start = 0;
	lr->end = lr->max;
	while (nl == NULL) {
		switch (fill(lr)) {
		case -1:
			return -1;
		case 0:
			lr->start = lr->end;
			l->partial = 1;
			goto done;
		}
		if ((nl = memchr(lr->buf + lr->max, '\n',
		    lr->end - lr->max)) == NULL) {
			size += lr->end - lr->max;
			lr->end = lr->max;
		}
	}
	size += nl - (lr->buf + lr->max) + 1;
	lr->start = nl + 1 - lr->buf;
	l->partial = 0;
done:
	l->text = lr->buf;
	l->len = lr->max;
	l->size = size;
	l->toolong = 1;
	l->text[lr->max] = '\0';
	return 1;
}

int
lineread_buffered(struct lineread *lr, struct line *l)
{
	char *nl;

	if (lr->end > lr->start && (nl = memchr(lr->buf + lr->start, '\n',
	    lr->end - lr->start)) != NULL)
		return take(lr, l, nl - (lr->buf + lr->start), 0);
	return 0;
}

int
lineread_next(struct lineread *lr, struct line *l)
{
	size_t scanned = 0;
	char *nl;

	for (;;) {
		if (lr->end - lr->start > scanned && (nl = memchr(lr->buf +
		    lr->start + scanned, '\n', lr->end - lr->start - scanned)))
			return take(lr, l, nl - (lr->buf + lr->start), 0);
		scanned = lr->end - lr->start;
		if (scanned > lr->max)
			return read_through(lr, l);
		if (lr->eof)
			return scanned > 0 ? take(lr, l, scanned, 1) : 0;
		make_room(lr);
		if (fill(lr) == -1)
			return -1;
	}
}
