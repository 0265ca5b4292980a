#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "diag.h"

/*
 * Once the lock is lost, the group gets SIGKILL this long after SIGTERM
 * (or after --grace when shorter): a loss is noticed within a renewal's
 * interval of the session going, so the group is gone before Consul's
 * lock-delay lets another run take the lock.
 */
#define LOST_KILL_AFTER	(LOCK_DELAY - 2 * LOCK_RENEW_EVERY)

/* What the waits share: the command, the lock, how the group is stopped. */
struct watch {
	struct command	*cmd;
	struct lock	*l;
	const sigset_t	*set;
	double		 grace;
	double		 term_at;	/* when the group gets SIGTERM */
	double		 kill_at;	/* and SIGKILL; INFINITY: not planned */
	int		 sent;		/* the last of them sent, or 0 */
	int		 lost;		/* the lock was lost */
};

/* The terminal whose foreground kvlock is in, or -1. */
static int
foreground_tty(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (isatty(fd) && tcgetpgrp(fd) == getpgrp())
			return fd;
	return -1;
}

/*
 * SIGINT and SIGQUIT back to their defaults: a shell that starts kvlock in
 * the background ignores both for it, and a command that inherited that
 * would outlive Ctrl-C and the SIGINT kvlock passes on (a shell cannot
 * even trap a signal ignored at its start).  kvlock takes SIGINT itself
 * all the same: a blocked signal is never discarded as ignored.
 */
static void
default_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/* In the child: a group of its own, stopped if kvlock dies, then exec. */
static void __attribute__((noreturn))
exec_command(char *argv[], const sigset_t *old, pid_t parent, int tty)
{
	int e;

	default_interrupts();
	setpgid(0, 0);
	if (tty != -1)
		tcsetpgrp(tty, getpid());
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)	/* kvlock died before prctl */
		_exit(128 + SIGTERM);
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	e = errno;
	warnmsg("%s: %s", argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * In a second child: waits for kvlock's death, then sends the command's
 * whole group SIGTERM.  The command's own PR_SET_PDEATHSIG reaches it
 * alone, and the rest of its group (a pipeline's other stages) would go
 * on writing, unsupervised, while the TTL frees the lock.  It keeps none
 * of kvlock's files but standard error open: no reader waits on it.
 */
static void __attribute__((noreturn))
watch_for_death(pid_t group, pid_t parent)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	dup2(null, 0);
	dup2(null, 1);
	close_range(3, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	/* Checked after prctl: kvlock may have died before it. */
	while (getppid() == parent)
		sigwaitinfo(&all, NULL);
	warnmsg("kvlock is gone: sending the command's group SIGTERM");
	kill(-group, SIGTERM);
	kill(-group, SIGCONT);
	_exit(0);
}

/* The watcher of kvlock's death, or 0 when it could not be started. */
static pid_t
start_watcher(pid_t group, pid_t parent)
{
	pid_t pid = fork();

	if (pid == 0)
		watch_for_death(group, parent);
	if (pid == -1)
		warnmsg("fork: %s: should kvlock die, only the command will be "
		    "stopped", strerror(errno));
	return pid > 0 ? pid : 0;
}

int
command_start(struct command *cmd, char *argv[], const sigset_t *old)
{
	pid_t parent = getpid();
	sigset_t ttou;

	/* Giving the terminal away and taking it back must not stop us. */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, NULL);
	cmd->tty = foreground_tty();
	/* The command's orphans come to us, to be reaped while we wait. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if ((cmd->pid = fork()) == -1) {
		warnmsg("fork: %s", strerror(errno));
		return -1;
	}
	if (cmd->pid == 0)
		exec_command(argv, old, parent, cmd->tty);
	/* Set on both sides: the group exists whichever runs first. */
	setpgid(cmd->pid, cmd->pid);
	if (cmd->tty != -1)
		tcsetpgrp(cmd->tty, cmd->pid);
	cmd->watcher = start_watcher(cmd->pid, parent);
	return 0;
}

/*
 * Sends sig to the command's group, then SIGCONT: a stopped process (a
 * background reader of the terminal, stopped by SIGTTIN) acts on a signal
 * only once continued, and no one else continues a group of our making.
 */
static void
signal_group(struct command *cmd, int sig)
{
	kill(-cmd->pid, sig);
	if (sig != SIGCONT && sig != SIGKILL)
		kill(-cmd->pid, SIGCONT);
}

/*
 * Reaps every child that ended: 1 when the command did, its status kept.
 * A watcher reaped is forgotten, never to be signalled under a pid reused.
 */
static int
reap(struct command *cmd, int *status)
{
	int st, ended = 0;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == cmd->pid) {
			*status = st;
			ended = 1;
		} else if (p == cmd->watcher)
			cmd->watcher = 0;
	return ended;
}

