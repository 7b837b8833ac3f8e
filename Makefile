# allocsnoop - build, test, demo, bench.
# Sources are found by wildcard: a new src/*.c, src/*.proto or
# tests/unit/test_*.c needs no edit here.

VERSION    := 0.1.0
CC         := clang
BPF_CLANG  := clang
BPFTOOL    ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
PYTHON     := /usr/bin/python3
BUILD      := build
PREFIX     ?= /usr/local

PKGS       := libbpf libdw libelf json-c libprotobuf-c capstone zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN       := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS     ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE \
              -DALLOCSNOOP_VERSION='"$(VERSION)"' \
              -Isrc -I$(BUILD) -I$(BUILD)/gen -Ibpf $(PKG_CFLAGS)
SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDLIBS     := $(PKG_LIBS) -lpthread -lm -ldl

BPF_SRC    := bpf/allocsnoop.bpf.c
BPF_OBJ    := $(BUILD)/allocsnoop.bpf.o
SKEL       := $(BUILD)/allocsnoop.skel.h
PROTOS     := $(wildcard src/*.proto)
PROTO_C    := $(patsubst src/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_H    := $(PROTO_C:.c=.h)
SRCS       := $(wildcard src/*.c)
LIB_SRCS   := $(filter-out src/main.c,$(SRCS))
OBJS       := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS)) \
              $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/%.o,$(PROTO_C))
LIB_OBJS   := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
SAN_OBJS   := $(patsubst $(BUILD)/obj/%.o,$(BUILD)/san/%.o,$(LIB_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
WL_SRCS    := $(wildcard tests/workloads/*.c)
WL_CXX     := $(wildcard tests/workloads/*.cc)
WL_BINS    := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WL_SRCS)) \
              $(patsubst tests/workloads/%.cc,$(BUILD)/workloads/%,$(WL_CXX))
DEMO_BIN   := $(BUILD)/demo/orders
HDRS       := $(wildcard src/*.h bpf/*.h)

# Keep intermediate objects: tests would otherwise rebuild everything.
.SECONDARY:

.PHONY: all deps test unit e2e demo bench fuzz format vmlinux install clean

all: $(BUILD)/allocsnoop $(UNIT_BINS) $(WL_BINS) $(DEMO_BIN)

deps:
	@./scripts/install-deps

$(BPF_OBJ): $(BPF_SRC) $(wildcard bpf/*.h) vmlinux/vmlinux.h | $(BUILD)
	$(BPF_CLANG) -target bpf -O2 -g -mcpu=v3 -D__TARGET_ARCH_x86 \
		-Ivmlinux -Ibpf $(WARN) -Wno-unused-parameter -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name allocsnoop_bpf > $@

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: src/%.proto | $(BUILD)
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=src --c_out=$(BUILD)/gen $<

# Generated protobuf code is not ours to warn about.
$(BUILD)/obj/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/gen -c $< -o $@
$(BUILD)/san/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -I$(BUILD)/gen -c $< -o $@

$(BUILD)/obj/%.o: src/%.c $(HDRS) $(SKEL) $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: src/%.c $(HDRS) $(SKEL) $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/allocsnoop: $(OBJS)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

# Unit tests: one binary per tests/unit/test_*.c, built with ASan/UBSan.
$(BUILD)/tests/%: tests/unit/%.c $(SAN_OBJS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $< $(SAN_OBJS) -o $@ $(LDLIBS) -lcmocka

# Workloads keep frame pointers and full debug info: tests assert lines.
$(BUILD)/workloads/%: tests/workloads/%.c tests/workloads/workload.h
	@mkdir -p $(@D)
	$(CC) -O0 -g -fno-omit-frame-pointer -fno-inline -Wall -Werror $< -o $@ -lpthread

$(BUILD)/workloads/%: tests/workloads/%.cc tests/workloads/workload.h
	@mkdir -p $(@D)
	clang++ -O0 -g -fno-omit-frame-pointer -Wall -Werror $< -o $@

$(DEMO_BIN): demo/orders.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -fno-omit-frame-pointer -Wall -Werror $< -o $@ -lm

$(BUILD):
	@mkdir -p $(BUILD)

# The README's commands install the packages first, then build in a new
# make: the pkg-config flags above are read when a make starts. pytest runs
# the unit binaries too, so its summary line covers everything.
test: deps
	@$(MAKE) --no-print-directory all
	$(PYTHON) -m pytest -v tests/

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@./demo/run-demo $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@./bench/run $(BUILD)

fuzz: deps
	@$(MAKE) --no-print-directory $(BUILD)/allocsnoop
	@./fuzz/run $(BUILD)

format:
	clang-format -i $(wildcard src/*.c src/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/workloads/*.c tests/workloads/*.cc tests/workloads/*.h demo/*.c bench/*.c fuzz/*.c)

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

install: $(BUILD)/allocsnoop
	install -D -m 0755 $(BUILD)/allocsnoop $(DESTDIR)$(PREFIX)/sbin/allocsnoop
	install -D -m 0644 man/allocsnoop.8 $(DESTDIR)$(PREFIX)/share/man/man8/allocsnoop.8

clean:
	rm -rf $(BUILD)
