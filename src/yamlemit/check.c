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
 * on its own (probe()).
 *
 * promtool checks a rule in one thread, so a batch of rules is split into
 * parts, one a CPU, each a run of its own started at once (check_batch()).
 * Every part carries the canaries: one canary run would vouch for the
 * others only if every run were sure to behave alike, and a run that exits
 * 0 having checked nothing would pass its part unseen.  Each run is bounded
 * by --check-timeout; the runs' outputs are read together with poll (so
 * that none waits on a full pipe and the bound holds) and whole before
 * they are parsed.  A run that fails or outlives the bound ends the check,
 * and exit() kills every run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
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
/*
 * The fewest rules a part of a batch gets when --check-jobs is not given.
 * A run of promtool (2.42, GOGC=200) starts in ~27 ms of CPU and checks a
 * rule in ~36 us.  On this 2-core machine at load 2.7 (paired medians of 7
 * runs, yamlemit --check with 1 and 2 parts): 10k and 20k rules gained no
 * wall time (-0.02, +0.02 s) for 0.04-0.05 s more CPU; 50k rules took
 * 0.47 s less wall time for 0.01 s more CPU.  A part of 20000 rules or
 * more makes the second start-up a few percent of its work at most.
 */
#define CHECK_PART_MIN	20000

/* One run of promtool: its rules, its scratch file, the process, its output. */
struct run {
	size_t		*idx;		/* the run's items, canaries last */
	size_t		 n, cap;
	char		*path;		/* the scratch file */
	pid_t		 pid;		/* 0 once reaped */
	int		 fd;		/* its output; -1 once closed */
	int		 ws;		/* its wait status, once reaped */
	int		 canaries;	/* the last two items are the canaries */
	struct timespec	 deadline;
	char		*out;		/* all it said, NUL-terminated */
	size_t		 outlen, outcap;
};

struct checker {
	const struct checkopts *co;
	struct layout	 lo;		/* the user's labels, one group */
	struct item	*items;
	size_t		 canary;	/* items[canary]: good, [canary + 1]: bad */
	size_t		 cpus;		/* this process may run on */
	struct run	 runs[CHECK_JOBS_MAX];	/* runs[0] for one at a time */
	int		 vague;		/* promtool names no rule: no canaries */
	size_t		 rejected;
	const char	*path;		/* the scratch file of the run read */
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
	if (ms > INT_MAX)
		return INT_MAX;
	return ms > 0 ? (int)ms : 0;
}

/* Starts PROG check rules FILE, its stdout and stderr into one pipe. */
static int
spawn(const char *prog, const char *file, pid_t *pid)
{
	char *argv[] = { (char *)prog, "check", "rules", (char *)file, NULL };
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
		child_reaped(*pid);
		die(EX_UNAVAILABLE, "cannot run %s: %s", prog, strerror(e));
	}
	return out[0];
}

/* Writes the run's rules to a scratch file and starts promtool on it. */
static void
run_start(struct checker *ck, struct run *r)
{
	const char *why;
	FILE *fp = scratch_open(&r->path);

	if (emit_rules(fp, &ck->lo, ck->items, r->idx, r->n, &why) != 0)
		die(EX_IOERR, "%s: %s", r->path, why);
	if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		die(EX_IOERR, "%s: write error: %s", r->path, strerror(errno));
	debug("%s check rules: %zu rule%s", ck->co->prog, r->n, plural(r->n));
	r->outlen = 0;
	r->deadline = deadline_in(ck->co->timeout);
	r->fd = spawn(ck->co->prog, r->path, &r->pid);
}

/* Reads what is there of the run's output; at its end, closes it. */
static void
run_read(struct checker *ck, struct run *r)
{
	ssize_t got;

	if (r->outcap - r->outlen < 8192) {
		r->outcap = r->outcap ? r->outcap * 2 : 65536;
		r->out = xreallocarray(r->out, r->outcap, 1);
	}
	got = read(r->fd, r->out + r->outlen, r->outcap - r->outlen - 1);
	if (got < 0 && errno != EINTR && errno != EAGAIN)
		die(EX_IOERR, "reading from %s: %s", ck->co->prog,
		    strerror(errno));
	if (got > 0)
		r->outlen += (size_t)got;
	if (got == 0) {
		close(r->fd);
		r->fd = -1;
	}
	r->out[r->outlen] = '\0';
}

