/*
 * The reading loop: each file a line at a time into one reused buffer of
 * bounded size (lineread.c), every line classified and counted.  A query
 * log is noisy by nature, so a bad line is counted, the first few are
 * shown with their place, and the run goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "qlogscan.h"
#include "xalloc.h"

#define SHOW_BAD	5	/* bad lines shown with file:line */
#define PROGRESS_BYTES	(1 << 20)
#define BOM		"\xef\xbb\xbf"	/* UTF-8's byte order mark */

/* The worst status wins: bad data, then unreadable input, then I/O. */
static void
worsen(struct scan *sc, int status)
{
	if (sc->status == EX_OK || status == EX_IOERR ||
	    (status == EX_NOINPUT && sc->status == EX_DATAERR))
		sc->status = status;
}

static int
blank(const char *s, size_t len)
{
	for (; len > 0; s++, len--)
		if (*s != ' ' && *s != '\t')
			return 0;
	return 1;
}

/* Bad lines and lines too long are shown, the first few, with their place. */
static void
show_bad(struct scan *sc, const char *name, unsigned long lineno,
    const char *why)
{
	if (sc->shown++ >= SHOW_BAD)
		return;
	progress_clear();
	warn_at(name, lineno, "%s", why);
}

/* Carriage returns alone end no line: that is no log being written. */
static int
line_partial(const struct line *l)
{
	return l->partial && memchr(l->text, '\r', l->len) == NULL;
}

/*
 * Why a line is skipped before any mode looks at it, or R_NREASONS when
 * the mode must say.
 */
static enum reason
screen(const struct scan *sc, const struct line *l, char **why)
{
	const char *nul;

	if (l->toolong) {
		*why = xasprintf("longer than --max-line (%zu byte%s): %llu "
		    "bytes, skipped", sc->rd.max, plural(sc->rd.max),
		    l->size - !l->partial);
		return R_TOOLONG;
	}
	if ((nul = memchr(l->text, '\0', l->len)) != NULL) {
		/* Never JSON; jansson would take one after a number. */
		*why = xasprintf("a NUL byte (column %zu)",
		    (size_t)(nul - l->text) + 1);
		return R_BAD;
	}
	return blank(l->text, l->len) ? R_BLANK : R_NREASONS;
}

/* Counts a line's reason, showing it when bad; frees why. */
static void
tally(struct scan *sc, const char *name, unsigned long lineno,
    enum reason r, char *why)
{
	if (r == R_BAD || r == R_TOOLONG)
		show_bad(sc, name, lineno, why);
	else if (r == R_TRUNCATED) {
		progress_clear();
		info("%s:%lu: skipped an incomplete last line", name, lineno);
	}
	sc->counts[r]++;
	free(why);
}

/* A line of the heavy-query mode. */
static void
classify(struct scan *sc, const char *name, unsigned long lineno,
    const struct line *l)
{
	struct hit hit;
	char *why = NULL;
	enum reason r;
	int partial = line_partial(l);

	/* The pre-check first: a line it skips holds no NUL byte, is whole
	 * and not blank, so screen() would pass it; most lines are those. */
	if (!l->toolong && !partial && !sc->full_parse &&
	    !precheck_may_be_heavy(l->text, l->len, sc->rules->threshold))
		r = R_PRECHECK;
	else if ((r = screen(sc, l, &why)) != R_NREASONS)
		;
	else
		r = select_line(sc->rules, l->text, l->len, partial, &hit,
		    &sc->qbuf, &sc->qcap, &why);
	if (r == R_SELECTED)
		heavy_add(sc->table, &hit);
	tally(sc, name, lineno, r, why);
}

/*
 * A batch of --usage's lines, the first numbered lineno: all walked, then
 * all their lookups fetched from memory, then each classified in order.
 */
static void
classify_usage(struct scan *sc, const char *name, unsigned long lineno,
    const struct line *b, size_t n)
{
	enum reason r[USAGE_BATCH];
	char *why[USAGE_BATCH];
	size_t k;

	for (k = 0; k < n; k++) {
		why[k] = NULL;
		if ((r[k] = screen(sc, &b[k], &why[k])) == R_NREASONS)
			usage_batch_walk(sc->usage, k, b[k].text, b[k].len,
			    line_partial(&b[k]));
	}
	for (k = 0; k < n; k++)
		if (r[k] == R_NREASONS)
			usage_batch_prefetch(sc->usage, k);
	for (k = 0; k < n; k++) {
		if (r[k] == R_NREASONS)
			r[k] = usage_batch_line(sc->usage, k, &why[k]);
		tally(sc, name, lineno + k, r[k], why[k]);
	}
}

/* gzip's magic number: such a file must go through zcat. */
static int
gzipped(const char *s, size_t len)
{
	return len >= 2 && (unsigned char)s[0] == 0x1f &&
	    (unsigned char)s[1] == 0x8b;
}

