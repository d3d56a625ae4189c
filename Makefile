# s2e — one plain Makefile, no generated build system.
#
#   make                 build everything into $(O)
#   make check           install missing build dependencies, build, run all tests
#   make SANITIZE=1 check   the same under ASan+UBSan (separate build directory)
#   make SANITIZE=thread check   ThreadSanitizer: the unit tests of the threaded
#                        modules and the package/clone/digest scripts
#   make fuzz FUZZ_SECONDS=N   build the libFuzzer targets (clang) into build/fuzz
#                        and run each for N seconds on its seed corpus t/fuzz/NAME/
#   make demo            a visible create/list/delete round-trip on a scratch S2EDIR
#   make install PREFIX=/usr/local DESTDIR=   (binaries, man pages, shell completion)
#
# Every plumbing/s2e-*.c is one binary; every porcelain/*.c is linked into `s2e`;
# every lib/*.c goes into libs2e.a; every t/unit/test-*.c is one cmocka binary;
# every t/t*.sh is one TAP script run by prove.  Adding a file needs no edit here.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
CC ?= cc
CFLAGS ?= -O2 -g

ifeq ($(SANITIZE),1)
O ?= build/sanitize
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The crash scripts (t6000, t5310) kill commands at random moments, 10 a case
# in the plain build; under ASan the same code paths run at a third of the
# speed, so fewer kills keep CI within its time (the deterministic kill
# points of t6010 still run in full).
CRASH_TRIALS ?= 4
else ifeq ($(SANITIZE),thread)
O ?= build/tsan
SANITIZE_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
else
O ?= build/default
SANITIZE_FLAGS =
endif
CRASH_TRIALS ?= 10

