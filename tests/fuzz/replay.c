/*
 * The replay main of a fuzz harness: feeds it each file of the directories
 * (or the files) named on the command line, or of its own corpus
 * (FUZZ_CORPUS, relative to the top of the tree) when none is named, and
 * prints one "ok - ..." line for the test runner.  A failed check aborts,
 * after naming the file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS names the harness's corpus directory"
#endif

const char *fuzz_input_name;

/* The whole file, in an allocation of exactly its size (for ASan). */
static uint8_t *
slurp(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL, *more;
	size_t n = 0, cap = 0, got;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			if ((more = realloc(data, cap)) == NULL)
				abort();
			data = more;
		}
		if ((got = fread(data + n, 1, cap - n, fp)) == 0)
			break;
		n += got;
	}
	if (ferror(fp))
		n = (size_t)-1;
	fclose(fp);
	if (n == (size_t)-1) {
		free(data);
		return NULL;
	}
	*size = n;
	/* Exactly n bytes: a read past the input is an ASan report. */
	more = malloc(n ? n : 1);
	if (more == NULL)
		abort();
	memcpy(more, data, n);
	free(data);
	return more;
}

/* In a sanitizer build: where its reports go. */
void	__sanitizer_set_report_fd(void *fd) __attribute__((weak));

/*
 * The tools' warnings about the bad input go nowhere: hundreds of them
 * would bury the test log.  A sanitizer's report still reaches the stderr
 * we had, unless ASAN_OPTIONS sends it to a file (as tests/run does).
 */
static void
quiet_stderr(void)
{
	const char *opts = getenv("ASAN_OPTIONS");
	int keep = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	if (keep == -1 || null == -1 || getenv("FUZZ_VERBOSE") != NULL)
		return;
	if (__sanitizer_set_report_fd != NULL &&
	    (opts == NULL || strstr(opts, "log_path") == NULL))
		__sanitizer_set_report_fd((void *)(intptr_t)keep);
	dup2(null, STDERR_FILENO);
	close(null);
}

static int
replay_file(const char *path)
{
	uint8_t *data;
	size_t size;

	if ((data = slurp(path, &size)) == NULL) {
		printf("not ok - %s: %s\n", path, strerror(errno));
		return -1;
	}
	fuzz_input_name = path;
	LLVMFuzzerTestOneInput(data, size);
	fuzz_input_name = NULL;
	free(data);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; -1 if it cannot be read. */
static long
replay_dir(const char *dir, int *failed)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, **more;
	size_t n = 0, i;
	struct stat st;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) == -1)
			abort();
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if ((more = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			abort();
		names = more;
		names[n++] = path;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		*failed |= replay_file(names[i]) != 0;
		free(names[i]);
	}
	free(names);
	return (long)n;
}

int
main(int argc, char **argv)
{
	static char *own[] = { FUZZ_CORPUS };
	char **paths = argc > 1 ? argv + 1 : own;
	int npaths = argc > 1 ? argc - 1 : 1, i, failed = 0;
	struct stat st;
	long n, total = 0;

	quiet_stderr();
	for (i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) == 0 && S_ISREG(st.st_mode)) {
			failed |= replay_file(paths[i]) != 0;
			total++;
			continue;
		}
		if ((n = replay_dir(paths[i], &failed)) < 0) {
			printf("not ok - fuzz replay: %s: %s\n", paths[i],
			    strerror(errno));
			return 1;
		}
		total += n;
	}
	/* An empty corpus would make the replay a test that cannot fail. */
	if (total == 0) {
		printf("not ok - fuzz replay: no input in %s\n", paths[0]);
		return 1;
	}
	printf("%s - fuzz replay of %s: %ld inputs, every check held\n",
	    failed ? "not ok" : "ok", argc > 1 ? "the files named" :
	    FUZZ_CORPUS, total);
	return failed;
}