static void run_failed(struct checker *, struct run *);

/*
 * Reaps the run once it has closed its output (it exits now, or it hangs);
 * returns whether it has.  A promtool that failed ends the check at once.
 */
static int
run_reap(struct checker *ck, struct run *r)
{
	pid_t got = waitpid(r->pid, &r->ws, WNOHANG);

	if (got < 0 && errno != EINTR)
		die(EX_OSERR, "waitpid: %s", strerror(errno));
	if (got != r->pid)
		return 0;
	child_reaped(r->pid);
	r->pid = 0;
	/* promtool says 1 for bad rules; anything else is promtool failing. */
	if (!WIFEXITED(r->ws) || WEXITSTATUS(r->ws) > 1)
		run_failed(ck, r);
	return 1;
}

/*
 * Reads the output of runs[0..k) and reaps them, all at once, so that no
 * run waits on a full pipe while we wait on another.  Past a run's
 * deadline, or when one fails, the check ends: exit() kills every run.
 */
static void
runs_wait(struct checker *ck, struct run *runs, size_t k)
{
	struct pollfd pfd[CHECK_JOBS_MAX];
	struct run *of[CHECK_JOBS_MAX];
	size_t i, nfd, left = k;
	int ms, wait_ms;

	while (left > 0) {
		nfd = 0;
		wait_ms = INT_MAX;
		for (i = 0; i < k; i++) {
			if (runs[i].pid == 0)
				continue;
			if ((ms = ms_left(&runs[i].deadline)) == 0)
				die(EX_UNAVAILABLE, "%s did not finish within "
				    "--check-timeout %s; killed %s",
				    ck->co->prog, ck->co->timeout_arg,
				    k == 1 ? "it" : "every run of it");
			if (runs[i].fd < 0) {
				if (run_reap(ck, &runs[i])) {
					left--;
					continue;
				}
				ms = ms < 10 ? ms : 10;
			} else {
				pfd[nfd].fd = runs[i].fd;
				pfd[nfd].events = POLLIN;
				of[nfd++] = &runs[i];
			}
			wait_ms = ms < wait_ms ? ms : wait_ms;
		}
		if (left == 0)
			break;
		if (poll(pfd, nfd, wait_ms) < 0 && errno != EINTR)
			die(EX_OSERR, "poll: %s", strerror(errno));
		for (i = 0; i < nfd; i++)
			if (pfd[i].revents != 0)
				run_read(ck, of[i]);
	}
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

/* Goes through a run's output, marking each rule it names; returns how many. */
static size_t
read_verdicts(struct checker *ck, struct run *r)
{
	char *line, *nl, *end = r->out + r->outlen;
	size_t len, named = 0;
	const char *reason;
	long at;

	ck->path = r->path;
	ck->saidlen = 0;
	for (line = r->out; line < end; line += len + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		len = (size_t)((nl ? nl : end) - line);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		at = named_rule(ck, line, r->idx, r->n, &reason);
		if (at < 0) {
			keep_said(ck, line);
		} else if (ck->items[r->idx[at]].reject == NULL) {
			ck->items[r->idx[at]].reject = xstrdup(reason);
			named++;
		}
	}
	return named;
}

/* A run that was killed or exited with neither 0 nor 1: the check ends. */
static void
run_failed(struct checker *ck, struct run *r)
{
	read_verdicts(ck, r);
	die(EX_UNAVAILABLE, "%s failed (%s %d): %s", ck->co->prog,
	    WIFEXITED(r->ws) ? "exit status" : "signal",
	    WIFEXITED(r->ws) ? WEXITSTATUS(r->ws) : WTERMSIG(r->ws),
	    ck->saidlen ? ck->said : "no output");
}

/* Makes r the run of items[idx[0..n)], the canaries after them unless vague. */
static void
run_set(struct checker *ck, struct run *r, const size_t *idx, size_t n)
{
	r->canaries = !ck->vague;
	r->n = n + (r->canaries ? 2 : 0);
	if (r->cap < r->n) {
		r->cap = r->n;
		r->idx = xreallocarray(r->idx, r->cap, sizeof(*r->idx));
	}
	memcpy(r->idx, idx, n * sizeof(*idx));
	if (r->canaries) {
		r->idx[n] = ck->canary;
		r->idx[n + 1] = ck->canary + 1;
	}
}

/* One run of promtool on items[idx[0..n)], in runs[0], to its end. */
static struct run *
run_one(struct checker *ck, const size_t *idx, size_t n)
{
	struct run *r = &ck->runs[0];

	run_set(ck, r, idx, n);
	run_start(ck, r);
	runs_wait(ck, r, 1);
	return r;
}

/*
 * promtool's verdict on a finished run: 1 when it passed every rule, else
 * 0 with *named set to the number it refused by name.  (run_reap() has
 * ended the check on any exit status but 0 and 1.)
 */
static int
run_result(struct checker *ck, struct run *r, size_t *named)
{
	*named = read_verdicts(ck, r);
	scratch_remove(r->path);
	r->path = NULL;
	return WEXITSTATUS(r->ws) == 0;
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
	passed = run_result(ck, run_one(ck, &idx, 1), &named);
	ck->items = items;
	*reason = it.reject ? it.reject : xstrdup(ck->saidlen ? ck->said :
	    "no output");
	free(it.text);
	return passed;
}

/*
 * Makes sure PROMTOOL works and is promtool: it passes a good rule, with the
 * user's labels and interval, and refuses a bad one.  Only once vague: these
 * runs carry no canaries.
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
 * The verdict on a finished run that carried the canaries: 1 when promtool
 * refused the bad canary and nothing else (the rules pass), 0 when it
 * refused some rules (*named, the canary not counted) and -1 when it named
 * no rule at all.  Passing the bad canary or refusing the good one ends the
 * check.
 */
static int
canary_verdict(struct checker *ck, struct run *r, size_t *named)
{
	struct item *good = &ck->items[ck->canary], *bad = good + 1;
	int bad_named;

	if (run_result(ck, r, named))
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
 * The verdict on a finished run of items[idx[0..n)]: 1 when they all pass,
 * else 0 with *named set to the number promtool refused by name.  A run
 * with canaries that named none, the bad canary either, turns the check
 * vague: promtool is then judged by its exit status, once probe() has
 * shown that this means something, and the rules are run again.
 */
static int
run_verdict(struct checker *ck, struct run *r, const size_t *idx, size_t n,
    size_t *named)
{
	int verdict;

	if (!r->canaries)
		return run_result(ck, r, named);
	if ((verdict = canary_verdict(ck, r, named)) >= 0)
		return verdict;
	if (!ck->vague) {
		debug("%s named no rule, no canary either; judging by its "
		    "exit status", ck->co->prog);
		ck->vague = 1;
		probe(ck);
	}
	*named = 0;
	return n == 0 ? 1 : run_result(ck, run_one(ck, idx, n), named);
}

/*
 * One run on items[idx[0..n)], as run_verdict().  With n == 0 only what
 * tells whether promtool works runs.
 */
static int
check_run(struct checker *ck, const size_t *idx, size_t n, size_t *named)
{
	*named = 0;
	if (ck->vague && n == 0)
		return 1;
	return run_verdict(ck, run_one(ck, idx, n), idx, n, named);
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

static void	check_set(struct checker *, size_t *, size_t);

/*
 * From promtool's verdict on items[idx[0..n)] (passed, or *named refused
 * by name), checks them one run at a time until what is left passes: the
 * rules promtool names are dropped and the rest checked again; when it
 * names none, each half is checked on its own, and a single rule it fails
 * is refused.
 */
static void
settle(struct checker *ck, size_t *idx, size_t n, int passed, size_t named)
{
	while (!passed) {
		if (named > 0) {
			if ((n = compact(ck, idx, n)) == 0)
				return;
		} else if (n == 1) {
			ck->items[idx[0]].reject = xstrdup(ck->saidlen ?
			    ck->said : "promtool failed without saying why");
			ck->rejected++;
			return;
		} else {
			debug("promtool named no rule; checking %zu and %zu "
			    "rules apart", n / 2, n - n / 2);
			check_set(ck, idx, n / 2);
			idx += n / 2;
			n -= n / 2;
		}
		passed = check_run(ck, idx, n, &named);
	}
}

/*
 * Checks items[idx[0..n)] one run at a time.  It runs at least once, so
 * that a broken promtool shows with nothing to check.
 */
static void
check_set(struct checker *ck, size_t *idx, size_t n)
{
	size_t named;
	int passed = check_run(ck, idx, n, &named);

	settle(ck, idx, n, passed, named);
}

/*
 * How many parts, run at once, a batch of n rules is checked in:
 * --check-jobs says; else one a CPU we may run on, so long as each part
 * gets CHECK_PART_MIN rules.
 */
static size_t
check_parts(const struct checker *ck, size_t n)
{
	size_t k = ck->co->jobs;

	if (k == 0) {
		k = ck->cpus < CHECK_JOBS_MAX ? ck->cpus : CHECK_JOBS_MAX;
		if (k > n / CHECK_PART_MIN)
			k = n / CHECK_PART_MIN;
	}
	if (k > n)
		k = n;
	return k > 0 ? k : 1;
}

/*
 * Checks a batch, items[idx[0..n)], in parts run at once, each with the
 * canaries: each run must show that it refuses a bad rule, since a part
 * whose run failed unseen (it exits 0 having checked nothing, say) would
 * otherwise pass its rules.  Then what a part left unsettled, a part at a
 * time, reading the parts' output in order.
 */
static void
check_batch(struct checker *ck, size_t *idx, size_t n)
{
	size_t k = check_parts(ck, n), i, at, len, named;
	int passed;

	if (k == 1 || ck->vague) {
		check_set(ck, idx, n);
		return;
	}
	debug("%zu rules in %zu parts at once", n, k);
	for (i = 0, at = 0; i < k; at += len, i++) {
		len = n / k + (i < n % k);
		run_set(ck, &ck->runs[i], idx + at, len);
		run_start(ck, &ck->runs[i]);
	}
	runs_wait(ck, ck->runs, k);
	for (i = 0, at = 0; i < k; at += len, i++) {
		len = n / k + (i < n % k);
		passed = run_verdict(ck, &ck->runs[i], idx + at, len, &named);
		settle(ck, idx + at, len, passed, named);
	}
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

/* The CPUs this process may run on (taskset, cgroups' cpusets), at least 1. */
static size_t
cpus_usable(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (size_t)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
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
	ck.cpus = cpus_usable();
	ck.canary = add_canaries(rs);
	ck.items = rs->items;
	idx = xreallocarray(NULL, rs->nsorted ? rs->nsorted : 1, sizeof(*idx));
	for (i = 0; i < rs->nsorted; i++)
		if (co->all || rs->items[rs->sorted[i]].index == 0)
			idx[n++] = rs->sorted[i];
	info("checking %zu of %zu rule%s with %s", n, rs->nsorted,
	    plural(rs->nsorted), co->prog);
	/* Even with nothing new: a broken --check must show. */
	i = 0;
	do {
		check_batch(&ck, idx + i, n - i < CHECK_BATCH ? n - i :
		    CHECK_BATCH);
		i += CHECK_BATCH;
	} while (i < n);
	remove_canaries(rs, ck.canary);
	for (i = 0; i < CHECK_JOBS_MAX; i++) {
		free(ck.runs[i].idx);
		free(ck.runs[i].out);
	}
	free(idx);
	free(ck.said);
	return ck.rejected;
}
