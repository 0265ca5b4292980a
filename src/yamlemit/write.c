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
#include "utf8.h"
#include "xalloc.h"
#include "yamlemit.h"

/* DIR/record_<count>_<YYYY-MM-DD_HH-MM-SS>.yml, in local time, like the original. */
static char *
dated_name(const char *dir, size_t count)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d_%H-%M-%S", &tm) == 0)
		die(EX_OSERR, "cannot format the local time");
	return xasprintf("%s%s" "record_%zu_%s.yml", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", count, stamp);
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
 * when the other cannot be created; the rule file is put in place first and
 * the rejects only after it, so that a failed run changes neither.
 */
void
write_files(const struct outputs *o, const struct layout *lo,
    const struct ruleset *rs)
{
	struct atomic rules, rej;
	int to_stdout = o->out != NULL && strcmp(o->out, "-") == 0;
	char *path = NULL;
	const char *why;

	if (!to_stdout) {
		path = o->dir ? dated_name(o->dir, rs->nsorted) :
		    xstrdup(o->out);
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
	if (!to_stdout) {
		atomic_commit(&rules);
		info("wrote %s (%zu rules)", path, rs->nsorted);
		free(path);
	}
	if (o->rejects != NULL)
		atomic_commit(&rej);
}

/* The records as they came, in input order, less duplicates and refused ones. */
void
pass_through(const struct ruleset *rs)
{
	const struct item *it;
	size_t i;

	for (i = 0; i < rs->nitems; i++) {
		it = &rs->items[i];
		if (it->dropped || it->reject != NULL)
			continue;
		if (fwrite(it->text, 1, it->len, stdout) != it->len ||
		    putchar('\n') == EOF)
			die(EX_IOERR, "write error on standard output: %s",
			    strerror(errno));
	}
}
