# lkstub: a GDB remote stub for live guest kernels.
#
#   make            build build/lkstub
#   make unit       build and run the cmocka unit tests
#   make check      unit tests, install check, then the end-to-end tests on
#                   real QEMU guests (LKSTUB_E2E_CONFIGS=fast: only the subset
#                   that covers every architecture, paging mode and input kind)
#   make install    build/lkstub, lkstub(1) and the gdb helpers under
#                   $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); make uninstall
#   make check-install  install and uninstall into temporary DESTDIRs and
#                   check what lands (tests/install/check.sh); part of make check
#   make demo       boot a real guest, attach lkstub, show gdb at work
#   make bench      raw RSP throughput/latency against lkstub and QEMU's stub
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60) s
#   make fuzz-smoke replay the regressions and seeds, then FUZZ_SMOKE_SECONDS
#                   (default 10) s per target; part of make check
#   make check-asan unit tests and lkstub built with clang ASan+UBSan
#                   (build-asan/); part of make check
#   make check-valgrind  unit tests under valgrind memcheck; part of make check
#   make lkstub-asan     build-asan/lkstub alone (clang ASan+UBSan), which the
#                   e2e run also attaches gdb to (tests/e2e/fault_checks.py)

CC       ?= cc
O        ?= build
PKGS     := libelf libbpf libkdumpfile zlib liblzma libzstd json-c
VERSION  := 0.1.0
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
            -DLKSTUB_VERSION='"$(VERSION)"' -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lelf -lbpf -lkdumpfile -lz -llzma -lzstd -ljson-c)
TEST_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

LIB_SRCS := $(wildcard translate/*.c) $(wildcard symbols/*.c) \
            $(filter-out stub/cli/main.c,$(wildcard stub/*/*.c))
HDRS     := $(wildcard */*.h stub/*/*.h)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:%.c=$(O)/%)

.PHONY: all unit check e2e demo bench clean deps install uninstall \
	check-install
.PHONY: fuzz fuzz-smoke fuzz-regress fuzz-build check-asan check-valgrind \
	check-hostile lkstub-asan
all: $(O)/lkstub $(TOOL_BINS)

$(O)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/liblkstub.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/lkstub: $(O)/stub/cli/main.o $(O)/liblkstub.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(O)/liblkstub.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(O)/liblkstub.a $(LDLIBS) $(TEST_LIBS)

$(O)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# Installs build and test dependencies when run as root (no-op otherwise).
deps:
	@tests/deps.sh build

unit: deps $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# LKSTUB_E2E_CONFIGS: `all` (default), `fast` (tests/e2e/harness.py FAST:
# the subset that still covers every architecture, paging mode and input
# kind), or a comma list of names.
LKSTUB_E2E_CONFIGS ?= all

e2e: all lkstub-asan
	@LKSTUB_E2E_CONFIGS=$(LKSTUB_E2E_CONFIGS) tests/e2e/run.sh

check: unit check-install
	@$(MAKE) --no-print-directory check-hostile
	@$(MAKE) --no-print-directory e2e

demo: deps all
	@tests/e2e/demo.sh

bench: all
	@tests/e2e/bench.sh

clean:
	rm -rf $(O)

# Installation, as Debian packaging expects: PREFIX, DESTDIR, nothing
# stripped. The man page names the gdb helpers' directory under PREFIX.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MAN1DIR ?= $(PREFIX)/share/man/man1
DATADIR ?= $(PREFIX)/share/lkstub
GDB_HELPERS := $(wildcard tools/gdb/*.py)

install: $(O)/lkstub
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(DATADIR)/gdb
	install -m 0755 $(O)/lkstub $(DESTDIR)$(BINDIR)/lkstub
	sed 's|/usr/local/share/lkstub|$(DATADIR)|g' docs/lkstub.1 \
		>$(DESTDIR)$(MAN1DIR)/lkstub.1
	chmod 0644 $(DESTDIR)$(MAN1DIR)/lkstub.1
	install -m 0644 $(GDB_HELPERS) $(DESTDIR)$(DATADIR)/gdb/

# Exactly what install put; the shared directories (bin, man1) stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lkstub $(DESTDIR)$(MAN1DIR)/lkstub.1 \
		$(addprefix $(DESTDIR)$(DATADIR)/gdb/,$(notdir $(GDB_HELPERS)))
	rmdir $(DESTDIR)$(DATADIR)/gdb $(DESTDIR)$(DATADIR) 2>/dev/null || true

check-install: deps $(O)/lkstub
	@MAKE="$(MAKE)" O="$(O)" tests/install/check.sh

# Hostile input and faults (tests/fuzz/README.md): libFuzzer targets over
# the packet decoder and session, vmcoreinfo, the page-table walkers, the
# task-list walker and qXfer paging; the unit tests under ASan+UBSan and
# under valgrind.
FUZZ_CC            ?= clang
FO                 ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(SAN_FLAGS) -std=c17 -D_GNU_SOURCE -Wall -Wextra \
               -Werror -Wshadow -Wvla -Wstrict-prototypes \
               -Wmissing-prototypes -fno-strict-aliasing -I. \
               -DLKSTUB_VERSION='"$(VERSION)"' \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_TARGETS  := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FO)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FO)/%.o)

$(FO)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FO)/liblkstub.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FO)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) \
		$(wildcard tests/unit/*.h) $(FO)/liblkstub.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FO)/liblkstub.a $(LDLIBS)

fuzz-build: deps $(FUZZ_BINS)

# Replays every regression input and seed once (a crash fails), then
# fuzzes each target for a while from its seeds and what earlier runs
# found (kept in $(FO)/corpus).
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FO) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh $(FO) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-regress: fuzz-build
	@tests/fuzz/run.sh $(FO) 0 $(FUZZ_TARGETS)

# The cmocka tests and lkstub built by clang with ASan and UBSan (any
# report fails the test; LeakSanitizer included) in build-asan/.
ASAN_O ?= build-asan
check-asan:
	@CFLAGS="-O1 -g $(SAN_FLAGS)" \
	  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory O=$(ASAN_O) CC=$(FUZZ_CC) all unit

# Only lkstub of the above, for the e2e run: tests/e2e/fault_checks.py
# serves gdb from it (ASAN_OPTIONS detect_leaks=1:abort_on_error=1) and
# from build/lkstub under valgrind.
lkstub-asan:
	@CFLAGS="-O1 -g $(SAN_FLAGS)" \
	  $(MAKE) --no-print-directory O=$(ASAN_O) CC=$(FUZZ_CC) $(ASAN_O)/lkstub

# The unit tests (the normal build) under valgrind memcheck: no errors,
# no definite leaks.
VALGRIND ?= valgrind --quiet --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite --track-origins=yes
check-valgrind: deps $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== valgrind $$t"; \
	  $(VALGRIND) --log-file=$$t.valgrind $$t >$$t.valgrind-out 2>&1 || \
	  { cat $$t.valgrind-out $$t.valgrind; \
	    echo "valgrind: $$t failed"; exit 1; }; \
	  done; echo "valgrind: $(words $(UNIT_BINS)) unit tests clean"

check-hostile:
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-valgrind
	@$(MAKE) --no-print-directory fuzz-smoke
