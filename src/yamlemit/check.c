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
 *
 * Its verdicts are taken only from a promtool shown to tell good from bad:
 * a program that passes everything would turn --check off unseen.  Two
 * canary rules of our own follow the rules in every run, a good one and a
 * bad one, and the run must refuse exactly the bad canary by name.  That
 * costs no run of its own: a steady run with a few new rules runs promtool
 * once (two probe runs took more than the rest of such a run at 50k
 * records).  A promtool that fails without naming any rule, the canary
 * either, is judged by its exit status instead, as rules are then checked
 * in halves: first it must pass a good rule and refuse a bad one, each run
 * on its own (probe()).  Each run is bounded by --check-timeout;
 * promtool's output is read whole (with poll, so that the bound holds)
 * before it is parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"
#include "yamlemit.h"

#define CHECK_GROUP	"yamlemit_check"
/* promtool holds ~3.5 KB a rule: 1M rules at once would take 3.5 GB. */
#define CHECK_BATCH	50000

struct checker {
	const struct checkopts *co;
	struct layout	 lo;		/* the user's labels, one group */
	struct item	*items;
	size_t		 canary;	/* items[canary]: good, [canary + 1]: bad */
	size_t		*run;		/* a run's rules: the batch, the canaries */
	int		 vague;		/* promtool names no rule: no canaries */
	size_t		 rejected;
	const char	*path;		/* the scratch file of the current run */
	char		*out;		/* all promtool said in this run */
	size_t		 outlen, outcap;
	char		*said;		/* what it said that named no rule */
	size_t		 saidlen;
};

/* The time `seconds` from now, on a clock that only goes forward. */
static struct timespec
deadline_in(double seconds)
{
	struct timespec d;
	time_t whole = (time_t)seconds;

	clock_gettime(CLOCK_MONOTONIC, &d);
	d.tv_sec += whole;
	d.tv_nsec += (long)((seconds - (double)whole) * 1e9);
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	return d;
}

/* Milliseconds left until the deadline, 0 once it has come (poll's unit). */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec ts;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ms = (long long)(deadline->tv_sec - ts.tv_sec) * 1000 +
	    (deadline->tv_nsec - ts.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/*
 * Starts PROG check rules FILE, its stdout and stderr into one pipe.  The
 * lint is off: it only looks for rules that make the same series, which
 * record names made from the expressions' digests never do, and it costs
 * promtool about 7% of its CPU on 50,000 rules.
 */
static int
spawn(const char *prog, const char *file, pid_t *pid)
{
	char *argv[] = { (char *)prog, "check", "rules", "--lint=none",
	    (char *)file, NULL };
	int out[2], ex[2], e, devnull;
	ssize_t got;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(ex, O_CLOEXEC) != 0)
		die(EX_OSERR, "pipe: %s", strerror(errno));
	if ((*pid = child_fork()) == 0) {
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
		child_reaped();
		die(EX_UNAVAILABLE, "cannot run %s: %s", prog, strerror(e));
	}
	return out[0];
}

/*
 * Reads all promtool says into ck->out (NUL-terminated) until it closes the
 * pipe; returns -1 when the deadline comes first.
 */
static int
read_output(struct checker *ck, int fd, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t got;
	int ready, left;

	ck->outlen = 0;
	for (;;) {
		if (ck->outcap - ck->outlen < 8192) {
			ck->outcap = ck->outcap ? ck->outcap * 2 : 65536;
			ck->out = xreallocarray(ck->out, ck->outcap, 1);
		}
		if ((left = ms_left(deadline)) == 0)
			return -1;
		if ((ready = poll(&pfd, 1, left)) < 0 &&
		    errno != EINTR)
			die(EX_OSERR, "poll: %s", strerror(errno));
		if (ready <= 0)
			continue;
		got = read(fd, ck->out + ck->outlen, ck->outcap - ck->outlen - 1);
		if (got == 0)
			break;
		if (got < 0 && errno != EINTR)
			die(EX_IOERR, "reading from %s: %s", ck->co->prog,
			    strerror(errno));
		if (got > 0)
			ck->outlen += (size_t)got;
	}
	ck->out[ck->outlen] = '\0';
	return 0;
}

