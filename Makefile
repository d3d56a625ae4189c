# s2e — one plain Makefile, no generated build system.
#
#   make                 build everything into $(O)
#   make check           install missing build dependencies, build, run all tests
#   make SANITIZE=1 check   the same under ASan+UBSan (separate build directory)
#   make demo            a visible create/list/delete round-trip on a scratch S2EDIR
#   make install PREFIX=/usr/local DESTDIR=
#
# Every plumbing/s2e-*.c is one binary; every porcelain/*.c is linked into `s2e`;
# every lib/*.c goes into libs2e.a; every t/unit/test-*.c is one cmocka binary;
# every t/t*.sh is one TAP script run by prove.  Adding a file needs no edit here.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g

ifeq ($(SANITIZE),1)
O ?= build/sanitize
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
O ?= build/default
SANITIZE_FLAGS =
endif

PACKAGES = libarchive libgit2 libcrypto zlib libzstd libdeflate yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PACKAGES) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PACKAGES) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ALL_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
	-Iinclude $(PKG_CFLAGS) $(SANITIZE_FLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SANITIZE_FLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread

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

MAN := $(wildcard Documentation/*.1)
MAN5 := $(wildcard Documentation/*.5)

all: $(PORCELAIN) $(PLUMBING)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib/version.o: ALL_CFLAGS += -DS2E_VERSION='"$(VERSION)"'

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

deps:
	@tools/install-deps

# The unit tests, then the integration scripts against the binaries just built.
check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory test-unit test-integration

unit: $(UNIT)

test-unit: unit
	@set -e; for t in $(UNIT); do echo "# $$t"; $$t; done

test-integration: all
	S2E_BIN=$(abspath $(O)/bin) prove -j2 --timer $(wildcard t/t*.sh)

demo: deps
	@$(MAKE) --no-print-directory all
	S2E_BIN=$(abspath $(O)/bin) tools/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(PORCELAIN) $(PLUMBING) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5

format:
	clang-format -i $(wildcard lib/*.c include/s2e/*.h plumbing/*.c porcelain/*.c t/unit/*.c)

clean:
	rm -rf build

.PHONY: all deps check unit test-unit test-integration demo install format clean
.DELETE_ON_ERROR:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
