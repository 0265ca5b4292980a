/*
 * Replacing a file in one step: the new contents go to a temporary file in
 * the same directory (so rename() is atomic), which is synced, renamed over
 * the old name, and the directory synced so that the rename survives a
 * crash.  A reader sees the old file or the new one, never half of one.
 * A new file (-d) is renamed without replacing: a name that exists, even
 * as a symbolic link planted there, is never written through.
 *
 * Every temporary file is registered until it is renamed or removed; exit()
 * (so any die()) and SIGHUP/SIGINT/SIGTERM remove what is left, so a failed
 * run leaves the previous file untouched and no litter beside it.  They also
 * kill the promtool that --check runs, if one is running, so that nothing
 * of ours outlives the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"
#include "yamlemit.h"

/* Few temporaries exist at once: the rule file, the rejects, a check file. */
#define PENDING_MAX	4
static char *volatile pending[PENDING_MAX];
/* The running child's pid, which is its process group too, or 0. */
static volatile sig_atomic_t child;

static void
remove_pending(void)
{
	int i;

	for (i = 0; i < PENDING_MAX; i++)
		if (pending[i] != NULL)
			unlink(pending[i]);
}

/*
 * Kills the child's whole process group (a shell script's children too) and
 * reaps the child, so that it is gone when we are; async-signal-safe.
 */
