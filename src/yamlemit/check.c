/*
 * --check: promtool's verdict on the rules that were never checked.
 *
 * promtool reports each bad rule on a line of its own,
 *
 *	FILE: 7:11: group "yamlemit_check", rule 2, "NAME": could not parse ...
 *
 * so the rules go into one group of a scratch file and the rule number maps
 * each line back to a record (the name must agree).  When promtool fails
 * without naming a rule we can map, the rules are checked again in halves,
 * down to single rules, so one bad expression never takes good ones down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"
#include "yamlemit.h"

#define CHECK_GROUP	"yamlemit_check"
/* promtool holds ~3.5 KB a rule: 1M rules at once would take 3.5 GB. */
#define CHECK_BATCH	50000

struct checker {
	const char	*prog;
	struct layout	 lo;		/* the user's labels, one group */
	struct item	*items;
	size_t		 rejected;
	int		 probed;	/* promtool passed an empty file */
	const char	*path;		/* the scratch file of the current run */
	char		*said;		/* what it said that named no rule */
	size_t		 saidlen;
};

/* Starts PROG check rules FILE, its stdout and stderr into one pipe. */
static FILE *
spawn(const char *prog, const char *file, pid_t *pid)
{
	char *argv[] = { (char *)prog, "check", "rules", (char *)file, NULL };
	int out[2], ex[2], e, devnull;
	ssize_t got;
	FILE *fp;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(ex, O_CLOEXEC) != 0)
		die(EX_OSERR, "pipe: %s", strerror(errno));
	if ((*pid = fork()) < 0)
		die(EX_OSERR, "fork: %s", strerror(errno));
	if (*pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(out[1], 2) < 0)
			_exit(126);
		execvp(prog, argv);
		e = errno;
		(void)!write(ex[1], &e, sizeof(e));
		_exit(127);
	}
	close(out[1]);
	close(ex[1]);
	/* The exec pipe closes on a successful exec; else it carries errno. */
	while ((got = read(ex[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(ex[0]);
	if (got == (ssize_t)sizeof(e)) {
		close(out[0]);
		waitpid(*pid, NULL, 0);
		die(EX_UNAVAILABLE, "cannot run %s: %s", prog, strerror(e));
	}
	if ((fp = fdopen(out[0], "r")) == NULL)
		die(EX_OSERR, "fdopen: %s", strerror(errno));
	return fp;
}

/* The rule a line of promtool's output names, as an index into idx[], or -1. */
static long
named_rule(const struct checker *ck, const char *line, const size_t *idx,
    size_t n, const char **reason)
{
	static const char mark[] = "group \"" CHECK_GROUP "\", rule ";
	const char *p = strstr(line, mark), *name;
	unsigned long rule;
	size_t len;
	char *end;

	if (p == NULL)
		return -1;
	errno = 0;
	rule = strtoul(p + sizeof(mark) - 1, &end, 10);
	if (errno != 0 || rule < 1 || rule > n || strncmp(end, ", \"", 3) != 0)
		return -1;
	name = ck->items[idx[rule - 1]].name;
	len = strlen(name);
	if (strncmp(end + 3, name, len) != 0 ||
	    strncmp(end + 3 + len, "\": ", 3) != 0)
		return -1;
	*reason = end + 3 + len + 3;
	return (long)rule - 1;
}

/* Keeps a line that named no rule, for the message if one is needed. */
static void
keep_said(struct checker *ck, const char *line)
{
	const char *text = line + strspn(line, " ");
	size_t len, plen = strlen(ck->path);

	/* promtool's chatter around the errors says nothing about a rule. */
	if (strncmp(line, "Checking ", 9) == 0 || *text == '\0' ||
	    strcmp(text, "FAILED:") == 0 || ck->saidlen > 4000)
		return;
	/* "SCRATCH: 7:11: ...": the scratch file's name means nothing later. */
	if (strncmp(text, ck->path, plen) == 0 &&
	    strncmp(text + plen, ": ", 2) == 0)
		text += plen + 2;
	len = strlen(text);
	ck->said = xreallocarray(ck->said, ck->saidlen + len + 3, 1);
	if (ck->saidlen > 0) {
		memcpy(ck->said + ck->saidlen, "; ", 2);
		ck->saidlen += 2;
	}
	memcpy(ck->said + ck->saidlen, text, len + 1);
	ck->saidlen += len;
}

/* Reads promtool's output, marking each rule it names; returns how many. */
static size_t
read_verdicts(struct checker *ck, FILE *fp, const size_t *idx, size_t n)
{
	char *line = NULL;
	size_t cap = 0, named = 0;
	const char *reason;
	ssize_t len;
	long at;

	ck->saidlen = 0;
	while ((len = getline(&line, &cap, fp)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		at = named_rule(ck, line, idx, n, &reason);
		if (at < 0) {
			keep_said(ck, line);
		} else if (ck->items[idx[at]].reject == NULL) {
			ck->items[idx[at]].reject = xstrdup(reason);
			named++;
		}
	}
	free(line);
	return named;
}

/*
 * One promtool run on items[idx[0..n)].  Returns 1 when it passed them all,
 * else 0 with *named set to the number of rules it refused by name.
 */
static int
check_once(struct checker *ck, const size_t *idx, size_t n, size_t *named)
{
	char *path;
	FILE *fp = scratch_open(&path), *out;
	const char *why;
	pid_t pid;
	int ws;

	if (emit_rules(fp, &ck->lo, ck->items, idx, n, &why) != 0)
		die(EX_IOERR, "%s: %s", path, why);
	if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		die(EX_IOERR, "%s: write error: %s", path, strerror(errno));
	debug("%s check rules: %zu rules", ck->prog, n);
	ck->path = path;
	out = spawn(ck->prog, path, &pid);
	*named = read_verdicts(ck, out, idx, n);
	fclose(out);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			die(EX_OSERR, "waitpid: %s", strerror(errno));
	scratch_remove(path);
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 1;
	/* promtool says 1 for bad rules; anything else is promtool failing. */
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 1)
		die(EX_UNAVAILABLE, "%s failed (%s %d): %s", ck->prog,
		    WIFEXITED(ws) ? "exit status" : "signal",
		    WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws),
		    ck->saidlen ? ck->said : "no output");
	return 0;
}

/* Makes sure promtool passes an empty rule file: it works, and it is promtool. */
static void
probe(struct checker *ck)
{
	size_t named;

	if (ck->probed)
		return;
	if (!check_once(ck, NULL, 0, &named))
		die(EX_UNAVAILABLE, "%s fails on an empty rule file: %s",
		    ck->prog, ck->saidlen ? ck->said : "no output");
	ck->probed = 1;
}

/* Drops the refused rules from idx[0..n); returns how many are left. */
static size_t
compact(struct checker *ck, size_t *idx, size_t n)
{
	size_t i, left = 0;

	for (i = 0; i < n; i++)
		if (ck->items[idx[i]].reject == NULL)
			idx[left++] = idx[i];
	ck->rejected += n - left;
	return left;
}

/*
 * Checks items[idx[0..n)] until what is left passes: the rules promtool
 * names are dropped and the rest checked again; when it names none, each
 * half is checked on its own, and a single rule it fails is refused.
 */
static void
check_set(struct checker *ck, size_t *idx, size_t n)
{
	size_t named;

	while (n > 0) {
		if (check_once(ck, idx, n, &named))
			return;
		if (named > 0) {
			n = compact(ck, idx, n);
			continue;
		}
		if (n == 1) {
			char *said = xstrdup(ck->saidlen ? ck->said :
			    "promtool failed without saying why");

			probe(ck);
			ck->items[idx[0]].reject = said;
			ck->rejected++;
			return;
		}
		debug("promtool named no rule; checking %zu and %zu rules apart",
		    n / 2, n - n / 2);
		check_set(ck, idx, n / 2);
		idx += n / 2;
		n -= n / 2;
	}
}

size_t
check_rules(const char *promtool, const struct layout *lo, struct ruleset *rs,
    int check_all)
{
	struct checker ck;
	size_t i, n = 0, *idx;

	memset(&ck, 0, sizeof(ck));
	ck.prog = promtool;
	ck.lo = *lo;
	ck.lo.group = CHECK_GROUP;
	ck.lo.group_size = 0;
	ck.items = rs->items;
	idx = xreallocarray(NULL, rs->nsorted ? rs->nsorted : 1, sizeof(*idx));
	for (i = 0; i < rs->nsorted; i++)
		if (check_all || rs->items[rs->sorted[i]].index == 0)
			idx[n++] = rs->sorted[i];
	info("checking %zu of %zu rules with %s", n, rs->nsorted, promtool);
	if (n == 0)
		probe(&ck);	/* nothing new, but a broken --check must show */
	for (i = 0; i < n; i += CHECK_BATCH)
		check_set(&ck, idx + i, n - i < CHECK_BATCH ? n - i : CHECK_BATCH);
	free(idx);
	free(ck.said);
	return ck.rejected;
}
