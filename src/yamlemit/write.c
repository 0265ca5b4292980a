/*
 * What leaves the tool, in the order that keeps a pipeline safe: the
 * rejects, then the rule file, and only once it is in place the records on
 * stdout, so that no later stage acts on rules that never reached the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
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

void
write_rules(const char *out, const char *dir, unsigned mode,
    const struct layout *lo, const struct ruleset *rs)
{
	struct atomic af;
	const char *why;
	char *path;

	if (out != NULL && strcmp(out, "-") == 0) {
		if (emit_rules(stdout, lo, rs->items, rs->sorted, rs->nsorted,
		    &why) != 0)
			die(EX_IOERR, "standard output: %s", why);
		return;
	}
	path = dir ? dated_name(dir, rs->nsorted) : xstrdup(out);
	atomic_open(&af, path, mode);
	if (emit_rules(af.fp, lo, rs->items, rs->sorted, rs->nsorted,
	    &why) != 0)
		die(EX_IOERR, "%s: %s", af.tmp, why);
	atomic_commit(&af);
	info("wrote %s (%zu rules)", path, rs->nsorted);
	free(path);
}

/* The refused records, each with promtool's reason in "error". */
void
write_rejects(const char *path, unsigned mode, struct ruleset *rs)
{
	struct atomic af;
	struct record r;
	size_t i;

	atomic_open(&af, path, mode);
	for (i = 0; i < rs->nitems; i++) {
		if (rs->items[i].reject == NULL)
			continue;
		item_record(&rs->items[i], &r);
		record_set(&r, "error", json_string(rs->items[i].reject));
		if (record_write(af.fp, &r) != 0)
			die(EX_IOERR, "%s: write error: %s", af.tmp,
			    strerror(errno));
		record_free(&r);
	}
	atomic_commit(&af);
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
