/*
 * The fuzz harnesses of tests/fuzz: each NAME.c defines
 * LLVMFuzzerTestOneInput(), the libFuzzer entry point, and checks what must
 * hold for every input with FUZZ_CHECK.  `make fuzz` links a harness with
 * libFuzzer (clang); `make unit` links it with replay.c instead, which
 * feeds it every file of its corpus tests/fuzz/NAME/ (seeds and the inputs
 * that once failed), so `make check` replays them without clang.
 */
#ifndef RECSYNC_FUZZ_H
#define RECSYNC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file being replayed (replay.c); libFuzzer has none: NULL. */
extern const char *fuzz_input_name __attribute__((weak));

/*
 * A failed check names itself on stdout (the replay silences the tools'
 * warnings on stderr) and aborts: libFuzzer keeps the input.
 */
#define FUZZ_CHECK(cond, what) do {					\
	if (!(cond)) {							\
		const char *in_ = &fuzz_input_name && fuzz_input_name ?	\
		    fuzz_input_name : "this input";			\
									\
		printf("not ok - fuzz check failed on %s: %s "		\
		    "(%s:%d: %s)\n", in_, (what), __FILE__, __LINE__,	\
		    #cond);						\
		fflush(stdout);						\
		abort();						\
	}								\
} while (0)

/*
 * Once per process: names the program in the tools' messages, and makes
 * stderr fully buffered.  Unbuffered, each message about a bad input is a
 * write a byte, which would take most of the fuzzer's time.
 */
static inline void
fuzz_init(const char *name)
{
	static int done;

	if (done)
		return;
	done = 1;
	diag_init(name);
	setvbuf(stderr, NULL, _IOFBF, 1 << 16);
}

#endif