PACKAGES = libarchive libgit2 libcrypto zlib libzstd libdeflate libcurl yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PACKAGES) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PACKAGES) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ALL_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
	-Iinclude $(PKG_CFLAGS) $(SANITIZE_FLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SANITIZE_FLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
LIB_A := $(O)/libs2e.a

PLUMBING_SRC := $(wildcard plumbing/s2e-*.c)
PLUMBING := $(PLUMBING_SRC:plumbing/%.c=$(O)/bin/%)

PORCELAIN_SRC := $(wildcard porcelain/*.c)
PORCELAIN_OBJ := $(PORCELAIN_SRC:%.c=$(O)/%.o)
PORCELAIN := $(O)/bin/s2e

UNIT_SRC := $(wildcard t/unit/test-*.c)
UNIT := $(UNIT_SRC:t/unit/%.c=$(O)/t/%)
INTEGRATION := $(wildcard t/t*.sh)

# Under ThreadSanitizer: the threaded modules (compression ring, writer and
# source; copy; digest; progress; the chunk pipeline) and the scripts that drive them.
# Reports go to files (not into the output the scripts compare), and any
# report fails the run.
ifeq ($(SANITIZE),thread)
UNIT := $(filter $(addprefix $(O)/t/test-,zstream digest digest-alloc copy progress package storevm),$(UNIT))
INTEGRATION := $(wildcard t/t2000-*.sh t/t2100-*.sh t/t3000-*.sh t/t3100-*.sh t/t5000-*.sh)
TSAN_LOG = $(abspath $(O))/tsan-report
export TSAN_OPTIONS = log_path=$(TSAN_LOG) second_deadlock_stack=1
CLEAR_REPORTS = @rm -f $(TSAN_LOG).*
CHECK_REPORTS = @if ls $(TSAN_LOG).* >/dev/null 2>&1; then \
	cat $(TSAN_LOG).*; echo "ThreadSanitizer reports: $(TSAN_LOG).*"; exit 1; fi
endif

MAN := $(wildcard Documentation/*.1)
MAN5 := $(wildcard Documentation/*.5)

all: $(PORCELAIN) $(PLUMBING)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# version.o depends on a file that is rewritten only when `git describe`
# changes, so a new commit or tag rebuilds it and nothing else.
VERSION_FILE := $(O)/version
$(VERSION_FILE): FORCE
	@mkdir -p $(dir $@)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(VERSION)' ]; then echo '$(VERSION)' >$@; fi

$(O)/lib/version.o: ALL_CFLAGS += -DS2E_VERSION='"$(VERSION)"'
$(O)/lib/version.o: $(VERSION_FILE)

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/bin/s2e-%: $(O)/plumbing/s2e-%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(PORCELAIN): $(PORCELAIN_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/t/test-%: $(O)/t/unit/test-%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)

# The allocation-failure test of the digest wraps calloc in libs2e's objects.
$(O)/t/test-digest-alloc: ALL_LDFLAGS += -Wl,--wrap=calloc

deps:
	@tools/install-deps

# The unit tests, then the integration scripts against the binaries just built.
check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory test-unit test-integration

unit: $(UNIT)

test-unit: unit
	$(CLEAR_REPORTS)
	@set -e; for t in $(UNIT); do echo "# $$t"; $$t; done
	$(CHECK_REPORTS)

test-integration: all
	$(CLEAR_REPORTS)
	S2E_BIN=$(abspath $(O)/bin) S2E_CRASH_TRIALS=$(CRASH_TRIALS) prove -j2 --timer $(INTEGRATION)
	$(CHECK_REPORTS)

demo: deps
	@$(MAKE) --no-print-directory all
	S2E_BIN=$(abspath $(O)/bin) tools/demo

install: all install-completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(PORCELAIN) $(PLUMBING) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5

# Shell completion (contrib/completion/), where bash-completion and zsh look.
install-completion:
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 644 contrib/completion/s2e.bash $(DESTDIR)$(BASHCOMPDIR)/s2e
	install -m 644 contrib/completion/_s2e $(DESTDIR)$(ZSHCOMPDIR)/_s2e

format:
	clang-format -i $(wildcard lib/*.c include/s2e/*.h plumbing/*.c porcelain/*.c t/unit/*.c)

clean:
	rm -rf build

FORCE:

# Fuzzing: every t/fuzz/fuzz-NAME.c is a libFuzzer target linked with the
# library built by clang with ASan+UBSan; t/fuzz/NAME/ holds its seed inputs,
# build/fuzz/corpus/NAME/ what the runs found.  A crash stops `make fuzz`
# with the input saved as build/fuzz/crash-NAME-*: add it to t/fuzz/NAME/.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 30
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_SRC := $(wildcard t/fuzz/fuzz-*.c)
FUZZ_NAMES := $(FUZZ_SRC:t/fuzz/fuzz-%.c=%)

fuzz:
	@tools/install-deps fuzz
	@$(MAKE) --no-print-directory O=build/fuzz CC=$(FUZZ_CC) SANITIZE_FLAGS='$(FUZZ_FLAGS)' \
		fuzz-build
	@for t in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$t; \
		echo "# fuzz-$$t for $(FUZZ_SECONDS)s (log: build/fuzz/fuzz-$$t.log)"; \
		build/fuzz/bin/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 \
			-max_len=65536 -print_final_stats=1 -artifact_prefix=build/fuzz/crash-$$t- \
			build/fuzz/corpus/$$t t/fuzz/$$t >build/fuzz/fuzz-$$t.log 2>&1; \
		rc=$$?; \
		grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' build/fuzz/fuzz-$$t.log; \
		if [ $$rc != 0 ]; then tail -n 30 build/fuzz/fuzz-$$t.log; exit 1; fi; \
	done

fuzz-build: $(FUZZ_NAMES:%=$(O)/bin/fuzz-%)

$(O)/bin/fuzz-%: $(O)/t/fuzz/fuzz-%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

.PHONY: FORCE all deps check unit test-unit test-integration demo install install-completion format clean fuzz fuzz-build
.DELETE_ON_ERROR:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
