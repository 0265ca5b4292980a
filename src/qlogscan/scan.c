/*
 * The reading loop: each file a line at a time with getline into one
 * reused buffer, every line classified and counted.  A query log is noisy
 * by nature, so a bad line is counted, the first few are shown with their
 * place, and the run goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "qlogscan.h"

#define SHOW_BAD	5	/* bad lines shown with file:line */
#define PROGRESS_BYTES	(1 << 20)

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

static void
classify(struct scan *sc, const char *name, unsigned long lineno, size_t len,
    int partial)
{
	struct hit hit;
	char *why = NULL;
	enum reason r;

	if (blank(sc->line, len))
		r = R_BLANK;
	else if (!partial && !sc->full_parse &&
	    !precheck_may_be_heavy(sc->line, len, sc->rules->threshold))
		r = R_PRECHECK;
	else
		r = select_line(sc->rules, sc->line, len, partial, &hit,
		    &sc->qbuf, &sc->qcap, &why);
	if (r == R_SELECTED)
		heavy_add(sc->table, &hit);
	else if (r == R_BAD && sc->counts[R_BAD] < SHOW_BAD) {
		progress_clear();
		warn_at(name, lineno, "%s", why);
	} else if (r == R_TRUNCATED) {
		progress_clear();
		info("%s:%lu: skipped an incomplete last line", name, lineno);
	}
	sc->counts[r]++;
	free(why);
}

/* gzip's magic number: such a file must go through zcat. */
static int
gzipped(const char *s, size_t len)
{
	return len >= 2 && (unsigned char)s[0] == 0x1f &&
	    (unsigned char)s[1] == 0x8b;
}

static void
scan_stream(struct scan *sc, FILE *fp, const char *name)
{
	unsigned long lineno = 0;
	unsigned long long next_progress = sc->bytes + PROGRESS_BYTES;
	ssize_t n;
	size_t len;
	int partial;

	while ((n = getline(&sc->line, &sc->linecap, fp)) > 0) {
		if (lineno++ == 0 && gzipped(sc->line, n)) {
			progress_clear();
			warnmsg("%s: compressed with gzip; read it through "
			    "zcat: zcat %s | %s", name, name, progname);
			worsen(sc, EX_DATAERR);
			return;
		}
		sc->lines++;
		sc->bytes += n;
		partial = sc->line[n - 1] != '\n';
		for (len = n; len > 0 && (sc->line[len - 1] == '\n' ||
		    sc->line[len - 1] == '\r'); len--)
			sc->line[len - 1] = '\0';
		classify(sc, name, lineno, len, partial);
		if (sc->bytes >= next_progress) {
			progress_update(sc);
			next_progress = sc->bytes + PROGRESS_BYTES;
		}
	}
}

/* Opens path for reading; NULL (after a message) if that cannot be done. */
static FILE *
open_input(const char *path)
{
	struct stat st;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		progress_clear();
		warnmsg("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		progress_clear();
		warnmsg("%s: %s", path, strerror(EISDIR));
		fclose(fp);
		return NULL;
	}
	/* One pass front to back: let the kernel read ahead further. */
	(void)posix_fadvise(fileno(fp), 0, 0, POSIX_FADV_SEQUENTIAL);
	return fp;
}

void
scan_path(struct scan *sc, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *fp;

	if ((fp = is_stdin ? stdin : open_input(path)) == NULL) {
		worsen(sc, EX_NOINPUT);
		return;
	}
	errno = 0;
	scan_stream(sc, fp, name);
	if (ferror(fp)) {
		progress_clear();
		warnmsg("%s: read error: %s", name, strerror(errno));
		worsen(sc, EX_IOERR);
	}
	if (is_stdin)
		clearerr(stdin);
	else
		fclose(fp);
}

void
scan_report(const struct scan *sc, int stats)
{
	unsigned long long nbad = sc->counts[R_BAD];
	int r;

	progress_clear();
	if (nbad > SHOW_BAD)
		warnmsg("%llu bad lines skipped (the first %d shown)", nbad,
		    SHOW_BAD);
	else if (nbad > 0)
		warnmsg("%llu bad line%s skipped", nbad, nbad == 1 ? "" : "s");
	if (!stats)
		return;
	warnmsg("stats: lines %llu", sc->lines);
	warnmsg("stats: bytes %llu", sc->bytes);
	warnmsg("stats: distinct %zu", heavy_count(sc->table));
	for (r = 0; r < R_NREASONS; r++)
		warnmsg("stats: %s %llu", reason_names[r], sc->counts[r]);
}

void
scan_free(struct scan *sc)
{
	free(sc->line);
	free(sc->qbuf);
}