/* Whether any process of the command's group is left. */
static int
group_left(const struct command *cmd)
{
	return kill(-cmd->pid, 0) == 0 || errno != ESRCH;
}

/*
 * The lock is gone and another run may take it: the group is sent
 * SIGTERM at once, and SIGKILL soon after, whatever it does with SIGTERM.
 */
static void
lose(struct watch *w)
{
	double t = now_seconds();

	warnmsg("the lock on %s was lost; stopping the command", w->l->key);
	w->lost = 1;
	w->term_at = t;
	w->kill_at = fmin(w->kill_at, t + fmin(w->grace, LOST_KILL_AFTER));
}

/* Sends the group SIGTERM, then SIGKILL, once their times have come. */
static void
escalate(struct watch *w)
{
	double t = now_seconds();

	if (w->sent == 0 && t >= w->term_at) {
		if (!w->lost)
			warnmsg("the command's other processes still run after "
			    "%.0fs; sending them SIGTERM", w->grace);
		signal_group(w->cmd, w->sent = SIGTERM);
	}
	if (w->sent == SIGTERM && t >= w->kill_at && group_left(w->cmd)) {
		warnmsg("the command's processes still run; sending them "
		    "SIGKILL");
		signal_group(w->cmd, w->sent = SIGKILL);
	}
}

/* Seconds until the next thing to do: a renewal, SIGTERM or SIGKILL. */
static double
next_chore(const struct watch *w)
{
	double at = w->lost ? INFINITY : w->l->renew_at;

	if (w->sent == 0)
		at = fmin(at, w->term_at);
	else if (w->sent == SIGTERM)
		at = fmin(at, w->kill_at);
	return fmax(at - now_seconds(), 0);
}

/*
 * Waits up to secs for a signal, renewing the session when it is due (a
 * lost lock stops the group), stopping the group when its time has come,
 * and passing the signals taken (SIGHUP, SIGINT, SIGTERM, SIGCONT) on to
 * the group.
 */
static void
watch_wait(struct watch *w, double secs)
{
	struct timespec ts;
	int sig;

	if (!w->lost && lock_keep(w->l) != 0)
		lose(w);
	escalate(w);
	secs = fmin(secs, next_chore(w));
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	sig = sigtimedwait(w->set, NULL, &ts);
	if (sig > 0 && sig != SIGCHLD)
		signal_group(w->cmd, sig);
}

/*
 * After the command: its group's other processes (a writer it started in
 * the background) are waited for, still under the lock, then stopped.
 */
static void
drain(struct watch *w)
{
	double end = now_seconds();
	int said = 0, st;

	w->term_at = fmin(w->term_at, end + w->grace);
	w->kill_at = fmin(w->kill_at, end + 2 * w->grace);
	for (;;) {
		reap(w->cmd, &st);
		if (!group_left(w->cmd))
			return;
		if (!said++)
			info("waiting for the command's other processes");
		if (w->sent == SIGKILL && now_seconds() >= w->kill_at + w->grace) {
			warnmsg("some of the command's processes cannot be "
			    "stopped; letting the lock go");
			return;
		}
		watch_wait(w, 0.1);
	}
}

int
command_supervise(struct command *cmd, struct lock *l, const sigset_t *set,
    double grace)
{
	struct watch w = { cmd, l, set, grace, INFINITY, INFINITY, 0, 0 };
	int status = 0;

	while (!reap(cmd, &status))
		watch_wait(&w, l->ttl);
	if (cmd->tty != -1)
		tcsetpgrp(cmd->tty, getpgrp());
	drain(&w);
	if (cmd->watcher != 0) {	/* no group left to stop */
		kill(cmd->watcher, SIGKILL);
		waitpid(cmd->watcher, NULL, 0);
	}
	if (w.lost)
		return LOCK_LOST;	/* whatever the command said */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
