#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "diag.h"
#include "numparse.h"
#include "summary.h"
#include "utf8.h"
#include "xalloc.h"

enum kind { COUNT, SIZE, NUMBER, TEXT };

struct member {
	const char		*name;
	enum kind		 kind;
	const unsigned long	*count;
	const size_t		*size;
	unsigned long long	 number;
	char			*text;		/* NULL: null */
};

static int		 summary_fd = -1;
static int		 written;
static struct member	*members;
static size_t		 nmembers;

static int	write_summary(void);

/*
 * A run that ends before summary_write(): the counts so far.  Its own
 * status stands (exit() cannot be called again here); a failed write is
 * only told.
 */
static void
write_at_exit(void)
{
	if (summary_fd >= 0 && !written && write_summary() != 0)
		warnmsg("--summary-fd %d: %s", summary_fd, strerror(errno));
}

void
summary_open(const char *arg)
{
	long long fd = opt_long("--summary-fd", arg, 0, 1 << 20);
	int fl;

	if (fd <= 1)
		die(EX_USAGE, "--summary-fd: %lld is the standard %s", fd,
		    fd == 0 ? "input" : "output");
	if ((fl = fcntl((int)fd, F_GETFL)) < 0 || (fl & O_ACCMODE) == O_RDONLY)
		die(EX_USAGE, "--summary-fd: %lld is not open for writing", fd);
	/* Not for the programs the tool runs (promtool, kvlock's COMMAND). */
	(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	if (summary_fd < 0)
		atexit(write_at_exit);
	summary_fd = (int)fd;
}

/*
 * The member called name, now of kind (added at the end when there is none
 * yet); NULL without --summary-fd.
 */
static struct member *
member(const char *name, enum kind kind)
{
	struct member *m = NULL;
	size_t i;

	if (summary_fd < 0)
		return NULL;
	for (i = 0; i < nmembers && m == NULL; i++)
		if (strcmp(members[i].name, name) == 0)
			m = &members[i];
	if (m == NULL) {
		members = xreallocarray(members, nmembers + 1,
		    sizeof(*members));
		m = &members[nmembers++];
		m->name = name;
	} else
		free(m->text);
	m->text = NULL;
	m->kind = kind;
	return m;
}

void
summary_count(const char *name, const unsigned long *n)
{
	struct member *m = member(name, COUNT);

	if (m != NULL)
		m->count = n;
}

void
summary_size(const char *name, const size_t *size)
{
	struct member *m = member(name, SIZE);

	if (m != NULL)
		m->size = size;
}

void
summary_set(const char *name, unsigned long long n)
{
	struct member *m = member(name, NUMBER);

	if (m != NULL)
		m->number = n;
}

/* s with every byte that is not part of valid UTF-8 as U+FFFD. */
static char *
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xreallocarray(NULL, strlen(s) * 3 + 1, 1), *o = out;
	unsigned long cp;
	size_t len;

	while (*p != '\0') {
		if ((len = utf8_decode(p, &cp)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
			continue;
		}
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	*o = '\0';
	return out;
}

void
summary_text(const char *name, const char *s)
{
	struct member *m = member(name, TEXT);

	if (m != NULL && s != NULL)
		m->text = valid_utf8(s);
}

static json_t *
member_value(const struct member *m)
{
	switch (m->kind) {
	case COUNT:
		return json_integer((json_int_t)*m->count);
	case SIZE:
		return json_integer((json_int_t)*m->size);
	case NUMBER:
		return json_integer((json_int_t)m->number);
	case TEXT:
		break;
	}
	return m->text != NULL ? json_string(m->text) : json_null();
}

/*
 * Writes the object and a newline, once; -1 (errno set) when that failed.
 * json_dumpfd, not json_dumps: a tool may give jansson its own allocator
 * (qlogscan does), and nothing here then frees what jansson allocated.
 */
static int
write_summary(void)
{
	json_t *obj = json_object();
	size_t i;
	int rc;

	written = 1;
	for (i = 0; i < nmembers; i++)
		json_object_set_new(obj, members[i].name,
		    member_value(&members[i]));
	rc = json_dumpfd(obj, summary_fd, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	while (rc == 0 && write(summary_fd, "\n", 1) != 1)
		if (errno != EINTR)
			rc = -1;
	for (i = 0; i < nmembers; i++)
		free(members[i].text);
	free(members);
	members = NULL;
	nmembers = 0;
	return rc;
}

void
summary_discard(void)
{
	written = 1;
}

void
summary_write(void)
{
	if (summary_fd >= 0 && !written && write_summary() != 0)
		die(EX_IOERR, "--summary-fd %d: %s", summary_fd,
		    strerror(errno));
}
