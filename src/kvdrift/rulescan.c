/*
 * The rule file read quickly: when it ends with yamlemit's trailer
 * (rule_trailer.h), its names are taken by a line scan, and kept only if
 * the bytes above the trailer still have its SHA-256 and its rule count.
 * Any other file (written by hand, by confd, by an older yamlemit, or
 * changed since) is read by libyaml's parser (rules.c), as is this one
 * when the check fails.
 *
 * Why the scan finds exactly the rules in yamlemit's layout: each rule is
 * a mapping in an indentless sequence under "  rules:", so it opens with
 * the line "  - record: NAME", and no other line starts that way.  A
 * scalar is continued on a new line only when single-quoted (a plain one
 * is never multi-line; a double-quoted one escapes its breaks, and width
 * -1 never folds it), and its continuation lines are indented by its
 * mapping's indent plus 2: 4 for a group's name, 6 for an expr, 8 for a
 * label's value, followed by an empty line or a character that is not a
 * space (libyaml double-quotes a break followed by a space).  NAME is a
 * valid record name, plain or, for one that reads as a boolean ('yes'),
 * single-quoted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "drift.h"
#include "record.h"
#include "rule_trailer.h"
#include "xalloc.h"

#define CHUNK		(1 << 20)
#define RULE_HEAD	"  - record: "

/* What the trailer says of the bytes above it. */
struct trailer {
	off_t		body;		/* their length */
	size_t		nrules;
	unsigned char	md[RULE_DIGEST_LEN];
};

/* Reads the file's last line as a trailer: 0, or -1 when it is none. */
static int
read_trailer(FILE *fp, struct trailer *t)
{
	char tail[RULE_TRAILER_MAX];
	struct stat st;
	size_t len;
	char *nl;

	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 2)
		return -1;
	len = st.st_size < RULE_TRAILER_MAX ? (size_t)st.st_size :
	    RULE_TRAILER_MAX;
	if (fseeko(fp, st.st_size - (off_t)len, SEEK_SET) != 0 ||
	    fread(tail, 1, len, fp) != len || tail[len - 1] != '\n' ||
	    (nl = memrchr(tail, '\n', len - 1)) == NULL)
		return -1;
	len -= (size_t)(nl + 1 - tail);
	t->body = st.st_size - (off_t)len;
	return rule_trailer_parse(nl + 1, len, &t->nrules, t->md);
}

/* What the line scan has found so far. */
struct scan {
	struct drift	*d;
	size_t		 names;
	int		 odd;		/* a rule line yamlemit does not write */
};

/* One line, NUL-terminated where its newline was. */
static void
scan_line(struct scan *s, char *p, size_t len)
{
	size_t n = len - strlen(RULE_HEAD);

	if (len <= strlen(RULE_HEAD) ||
	    memcmp(p, RULE_HEAD, strlen(RULE_HEAD)) != 0)
		return;
	p += strlen(RULE_HEAD);
	if (n > 2 && p[0] == '\'' && p[n - 1] == '\'') {
		p[n - 1] = '\0';
		p++;
	}
	if (!record_name_valid(p)) {
		s->odd = 1;
		return;
	}
	drift_take_rule(s->d, p);
	s->names++;
}

/* The whole lines of buf[0..len); returns where the unfinished one starts. */
static size_t
scan_lines(struct scan *s, char *buf, size_t len)
{
	char *p = buf, *end = buf + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*nl = '\0';
		scan_line(s, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

/*
 * Streams the body (t->body bytes from the start) through the digest and
 * the scan.  0, or EX_IOERR; *whole is set when every line was ended.
 */
static int
scan_body(FILE *fp, const char *path, const struct trailer *t,
    struct scan *s, struct rule_digest *dg, int *whole)
{
	size_t cap = CHUNK, len = 0, got, want, done;
	off_t left = t->body;
	char *buf = xmalloc(cap);
	int status = 0;

	rewind(fp);
	while (left > 0) {
		if (len == cap)		/* a line longer than the buffer */
			buf = xreallocarray(buf, cap *= 2, 1);
		want = (off_t)(cap - len) < left ? cap - len : (size_t)left;
		if ((got = fread(buf + len, 1, want, fp)) == 0) {
			if (ferror(fp)) {
				warnmsg("%s: %s", path, strerror(errno));
				status = EX_IOERR;
			}
			break;
		}
		rule_digest_add(dg, buf + len, got);
		left -= (off_t)got;
		done = scan_lines(s, buf, len + got);
		len += got - done;
		memmove(buf, buf + done, len);
	}
	*whole = left == 0 && len == 0;
	free(buf);
	return status;
}

int
drift_read_rules_quick(struct drift *d, FILE *fp, const char *path)
{
	struct scan s = { d, 0, 0 };
	struct rule_digest dg;
	struct trailer t;
	unsigned char md[RULE_DIGEST_LEN];
	int status, whole;

	if (read_trailer(fp, &t) != 0) {
		rewind(fp);
		return 0;
	}
	rule_digest_init(&dg);
	status = scan_body(fp, path, &t, &s, &dg, &whole);
	rule_digest_final(&dg, md);
	rule_digest_free(&dg);
	if (status != 0) {
		drift_forget_rules(d);
		return status;
	}
	if (whole && !s.odd && s.names == t.nrules &&
	    memcmp(md, t.md, sizeof(md)) == 0) {
		info("%s: %zu rule%s, as yamlemit wrote them", path, s.names,
		    plural(s.names));
		return 1;
	}
	info("%s: changed since yamlemit wrote it; read as YAML", path);
	drift_forget_rules(d);
	rewind(fp);
	return 0;
}