/*
 * The first line of an input: 0 when it is gzip's (the input is skipped),
 * else 1, with a UTF-8 byte order mark, which some editors write, dropped.
 */
static int
first_line(struct scan *sc, struct line *l, const char *name)
{
	if (gzipped(l->text, l->len)) {
		progress_clear();
		warnmsg("%s: compressed with gzip; read it through "
		    "zcat: zcat %s | %s", name, name, progname);
		worsen(sc, EX_DATAERR);
		return 0;
	}
	if (!l->toolong && l->len >= 3 && memcmp(l->text, BOM, 3) == 0) {
		l->text += 3;
		l->len -= 3;
	}
	return 1;
}

/* Counts a line read, and drops the carriage returns before its end. */
static void
line_read(struct scan *sc, struct line *l)
{
	sc->lines++;
	sc->bytes += l->size;
	while (l->len > 0 && l->text[l->len - 1] == '\r')
		l->text[--l->len] = '\0';
}

/*
 * The next line and, with --usage, those after it that the buffer already
 * holds (up to USAGE_BATCH): *n of them, read but not classified.
 * 1, 0 at the end, -1 on error, as lineread_next.
 */
static int
next_lines(struct scan *sc, struct line *b, size_t *n)
{
	int r;

	*n = 0;
	if ((r = lineread_next(&sc->rd, &b[0])) != 1)
		return r;
	*n = 1;
	if (sc->usage != NULL)
		while (*n < USAGE_BATCH && lineread_buffered(&sc->rd, &b[*n]))
			++*n;
	return 1;
}

/* Reads one input to its end: 0, or -1 (errno set) when a read failed. */
static int
scan_stream(struct scan *sc, int fd, const char *name)
{
	unsigned long lineno = 0;
	unsigned long long next_progress = sc->bytes + PROGRESS_BYTES;
	struct line b[USAGE_BATCH];
	size_t i, n;
	int r;

	lineread_open(&sc->rd, fd);
	while ((r = next_lines(sc, b, &n)) == 1) {
		if (lineno == 0 && !first_line(sc, &b[0], name))
			return 0;
		for (i = 0; i < n; i++)
			line_read(sc, &b[i]);
		if (sc->usage != NULL)
			classify_usage(sc, name, lineno + 1, b, n);
		else
			classify(sc, name, lineno + 1, &b[0]);
		lineno += n;
		if (sc->bytes >= next_progress) {
			progress_update(sc);
			next_progress = sc->bytes + PROGRESS_BYTES;
		}
	}
	return r;
}

/* Opens path for reading; -1 (after a message) if that cannot be done. */
static int
open_input(const char *path)
{
	struct stat st;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		e = errno;
		progress_clear();
		warnmsg("%s: %s", path, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		progress_clear();
		warnmsg("%s: %s", path, strerror(EISDIR));
		close(fd);
		return -1;
	}
	/* One pass front to back: let the kernel read ahead further. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

void
scan_path(struct scan *sc, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	int fd, e;

	if ((fd = is_stdin ? STDIN_FILENO : open_input(path)) == -1) {
		worsen(sc, EX_NOINPUT);
		return;
	}
	if (scan_stream(sc, fd, name) == -1) {
		e = errno;	/* before progress_clear's stdio */
		progress_clear();
		/* Out of memory ends the run, as everywhere else. */
		if (e == ENOMEM)
			die(EX_OSERR, "%s: read error: %s", name, strerror(e));
		warnmsg("%s: read error: %s", name, strerror(e));
		worsen(sc, EX_IOERR);
	}
	if (!is_stdin)
		close(fd);
}

size_t
scan_distinct(const struct scan *sc)
{
	return sc->usage != NULL ? usage_count(sc->usage) :
	    heavy_count(sc->table);
}

void
scan_report(const struct scan *sc, int stats)
{
	unsigned long long nbad = sc->counts[R_BAD] + sc->counts[R_TOOLONG];
	int r;

	progress_clear();
	if (nbad > SHOW_BAD)
		warnmsg("%llu bad lines skipped (the first %d shown)", nbad,
		    SHOW_BAD);
	else if (nbad > 0)
		warnmsg("%llu bad line%s skipped", nbad, plural(nbad));
	if (!stats)
		return;
	warnmsg("stats: lines %llu", sc->lines);
	warnmsg("stats: bytes %llu", sc->bytes);
	warnmsg("stats: distinct %zu", scan_distinct(sc));
	for (r = 0; r < R_NREASONS; r++)
		warnmsg("stats: %s %llu", reason_names[r], sc->counts[r]);
}

void
scan_free(struct scan *sc)
{
	lineread_free(&sc->rd);
	free(sc->qbuf);
}