/* Waits for promtool to exit; returns -1 when the deadline comes first. */
static int
wait_exit(pid_t pid, int *ws, const struct timespec *deadline)
{
	const struct timespec tick = { 0, 10000000 };
	pid_t got;

	/* It has closed its output: it exits now, or it hangs. */
	while ((got = waitpid(pid, ws, WNOHANG)) != pid) {
		if (got < 0 && errno != EINTR)
			die(EX_OSERR, "waitpid: %s", strerror(errno));
		if (ms_left(deadline) == 0)
			return -1;
		nanosleep(&tick, NULL);
	}
	child_reaped();
	return 0;
}

/* Skips "L:C: ", the position promtool puts before a verdict, if any. */
static const char *
skip_position(const char *p)
{
	const char *q = p + strspn(p, "0123456789");

	if (q == p || *q != ':')
		return p;
	q++;
	p = q;
	q += strspn(q, "0123456789");
	return q > p && strncmp(q, ": ", 2) == 0 ? q + 2 : p;
}

/*
 * The group's mark on a line that is a verdict, or NULL: the line must
 * start with the scratch file's name ("SCRATCH: L:C: group ...").
 * promtool quotes an expression's text raw (a bad regex, line breaks and
 * all), so a record could otherwise print lines that pass for verdicts on
 * other rules or on the canaries; the scratch file's name is random.
 */
static const char *
verdict_mark(const struct checker *ck, const char *line)
{
	static const char mark[] = "group \"" CHECK_GROUP "\", rule ";
	const char *p = line + strspn(line, " ");
	size_t plen = strlen(ck->path);

	if (strncmp(p, ck->path, plen) != 0 || strncmp(p + plen, ": ", 2) != 0)
		return NULL;
	p = skip_position(p + plen + 2);
	return strncmp(p, mark, sizeof(mark) - 1) == 0 ? p + sizeof(mark) - 1 :
	    NULL;
}

/* The rule a line of promtool's output names, as an index into idx[], or -1. */
static long
named_rule(const struct checker *ck, const char *line, const size_t *idx,
    size_t n, const char **reason)
{
	const char *p = verdict_mark(ck, line), *name;
	unsigned long rule;
	size_t len;
	char *end;

	if (p == NULL)
		return -1;
	errno = 0;
	rule = strtoul(p, &end, 10);
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

/* Goes through promtool's output, marking each rule it names; returns how many. */
static size_t
read_verdicts(struct checker *ck, const size_t *idx, size_t n)
{
	char *line, *nl, *end = ck->out + ck->outlen;
	size_t len, named = 0;
	const char *reason;
	long at;

	ck->saidlen = 0;
	for (line = ck->out; line < end; line += len + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		len = (size_t)((nl ? nl : end) - line);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		at = named_rule(ck, line, idx, n, &reason);
		if (at < 0) {
			keep_said(ck, line);
		} else if (ck->items[idx[at]].reject == NULL) {
			ck->items[idx[at]].reject = xstrdup(reason);
			named++;
		}
	}
	return named;
}

/*
 * One promtool run on items[idx[0..n)].  Returns 1 when it passed them all,
 * else 0 with *named set to the number of rules it refused by name.
 */
static int
run_promtool(struct checker *ck, const size_t *idx, size_t n, size_t *named)
{
	const char *prog = ck->co->prog, *why;
	struct timespec deadline;
	char *path;
	FILE *fp = scratch_open(&path);
	pid_t pid;
	int ws, out;

	if (emit_rules(fp, &ck->lo, ck->items, idx, n, &why) != 0)
		die(EX_IOERR, "%s: %s", path, why);
	if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		die(EX_IOERR, "%s: write error: %s", path, strerror(errno));
	debug("%s check rules: %zu rule%s", prog, n, plural(n));
	ck->path = path;
	deadline = deadline_in(ck->co->timeout);
	out = spawn(prog, path, &pid);
	/* Past the deadline, exit() kills its process group and reaps it. */
	if (read_output(ck, out, &deadline) != 0 ||
	    wait_exit(pid, &ws, &deadline) != 0)
		die(EX_UNAVAILABLE, "%s did not finish within --check-timeout "
		    "%s; killed it", prog, ck->co->timeout_arg);
	close(out);
	*named = read_verdicts(ck, idx, n);
	scratch_remove(path);
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 1;
	/* promtool says 1 for bad rules; anything else is promtool failing. */
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 1)
		die(EX_UNAVAILABLE, "%s failed (%s %d): %s", prog,
		    WIFEXITED(ws) ? "exit status" : "signal",
		    WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws),
		    ck->saidlen ? ck->said : "no output");
	return 0;
}

