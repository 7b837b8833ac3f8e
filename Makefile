# allocsnoop - build, test, demo, bench.
# Sources are found by wildcard: a new src/<folder>/*.c, *.proto or
# tests/unit/test_*.c needs no edit here. Header dependencies are
# generated (-MMD -MP). Lines are short; `make V=1` prints whole commands.

VERSION    := 0.1.0
CC         := clang
BPF_CLANG  := clang
BPFTOOL    ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
PYTHON     := /usr/bin/python3
BUILD      := build
PREFIX     ?= /usr/local

ifeq ($(V),1)
Q          :=
say         = @true
else
Q          := @
say         = @printf '  %-6s %s\n' "$(1)" "$(2)"
endif

PKGS       := libbpf libdw libelf json-c libprotobuf-c capstone zlib \
              libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN       := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS     ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE \
              -DALLOCSNOOP_VERSION='"$(VERSION)"' \
              -Isrc -I$(BUILD) -I$(BUILD)/gen -Ibpf $(PKG_CFLAGS)
SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
DEP_FLAGS   = -MMD -MP -MF $(@:.o=.d)
LDLIBS     := $(PKG_LIBS) -lpthread -lm -ldl

BPF_SRC    := bpf/allocsnoop.bpf.c
BPF_OBJ    := $(BUILD)/allocsnoop.bpf.o
SKEL       := $(BUILD)/allocsnoop.skel.h
PROTOS     := $(wildcard src/*/*.proto)
PROTO_C    := $(patsubst %.proto,$(BUILD)/gen/%.pb-c.c,$(notdir $(PROTOS)))
PROTO_H    := $(PROTO_C:.c=.h)
# The HTML report's page (src/view/html/), compiled in as C arrays.
PAGE_SRCS  := $(wildcard src/view/html/*)
PAGE_C     := $(BUILD)/gen/html_page.c
SRCS       := $(wildcard src/*/*.c)
MAIN_SRC   := src/cli/main.c
OBJS       := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS)) \
              $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(PROTO_C)) \
              $(BUILD)/obj/gen/html_page.o
