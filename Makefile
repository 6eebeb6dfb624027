# lkstub: a GDB remote stub for live guest kernels.
#
#   make            build build/lkstub
#   make unit       build and run the cmocka unit tests
#   make check      unit tests, then the end-to-end tests on real QEMU guests
#   make demo       boot a real guest, attach lkstub, show gdb at work
#   make bench      raw RSP throughput/latency against lkstub and QEMU's stub

CC       ?= cc
O        ?= build
PKGS     := libelf libbpf
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
            -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lelf -lbpf)
TEST_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

LIB_SRCS := $(wildcard translate/*.c) $(wildcard symbols/*.c) \
            $(filter-out stub/main.c,$(wildcard stub/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:%.c=$(O)/%)

.PHONY: all unit check e2e demo bench clean deps
all: $(O)/lkstub $(TOOL_BINS)

$(O)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/liblkstub.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/lkstub: $(O)/stub/main.o $(O)/liblkstub.a
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

e2e: all
	@tests/e2e/run.sh

check: unit
	@$(MAKE) --no-print-directory e2e

demo: deps all
	@tests/e2e/demo.sh

bench: all
	@tests/e2e/bench.sh

clean:
	rm -rf $(O)
