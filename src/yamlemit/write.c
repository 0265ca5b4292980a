/*
 * What leaves the tool, in the order that keeps a pipeline safe: the rule
 * file, then the rejects, and only once both are in place the records on
 * stdout, so that no later stage acts on rules that never reached the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "summary.h"
#include "utf8.h"
#include "xalloc.h"
#include "yamlemit.h"

/* How many names -d tries before it gives up: NAME.yml, NAME_2.yml, ... */
#define DATED_TRIES	100

/* YYYY-MM-DD_HH-MM-SS, the local time now, like the original. */
static void
local_stamp(char *stamp, size_t size)
{
	struct tm tm;
	time_t now = time(NULL);

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, size, "%Y-%m-%d_%H-%M-%S", &tm) == 0)
		die(EX_OSERR, "cannot format the local time");
}

/* DIR/record_<count>_<stamp>.yml, or with _<try> before .yml after the first. */
static char *
dated_name(const char *dir, size_t count, const char *stamp, int try)
{
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";

	if (try == 1)
		return xasprintf("%s%srecord_%zu_%s.yml", dir, sep, count,
		    stamp);
	return xasprintf("%s%srecord_%zu_%s_%d.yml", dir, sep, count, stamp,
	    try);
}

/*
 * -d: the rule file under the first dated name that is free.  The name is
 * predictable, so whatever is there (a file of a run in the same second,
 * a symbolic link someone planted) is left alone, never replaced or
 * written through.  Returns the name used.
 */
static char *
place_dated(struct atomic *af, const char *dir, size_t count,
    const char *stamp)
{
	char *path;
	int try;

	for (try = 1; try <= DATED_TRIES; try++) {
		path = dated_name(dir, count, stamp, try);
		if (atomic_commit_new(af, path) == 0)
			return path;
		info("%s exists; left alone", path);
		free(path);
	}
	die(EX_CANTCREAT, "%s: record_%zu_%s.yml and %d more names for it "
	    "exist; nothing written", dir, count, stamp, DATED_TRIES - 1);
}

/*
 * promtool's reason as a JSON string.  It may quote bytes of the rule file
 * that are not UTF-8, which json_string() refuses: each becomes U+FFFD.
 */
static json_t *
json_reason(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *clean = xreallocarray(NULL, strlen(s) * 3 + 1, 1);
	unsigned long cp;
	size_t n, len = 0;
	json_t *j;

	while (*p != '\0') {
		if ((n = utf8_decode(p, &cp)) == 0) {
			memcpy(clean + len, "\xef\xbf\xbd", 3);
			len += 3;
			p++;
		} else {
			memcpy(clean + len, p, n);
			len += n;
			p += n;
		}
	}
	j = json_stringn(clean, len);
	free(clean);
	if (j == NULL)
		die(EX_SOFTWARE, "cannot make a JSON string of promtool's reason");
	return j;
}

/* The refused records, each with promtool's reason in "error". */
static void
emit_rejects(struct atomic *af, const struct ruleset *rs)
{
	struct record r;
	size_t i;

	for (i = 0; i < rs->nitems; i++) {
		if (rs->items[i].reject == NULL)
			continue;
		item_record(&rs->items[i], &r);
		record_set(&r, "error", json_reason(rs->items[i].reject));
		if (record_write(af->fp, &r) != 0)
			die(EX_IOERR, "%s: write error: %s",
			    af->tmp ? af->tmp : af->path, strerror(errno));
		record_free(&r);
	}
}

/*
 * Both files are written to temporaries first, so that neither is touched
 * when the other cannot be created or written (the rejects are written
 * out before the rule file is put in place); the rule file is put in place
 * first and the rejects only after it, so that a failed run changes
 * neither.
 */
void
write_files(const struct outputs *o, const struct layout *lo,
    const struct ruleset *rs)
{
	struct atomic rules, rej;
	int to_stdout = o->out != NULL && strcmp(o->out, "-") == 0;
	char *path = NULL, stamp[32];
	const char *why;

	if (o->dir != NULL) {
		local_stamp(stamp, sizeof(stamp));
		path = dated_name(o->dir, rs->nsorted, stamp, 1);
		atomic_open_new(&rules, path, o->mode);
	} else if (!to_stdout) {
		path = xstrdup(o->out);
		atomic_open(&rules, path, o->mode);
	}
	if (o->rejects != NULL) {
		atomic_open(&rej, o->rejects, o->mode);
		emit_rejects(&rej, rs);
	}
	if (emit_rules(to_stdout ? stdout : rules.fp, lo, rs->items,
	    rs->sorted, rs->nsorted, &why) != 0)
		die(EX_IOERR, "%s: %s", to_stdout ? "standard output" :
		    rules.tmp ? rules.tmp : path, why);
	if (o->rejects != NULL)
		atomic_finish(&rej);
	if (o->dir != NULL) {
		free(path);
		path = place_dated(&rules, o->dir, rs->nsorted, stamp);
	} else if (!to_stdout)
		atomic_commit(&rules);
	summary_set("rules", rs->nsorted);
	if (!to_stdout) {
		info("wrote %s (%zu rule%s)", path, rs->nsorted,
		    plural(rs->nsorted));
		summary_text("file", path);
		free(path);
	}
	if (o->rejects != NULL)
		atomic_commit(&rej);
}

void
outbuf_init(struct outbuf *ob, FILE *fp)
{
	ob->fp = fp;
	ob->buf = xmalloc(OUTBUF_SIZE);
	ob->len = 0;
}

/* Writes the gathered bytes out; 0 or -1. */
static int
outbuf_drain(struct outbuf *ob)
{
	size_t len = ob->len;

	ob->len = 0;
	return fwrite(ob->buf, 1, len, ob->fp) == len ? 0 : -1;
}

int
outbuf_put(struct outbuf *ob, const void *data, size_t len)
{
	if (len > OUTBUF_SIZE - ob->len && outbuf_drain(ob) != 0)
		return -1;
	if (len >= OUTBUF_SIZE)		/* a huge record: as it is */
		return fwrite(data, 1, len, ob->fp) == len ? 0 : -1;
	memcpy(ob->buf + ob->len, data, len);
	ob->len += len;
	return 0;
}

int
outbuf_end(struct outbuf *ob)
{
	int rc = outbuf_drain(ob);

	free(ob->buf);
	ob->buf = NULL;
	return fflush(ob->fp) != 0 ? -1 : rc;
}

/* The records as they came, in input order, less duplicates and refused ones. */
size_t
pass_through(const struct ruleset *rs)
{
	const struct item *it;
	struct outbuf out;
	size_t i, n = 0;

	outbuf_init(&out, stdout);
	for (i = 0; i < rs->nitems; i++) {
		it = &rs->items[i];
		if (it->dropped || it->reject != NULL)
			continue;
		if (outbuf_put(&out, it->text, it->len) != 0 ||
		    outbuf_put(&out, "\n", 1) != 0)
			die(EX_IOERR, "write error on standard output: %s",
			    strerror(errno));
		n++;
	}
	if (outbuf_end(&out) != 0)
		die(EX_IOERR, "write error on standard output: %s",
		    strerror(errno));
	return n;
}