LIB_OBJS   := $(filter-out $(BUILD)/obj/cli/main.o,$(OBJS))
SAN_OBJS   := $(patsubst $(BUILD)/obj/%.o,$(BUILD)/san/%.o,$(LIB_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Helpers of the tests (synthetic snapshots), linked with the tool's code.
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
WL_SRCS    := $(wildcard tests/workloads/*.c)
WL_CXX     := $(wildcard tests/workloads/*.cc)
# Workloads built again against each allocator family's library.
FAMILIES   := jemalloc tcmalloc_minimal mimalloc
FAMILY_WL  := families cxx_new
WL_BINS    := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WL_SRCS)) \
              $(patsubst tests/workloads/%.cc,$(BUILD)/workloads/%,$(WL_CXX)) \
              $(foreach f,$(FAMILIES),$(foreach w,$(FAMILY_WL),$(BUILD)/workloads/$(w)-$(f))) \
              $(BUILD)/workloads/libdlwork.so $(BUILD)/workloads/families-static \
              $(BUILD)/workloads/pyalloc.so
DEMO_BIN   := $(BUILD)/demo/orders

vpath %.proto $(sort $(dir $(PROTOS)))

# Keep intermediate objects: tests would otherwise rebuild everything.
.SECONDARY:

.PHONY: all deps test unit e2e demo bench fuzz format vmlinux install clean

all: $(BUILD)/allocsnoop $(UNIT_BINS) $(TOOL_BINS) $(WL_BINS) $(DEMO_BIN)

deps:
	@./scripts/install-deps

$(BPF_OBJ): $(BPF_SRC) $(wildcard bpf/*.h) vmlinux/vmlinux.h | $(BUILD)
	$(call say,BPF,$<)
	$(Q)$(BPF_CLANG) -target bpf -O2 -g -mcpu=v3 -D__TARGET_ARCH_x86 \
		-Ivmlinux -Ibpf $(WARN) -Wno-unused-parameter -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call say,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name allocsnoop_bpf > $@

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto | $(BUILD)
	$(call say,PROTOC,$<)
	@mkdir -p $(BUILD)/gen
	$(Q)protoc-c --proto_path=$(dir $<) --c_out=$(BUILD)/gen $<

# Generated protobuf code is not ours to warn about.
$(BUILD)/obj/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(PROTO_H)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/gen -c $< -o $@
$(BUILD)/san/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(PROTO_H)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -I$(BUILD)/gen -c $< -o $@

$(PAGE_C): scripts/html-page $(PAGE_SRCS) | $(BUILD)
	$(call say,GEN,$@)
	@mkdir -p $(BUILD)/gen
	$(Q)./scripts/html-page src/view/html $@

$(BUILD)/obj/gen/html_page.o: $(PAGE_C) src/view/html_page.h
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) -Isrc -c $< -o $@
$(BUILD)/san/gen/html_page.o: $(PAGE_C) src/view/html_page.h
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) $(WARN) -Isrc -c $< -o $@

# Every object may include the skeleton or the generated protobuf header:
# they are made first; the rest of the headers come from the .d files.
$(BUILD)/obj/%.o: src/%.c | $(SKEL) $(PROTO_H)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEP_FLAGS) -c $< -o $@

$(BUILD)/san/%.o: src/%.c | $(SKEL) $(PROTO_H)
	$(call say,CC-SAN,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEP_FLAGS) -c $< -o $@

$(BUILD)/allocsnoop: $(OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

# Unit tests: one binary per tests/unit/test_*.c, built with ASan/UBSan.
$(BUILD)/tests/%: tests/unit/%.c $(SAN_OBJS)
	$(call say,TEST,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -MF $@.d $< $(SAN_OBJS) \
		-o $@ $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(LIB_OBJS)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $< $(LIB_OBJS) -o $@ $(LDLIBS)

# Workloads keep frame pointers and full debug info: tests assert lines.
$(BUILD)/workloads/%: tests/workloads/%.c tests/workloads/workload.h
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -fno-inline -Wall -Werror $< \
		-o $@ -lpthread

$(BUILD)/workloads/%: tests/workloads/%.cc tests/workloads/workload.h
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)clang++ -O0 -g -fno-omit-frame-pointer -Wall -Werror $< -o $@

# FAMILY_TCMALLOC_MINIMAL and so on: the family's own API too.
define family_workload
$(BUILD)/workloads/families-$(1): tests/workloads/families.c tests/workloads/workload.h
	$$(call say,CC,$$< ($(1)))
	@mkdir -p $$(@D)
	$$(Q)$$(CC) -O0 -g -fno-omit-frame-pointer -fno-inline -Wall -Werror \
		-DFAMILY_$(shell echo $(1) | tr a-z A-Z) $$< -o $$@ -l$(1) -lpthread
$(BUILD)/workloads/cxx_new-$(1): tests/workloads/cxx_new.cc tests/workloads/workload.h
	$$(call say,CXX,$$< ($(1)))
	@mkdir -p $$(@D)
	$$(Q)clang++ -O0 -g -fno-omit-frame-pointer -Wall -Werror $$< -o $$@ -l$(1)
endef
$(foreach f,$(FAMILIES),$(eval $(call family_workload,$(f))))

# A library of the dlopener workload, and the accuracy workload static.
$(BUILD)/workloads/libdlwork.so: tests/workloads/lib/dlwork.cc
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)clang++ -O0 -g -fno-omit-frame-pointer -Wall -Werror -shared -fPIC \
		$< -o $@
$(BUILD)/workloads/dlopener: tests/workloads/dlopener.c tests/workloads/workload.h
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -fno-inline -Wall -Werror $< \
		-o $@ -ldl
# Python embedded after keys of its own (Debian's libpython3.11-dev).
$(BUILD)/workloads/pykeys: tests/workloads/pykeys.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -Wall -Werror \
		$(shell pkg-config --cflags python-3.11-embed) $< -o $@ \
		$(shell pkg-config --libs python-3.11-embed)
$(BUILD)/workloads/families-static: tests/workloads/families.c tests/workloads/workload.h
	$(call say,CC,$< (static))
	@mkdir -p $(@D)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -fno-inline -Wall -Werror \
		-static $< -o $@ -lpthread

# A CPython extension module (Debian's python3.11): calls of PyObject_Malloc
# and friends at known Python lines, and a hook that counts every call.
$(BUILD)/workloads/pyalloc.so: tests/workloads/pyext/pyalloc.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -fPIC -shared -Wall -Werror \
		$(shell python3.11-config --includes) $< -o $@

$(DEMO_BIN): demo/orders.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -Wall -Werror $< -o $@ -lm

$(BUILD):
	@mkdir -p $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

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
	clang-format -i $(wildcard src/*/*.c src/*/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/tools/*.c tests/workloads/*.c tests/workloads/*.cc tests/workloads/*.h demo/*.c bench/*.c fuzz/*.c)

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

install: $(BUILD)/allocsnoop
	install -D -m 0755 $(BUILD)/allocsnoop $(DESTDIR)$(PREFIX)/sbin/allocsnoop
	install -D -m 0644 man/allocsnoop.8 $(DESTDIR)$(PREFIX)/share/man/man8/allocsnoop.8

clean:
	rm -rf $(BUILD)
