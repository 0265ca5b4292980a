# recsync: see README.md.  `make` builds bin/, `make check` tests from a
# fresh Debian 12 machine (installing what is missing when run as root).

# Every folder of src/ with a main.c is a tool: kvdiff kvpush kvlock
# yamlemit redisput qlogscan kvdrift.
TOOLS	= $(patsubst src/%/main.c,%,$(wildcard src/*/main.c))
PKGS	= jansson yajl yaml-0.1 libcurl hiredis libcrypto

PREFIX	?= /usr/local
BINDIR	?= bin
BUILD	?= build
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -std=c11 -D_GNU_SOURCE -Isrc/common
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS	+= -Wl,--as-needed $(PKG_LIBS) -lm

# `make SAN=1` builds an ASan/UBSan copy under build/san for the tests.
ifeq ($(SAN),1)
BUILD	= build/san
BINDIR	= build/san/bin
CFLAGS	= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	  -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

# `make FUZZ=1` builds with clang for libFuzzer under build/fuzz (make fuzz).
ifeq ($(FUZZ),1)
CC	= clang
BUILD	= build/fuzz
BINDIR	= build/fuzz/bin
CFLAGS	= -O1 -g -fno-omit-frame-pointer \
	  -fsanitize=fuzzer-no-link,address,undefined \
	  -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

COMMON_SRC = $(wildcard src/common/*.c)
COMMON_OBJ = $(COMMON_SRC:src/%.c=$(BUILD)/%.o)
LIBCOMMON  = $(BUILD)/libcommon.a
PROGS	   = $(TOOLS:%=$(BINDIR)/%)
UNIT_SRC   = $(wildcard tests/unit/*.c)
UNIT_BINS  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all clean check check-san deps unit install uninstall bench bench-deps demo lint \
	fuzz fuzzers

all: $(PROGS)

$(BUILD)/%.o: src/%.c $(wildcard src/*/*.h) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	$(AR) rcs $@ $^

# Each tool is the .c files of its own folder linked with libcommon.
tool_objs = $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/$(1)/*.c))
.SECONDEXPANSION:
.SECONDARY:
$(BINDIR)/%: $$(call tool_objs,$$*) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit: $(UNIT_BINS)

# Fuzzing.  Each tests/fuzz/NAME.c is a libFuzzer harness.  `make unit`
# links it with tests/fuzz/replay.c into build/unit/fuzz_NAME, a test that
# replays the corpus tests/fuzz/NAME/ (any compiler, no libFuzzer).
# `make fuzz` links it with clang's libFuzzer and runs each harness for
# FUZZ_SECONDS (FUZZ_TARGETS names some); inputs that fail are kept in
# tests/fuzz/NAME/ for the replay.
FUZZ_NAMES	= $(filter-out replay,$(patsubst tests/fuzz/%.c,%,\
		  $(wildcard tests/fuzz/*.c)))
FUZZ_REPLAYS	= $(FUZZ_NAMES:%=$(BUILD)/unit/fuzz_%)
FUZZ_SECONDS	?= 60
FUZZ_TARGETS	?= $(FUZZ_NAMES)
# qlogscan's objects but its main, for the pre-check harness.
LIBQLOGSCAN	= $(BUILD)/libqlogscan.a
FUZZ_LIBS	= $(LIBQLOGSCAN) $(LIBCOMMON)
FUZZ_CPPFLAGS	= $(CPPFLAGS) -Isrc/qlogscan -Itests/fuzz

unit: $(FUZZ_REPLAYS)

$(LIBQLOGSCAN): $(filter-out %/main.o,$(call tool_objs,qlogscan))
	$(AR) rcs $@ $^

$(BUILD)/unit/fuzz_%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h \
    $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CPPFLAGS) -DFUZZ_CORPUS='"tests/fuzz/$*"' $(PKG_CFLAGS) \
	    $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

$(BUILD)/fuzzer/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) \
	    -fsanitize=fuzzer -o $@ $(filter %.c %.a,$^) $(LDLIBS)

fuzzers: $(FUZZ_TARGETS:%=$(BUILD)/fuzzer/%)

fuzz:
	tests/install-deps --fuzz
	$(MAKE) FUZZ=1 fuzzers
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The sanitizer build has its own recsync: it runs the tools of its folder.
ifeq ($(SAN),1)
all: $(BINDIR)/recsync $(BINDIR)/recsync-render
$(BINDIR)/recsync $(BINDIR)/recsync-render: $(BINDIR)/%: bin/%
	@mkdir -p $(dir $@)
	cp -p $< $@
endif

# Fails early, with the fix, when the -dev packages are missing.
.PHONY: deps-ok
deps-ok:
	@pkg-config --exists $(PKGS) || { echo "missing build dependencies:" \
	  "run 'make deps' as root (tests/install-deps)" >&2; exit 1; }

deps:
	tests/install-deps

check: deps
	$(MAKE) all unit
	$(MAKE) SAN=1 all unit
	tests/run

# Speed and memory against their anchors (not part of check): bench/run at
# each N, bench/profile (callgrind, PROFILE=0 skips it), then bench/report
# writes bench/RESULTS.md and bench/scaling.png; bench/status (recsync
# status) and bench/redis-cluster at the largest N.  A quick run:
# make bench BENCH_N=10000 RUNS=1 PROFILE=0
BENCH_N	 ?= 10000 100000 1000000
PROFILE_N ?= 20000
RUNS	 ?= 3
PROFILE	 ?= 1
bench: deps bench-deps all
	RUNS=$(RUNS) bench/run $(BENCH_N)
	if [ "$(PROFILE)" != 0 ]; then bench/profile $(PROFILE_N); fi
	bench/report
	bench/status $(lastword $(BENCH_N))
	bench/redis-cluster $(lastword $(BENCH_N))

bench-deps:
	bench/install-deps

demo: deps all
	demo/run

clean:
	rm -rf build $(PROGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(PROGS) bin/recsync bin/recsync-render $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/bin/recsync \
	    $(DESTDIR)$(PREFIX)/bin/recsync-render
	rm -f $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1))
