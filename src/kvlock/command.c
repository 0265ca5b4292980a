#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "diag.h"

/* What the waits share: the command, the lock, whether it was lost. */
struct watch {
	struct command	*cmd;
	struct lock	*l;
	const sigset_t	*set;
	int		 lost;
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

/* Reaps every child that ended: 1 when the command did, its status kept. */
static int
reap(pid_t pid, int *status)
{
	int st, ended = 0;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == pid) {
			*status = st;
			ended = 1;
		}
	return ended;
}

/*
 * Waits up to secs for a signal, renewing the session when it is due (a
 * lost lock stops the group) and passing the signals taken (SIGHUP,
 * SIGINT, SIGTERM, SIGCONT) on to the group.
 */
static void
watch_wait(struct watch *w, double secs)
{
	double left;
	struct timespec ts;
	int sig;

	if (!w->lost && lock_keep(w->l) != 0) {
		warnmsg("the lock on %s was lost; stopping the command",
		    w->l->key);
		w->lost = 1;
		signal_group(w->cmd, SIGTERM);
	}
	left = w->l->renew_at - now_seconds();
	if (!w->lost && secs > left)
		secs = left > 0 ? left : 0;
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
drain(struct watch *w, double grace)
{
	double start = now_seconds(), t;
	int sent = 0, said = 0, st;

	for (;;) {
		reap(w->cmd->pid, &st);
		if (kill(-w->cmd->pid, 0) == -1 && errno == ESRCH)
			return;
		t = now_seconds() - start;
		if (!said++)
			info("waiting for the command's other processes");
		if (sent == 0 && t >= grace) {
			warnmsg("the command's other processes still run after "
			    "%.0fs; sending them SIGTERM", grace);
			signal_group(w->cmd, sent = SIGTERM);
		} else if (sent == SIGTERM && t >= 2 * grace) {
			warnmsg("sending them SIGKILL");
			signal_group(w->cmd, sent = SIGKILL);
		} else if (sent == SIGKILL && t >= 3 * grace) {
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
	struct watch w = { cmd, l, set, 0 };
	int status = 0;

	while (!reap(cmd->pid, &status))
		watch_wait(&w, l->ttl);
	if (cmd->tty != -1)
		tcsetpgrp(cmd->tty, getpgrp());
	drain(&w, grace);
	if (w.lost)
		return LOCK_LOST;	/* whatever the command said */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