/* One run on a rule of our own: whether promtool passed it. */
static int
probe_one(struct checker *ck, const char *expr, char **reason)
{
	struct item it, *items = ck->items;
	size_t idx = 0, named;
	int passed;

	memset(&it, 0, sizeof(it));
	it.text = xasprintf("{\"record\":\"yamlemit:probe\",\"expr\":\"%s\"}",
	    expr);
	it.len = strlen(it.text);
	it.name = "yamlemit:probe";
	it.expr = expr;
	it.expr_len = strlen(expr);
	it.file = "(probe)";
	ck->items = &it;
	passed = run_promtool(ck, &idx, 1, &named);
	ck->items = items;
	*reason = it.reject ? it.reject : xstrdup(ck->saidlen ? ck->said :
	    "no output");
	free(it.text);
	return passed;
}

/*
 * Makes sure PROMTOOL works and is promtool: it passes a good rule, with the
 * user's labels and interval, and refuses a bad one.
 */
static void
probe(struct checker *ck)
{
	char *reason;

	if (!probe_one(ck, "vector(1)", &reason))
		die(EX_UNAVAILABLE, "%s fails on a good rule file: %s",
		    ck->co->prog, reason);
	free(reason);
	if (probe_one(ck, "sum(", &reason))
		die(EX_UNAVAILABLE, "%s passes a rule file with a bad "
		    "expression in it; is it promtool?", ck->co->prog);
	free(reason);
}

/*
 * One run on items[idx[0..n)] followed by the canaries.  Returns 1 when
 * promtool refused the bad canary and nothing else (the n rules pass), 0
 * when it refused some of them (*named) and -1 when it named no rule at
 * all.  Passing the bad canary or refusing the good one ends the run.
 */
static int
check_with_canaries(struct checker *ck, const size_t *idx, size_t n,
    size_t *named)
{
	struct item *good = &ck->items[ck->canary], *bad = good + 1;
	int bad_named;

	memcpy(ck->run, idx, n * sizeof(*idx));
	ck->run[n] = ck->canary;
	ck->run[n + 1] = ck->canary + 1;
	if (run_promtool(ck, ck->run, n + 2, named))
		die(EX_UNAVAILABLE, "%s passes a rule file with a bad "
		    "expression in it; is it promtool?", ck->co->prog);
	if (good->reject != NULL)
		die(EX_UNAVAILABLE, "%s fails on a good rule file: %s",
		    ck->co->prog, good->reject);
	bad_named = bad->reject != NULL;
	free(bad->reject);
	bad->reject = NULL;
	*named -= (size_t)bad_named;
	if (*named > 0)
		return 0;
	return bad_named ? 1 : -1;
}

/*
 * One check of items[idx[0..n)]: 1 when they all pass, else 0 with *named
 * set to the number promtool refused by name.  With n == 0 only what tells
 * whether promtool works runs.
 */
