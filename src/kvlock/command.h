/*
 * command: the command kvlock runs, in a process group of its own, so that
 * every process it starts is signalled together and waited for before the
 * lock goes; the whole group is sent SIGTERM if kvlock dies (by a watcher,
 * a child of kvlock's that does nothing else).
 */
#ifndef KVLOCK_COMMAND_H
#define KVLOCK_COMMAND_H

#include <signal.h>
#include <sys/types.h>

#include "session.h"

struct command {
	pid_t	pid;		/* the command itself, leader of its group */
	pid_t	watcher;	/* the watcher of kvlock's death, or 0 */
	int	tty;		/* the terminal it was given, or -1 */
};

/*
 * Starts argv in a new process group with the signal mask old; the group
 * gets the terminal when kvlock is in the terminal's foreground.  0, or
 * -1 after a message when it could not fork.
 */
int	command_start(struct command *cmd, char *argv[], const sigset_t *old);
/*
 * Waits for the command, renewing the lock's session and passing the
 * signals of set on to the group, each followed by SIGCONT so that a
 * stopped group acts on it; then waits until no process of the
 * group is left, for grace seconds before SIGTERM and as long again
 * before SIGKILL.  Returns the command's status in the shell's way, or
 * LOCK_LOST when the lock was lost: the group then got SIGTERM, and
 * SIGKILL after grace or LOST_KILL_AFTER seconds, whichever is shorter.
 */
int	command_supervise(struct command *cmd, struct lock *l,
	    const sigset_t *set, double grace);

#endif