static void
kill_child(void)
{
	pid_t pid = (pid_t)child;

	if (pid <= 0)
		return;
	child = 0;
	kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void
clean_up(void)
{
	kill_child();
	remove_pending();
}

static void
on_signal(int sig)
{
	clean_up();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Holds off the signals that clean up; *old is the mask to restore. */
static void
hold_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* The cleaning up at exit and on a signal, set once, with the signals held. */
static void
install(void)
{
	static int installed;

	if (installed)
		return;
	installed = 1;
	atexit(clean_up);
	signal(SIGHUP, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

/* Adds (on != 0) or removes path, with the signals that clean up held off. */
static void
track(char *path, int on)
{
	sigset_t old;
	int i;

	hold_signals(&old);
	install();
	for (i = 0; i < PENDING_MAX; i++)
		if (on ? pending[i] == NULL : pending[i] == path) {
			pending[i] = on ? path : NULL;
			break;
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (on && i == PENDING_MAX)
		die(EX_SOFTWARE, "too many temporary files");
}

/* mkstemp on the template (which it rewrites), registered for removal. */
static int
make_temp(char *tmpl)
{
	sigset_t set, old;
	int fd;

	/* No signal between creating the file and registering it. */
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	fd = mkstemp(tmpl);
	if (fd >= 0)
		track(tmpl, 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

/* A name that is not a regular file (/dev/null, /dev/stdout, a pipe) is written, never replaced. */
static int
open_special(struct atomic *af, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		die(EX_CANTCREAT, "%s: is a directory", path);
	if ((af->fp = fopen(path, "w")) == NULL)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	af->path = xstrdup(path);
	return 1;
}

/* The name to replace: a symbolic link stays, the file it points to is replaced. */
static char *
target(const char *path)
{
	struct stat st;
	char *real;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (real = realpath(path, NULL)) != NULL)
		return real;
	return xstrdup(path);
}

/* The temporary beside af->path, with the mode the file will have. */
static void
open_temp(struct atomic *af, const char *path, unsigned mode)
{
	const char *slash, *base;
	int fd;

	slash = strrchr(af->path, '/');
	base = slash ? slash + 1 : af->path;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		die(EX_CANTCREAT, "%s: is a directory", path);
	af->dir = slash ? xstrndup(af->path, (size_t)(slash - af->path) + 1) :
	    xstrdup(".");
	/* A dot file without the .yml suffix: rule_files globs skip it. */
	af->tmp = xasprintf("%s.%s.XXXXXX", af->dir[0] == '.' && !slash ? "" :
	    af->dir, base);
	if ((fd = make_temp(af->tmp)) < 0)
		die(EX_CANTCREAT, "%s: cannot create a temporary file "
		    "beside it: %s", path, strerror(errno));
	if (fchmod(fd, mode) != 0)
		die(EX_CANTCREAT, "%s: chmod: %s", af->tmp, strerror(errno));
	if ((af->fp = fdopen(fd, "w")) == NULL)
		die(EX_OSERR, "fdopen: %s", strerror(errno));
}

void
atomic_open(struct atomic *af, const char *path, unsigned mode)
{
	memset(af, 0, sizeof(*af));
	if (open_special(af, path))
		return;
	af->path = target(path);
	open_temp(af, path, mode);
}

void
atomic_open_new(struct atomic *af, const char *path, unsigned mode)
{
	memset(af, 0, sizeof(*af));
	af->path = xstrdup(path);
	open_temp(af, path, mode);
}

/* Syncs the directory so that the rename is on disk too. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Some file systems cannot sync a directory (EINVAL): nothing to do. */
	if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
		die(EX_IOERR, "%s: sync: %s", dir, strerror(errno));
	close(fd);
}

/* Writes out and closes the temporary, once; a failure ends the run. */
static void
finish_temp(struct atomic *af)
{
	int failed;

	if (af->fp == NULL)
		return;
	failed = fflush(af->fp) != 0 || ferror(af->fp);
	if (failed || fsync(fileno(af->fp)) != 0) {
		int e = errno;

		fclose(af->fp);
		die(EX_IOERR, "%s: write error: %s", af->tmp, strerror(e));
	}
	if (fclose(af->fp) != 0)
		die(EX_IOERR, "%s: write error: %s", af->tmp, strerror(errno));
	af->fp = NULL;
}

/* The temporary is in place: the rename made lasting, af emptied. */
static void
placed(struct atomic *af)
{
	track(af->tmp, 0);
	sync_dir(af->dir);
	free(af->tmp);
	free(af->dir);
	free(af->path);
	memset(af, 0, sizeof(*af));
}

void
atomic_finish(struct atomic *af)
{
	if (af->tmp != NULL)
		finish_temp(af);
	else if (fflush(af->fp) != 0 || ferror(af->fp))
		die(EX_IOERR, "%s: write error: %s", af->path, strerror(errno));
}

void
atomic_commit(struct atomic *af)
{
	if (af->tmp == NULL) {		/* a device or a pipe */
		int failed = fflush(af->fp) != 0 || ferror(af->fp);

		if (fclose(af->fp) != 0 || failed)
			die(EX_IOERR, "%s: write error: %s", af->path,
			    strerror(errno));
		free(af->path);
		memset(af, 0, sizeof(*af));
		return;
	}
	finish_temp(af);
	if (rename(af->tmp, af->path) != 0)
		die(EX_CANTCREAT, "%s: cannot replace: %s", af->path,
		    strerror(errno));
	placed(af);
}

/*
 * Gives tmp the name path unless path exists, as anything: a file, a
 * symbolic link (never followed), even a dangling one.  Where the file
 * system has no RENAME_NOREPLACE (NFS), link(2) refuses an existing name
 * just the same.
 */
static int
rename_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, path) != 0)
		return -1;
	unlink(tmp);
	return 0;
}

int
atomic_commit_new(struct atomic *af, const char *path)
{
	finish_temp(af);
	if (rename_noreplace(af->tmp, path) != 0) {
		if (errno == EEXIST)
			return -1;
		die(EX_CANTCREAT, "%s: cannot rename %s to it: %s", path,
		    af->tmp, strerror(errno));
	}
	placed(af);
	return 0;
}

FILE *
scratch_open(char **path)
{
	const char *dir = getenv("TMPDIR");
	FILE *fp;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	*path = xasprintf("%s/yamlemit-check.XXXXXX", dir);
	if ((fd = make_temp(*path)) < 0)
		die(EX_CANTCREAT, "%s: %s", *path, strerror(errno));
	if ((fp = fdopen(fd, "w")) == NULL)
		die(EX_OSERR, "fdopen: %s", strerror(errno));
	return fp;
}

void
scratch_remove(char *path)
{
	unlink(path);
	track(path, 0);
	free(path);
}

pid_t
child_fork(void)
{
	sigset_t old;
	pid_t pid;

	/* No signal between the fork and the registration of the child. */
	hold_signals(&old);
	install();
	if ((pid = fork()) < 0)
		die(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Ours are for the parent's files; exec resets them anyway. */
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		setpgid(0, 0);
	} else {
		setpgid(pid, pid);	/* as the child does: whichever is first */
		child = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

void
child_reaped(void)
{
	child = 0;
}