static int
check_run(struct checker *ck, const size_t *idx, size_t n, size_t *named)
{
	int verdict;

	*named = 0;
	if (!ck->vague) {
		if ((verdict = check_with_canaries(ck, idx, n, named)) >= 0)
			return verdict;
		debug("%s named no rule, no canary either; judging by its "
		    "exit status", ck->co->prog);
		ck->vague = 1;
		probe(ck);
	}
	return n == 0 ? 1 : run_promtool(ck, idx, n, named);
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
 * half is checked on its own, and a single rule it fails is refused.  It
 * runs at least once, so that a broken promtool shows with nothing to
 * check.
 */
static void
check_set(struct checker *ck, size_t *idx, size_t n)
{
	size_t named;

	do {
		if (check_run(ck, idx, n, &named))
			return;
		if (named > 0) {
			n = compact(ck, idx, n);
			continue;
		}
		if (n == 1) {
			ck->items[idx[0]].reject = xstrdup(ck->saidlen ?
			    ck->said : "promtool failed without saying why");
			ck->rejected++;
			return;
		}
		debug("promtool named no rule; checking %zu and %zu rules "
		    "apart", n / 2, n - n / 2);
		check_set(ck, idx, n / 2);
		idx += n / 2;
		n -= n / 2;
	} while (n > 0);
}

/*
 * The canaries, as two items after the last of rs (within its capacity,
 * so that nothing that walks rs sees them); returns the first's index.
 */
static size_t
add_canaries(struct ruleset *rs)
{
	static const char *const rule[2][2] = {
		{ "yamlemit:canary_good", "vector(1)" },
		{ "yamlemit:canary_bad", "sum(" },
	};
	struct item *it;
	int i;

	if (rs->cap < rs->nitems + 2) {
		rs->cap = rs->nitems + 2;
		rs->items = xreallocarray(rs->items, rs->cap,
		    sizeof(*rs->items));
	}
	for (i = 0; i < 2; i++) {
		it = &rs->items[rs->nitems + (size_t)i];
		memset(it, 0, sizeof(*it));
		it->text = xasprintf("{\"record\":\"%s\",\"expr\":\"%s\"}",
		    rule[i][0], rule[i][1]);
		it->len = strlen(it->text);
		it->name = rule[i][0];
		it->expr = rule[i][1];
		it->expr_len = strlen(it->expr);
		it->file = "(canary)";
	}
	return rs->nitems;
}

static void
remove_canaries(struct ruleset *rs, size_t canary)
{
	size_t i;

	for (i = canary; i < canary + 2; i++) {
		free(rs->items[i].text);
		free(rs->items[i].reject);
	}
}

size_t
check_rules(const struct checkopts *co, const struct layout *lo,
    struct ruleset *rs)
{
	struct checker ck;
	size_t i, n = 0, *idx;

	memset(&ck, 0, sizeof(ck));
	ck.co = co;
	ck.lo = *lo;
	ck.lo.group = CHECK_GROUP;
	ck.lo.group_size = 0;
	ck.canary = add_canaries(rs);
	ck.items = rs->items;
	idx = xreallocarray(NULL, rs->nsorted ? rs->nsorted : 1, sizeof(*idx));
	for (i = 0; i < rs->nsorted; i++)
		if (co->all || rs->items[rs->sorted[i]].index == 0)
			idx[n++] = rs->sorted[i];
	info("checking %zu of %zu rule%s with %s", n, rs->nsorted,
	    plural(rs->nsorted), co->prog);
	ck.run = xreallocarray(NULL, (n < CHECK_BATCH ? n : CHECK_BATCH) + 2,
	    sizeof(*ck.run));
	/* Even with nothing new: a broken --check must show. */
	i = 0;
	do {
		check_set(&ck, idx + i, n - i < CHECK_BATCH ? n - i : CHECK_BATCH);
		i += CHECK_BATCH;
	} while (i < n);
	remove_canaries(rs, ck.canary);
	free(ck.run);
	free(idx);
	free(ck.out);
	free(ck.said);
	return ck.rejected;
}
