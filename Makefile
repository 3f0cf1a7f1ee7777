# cellpipe - build, test, benchmark and install.
#
# Knobs (make VAR=value):
#   CC=cc           C compiler; gcc and clang are both supported (make check builds both)
#   CFLAGS=-O2 -g   optimisation and debug flags; warnings are added separately
#   CPPFLAGS=       preprocessor flags (a packager's -D_FORTIFY_SOURCE=2)
#   WERROR=1        treat warnings as errors (make check sets it)
#   ASAN=1          AddressSanitizer + UndefinedBehaviorSanitizer build
#   CUDA=1          also build the CUDA backend of the kernel library (nvcc + cuBLAS)
#   CUDA_HOME=/usr/local/cuda   NVCC=$(CUDA_HOME)/bin/nvcc   CUDA_ARCH="80 90" (a list)
#   CUDA_EMU=1      with CUDA=1: the CUDA backend compiled as host C++ against
#                   tests/cuda-emu (each kernel's threads run in turn on the CPU,
#                   cuBLAS by a reference GEMM), so its code runs without a GPU
#   O=build         object directory; give each configuration its own
#   BINDIR=bin      where the programs land
#   V=1             print every command in full
#   PREFIX=/usr/local  DESTDIR=   where make install puts bin/ and share/man/
#   DATA=../shared/data  the public yeast data used by checks, benchmarks and pipelines
#   FUZZ_N=200 FUZZ_SEED=2  make fuzz: random defects per input, and which ones
#
# Targets: all (default), check, check-quick (without the build variants),
# fuzz, bench, install, uninstall, clean ($(O) and the programs), deps, help.
# Objects are rebuilt when any of the flags above change ($(O)/.flags).

CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
O ?= build
BINDIR ?= bin
PREFIX ?= /usr/local
DESTDIR ?=
DATA ?= ../shared/data
CUDA_HOME ?= /usr/local/cuda
NVCC ?= $(CUDA_HOME)/bin/nvcc
CUDA_ARCH ?= 80 90
# machine code for each architecture in CUDA_ARCH (by default 8.x, which runs
# sm_80 code, and 9.0; e.g. "80 89 90"), and
# the last one's PTX, which newer GPUs compile when they load it
CUDA_GENCODE = $(foreach a,$(CUDA_ARCH),-gencode arch=compute_$(a),code=sm_$(a)) \
	-gencode arch=compute_$(lastword $(CUDA_ARCH)),code=compute_$(lastword $(CUDA_ARCH))

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif

# -fopenmp-simd: the kernels' `omp simd` loops vectorise (no OpenMP runtime);
# -fno-math-errno: sqrt vectorises (nothing reads errno after maths calls);
# -fno-trapping-math: selections in such loops if-convert (no FP traps are used);
# -ffp-contract=off: no a*b+c fused where the target has FMA (clang fuses by
# default; gcc does not under -std=c11), so results do not follow -march
BASE_CFLAGS := -std=c11 -MMD -MP -Ilib -fopenmp-simd -fno-math-errno -fno-trapping-math \
	-ffp-contract=off $(WARN)
SAN :=
ifeq ($(ASAN),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
CUDA_DEFS :=
CUDA_LIBS :=
ifeq ($(CUDA),1)
CUDA_DEFS := -DCP_HAVE_CUDA
ifeq ($(CUDA_EMU),1)
NVCC := EMU_CXXFLAGS='$(SAN)' sh tests/cuda-emu/nvcc
CUDA_LIBS := -lstdc++
else
# the CUDA runtime linked in (a GPU machine's driver brings libcuda, not
# the runtime); cuBLAS, far too large for that, stays shared
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart_static -ldl -lrt \
	-lpthread -lstdc++
endif
endif

ALL_CFLAGS = $(BASE_CFLAGS) $(CUDA_DEFS) $(SAN) $(CPPFLAGS) $(CFLAGS)
LIBS := -lzstd -lmsgpackc -lcsv -lopenblas -lyaml -lz -lm -lpthread
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
ifeq ($(CUDA),1)
LIB_OBJ += $(O)/lib/kernels_cuda.o
endif
LIBA := $(O)/libcellpipe.a

TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOLS := $(TOOL_SRC:tools/%.c=%)
TOOL_BIN := $(TOOLS:%=$(BINDIR)/%)

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)
TESTAID_SRC := $(sort $(wildcard tests/aids/*.c))
TESTAID_BIN := $(TESTAID_SRC:tests/aids/%.c=$(O)/tests/aids/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

MAN1 := $(sort $(wildcard man/man1/*.1))
MAN5 := $(sort $(wildcard man/man5/*.5))

.PHONY: all check check-quick fuzz bench install uninstall clean deps help tests FORCE
.SUFFIXES:

all: $(TOOL_BIN)

help:
	@sed -n '2,/^# Objects/p' Makefile | sed 's/^# \{0,1\}//'

# Rebuild everything when the configuration changes, so objects of different
# flags (CPU/CUDA, sanitizers, compilers) never mix.  The file is brought up
# to date as the Makefile is read, so that make -n and make -q see only what
# really changed (a run that builds nothing, -n, -q or -t, leaves it, and
# counts it changed when it is).
FLAGS_LINE = $(CC) $(ALL_CFLAGS) | $(ALL_LDFLAGS) | CUDA=$(CUDA) $(CUDA_ARCH) $(CUDA_EMU)
ifneq ($(filter-out clean help uninstall deps,$(or $(MAKECMDGOALS),all)),)
FLAGS_STALE := $(shell echo '$(FLAGS_LINE)' | cmp -s - $(O)/.flags 2> /dev/null || echo 1)
ifneq ($(FLAGS_STALE),)
MAKE_LETTERS := $(firstword -$(MAKEFLAGS))
ifneq ($(findstring n,$(MAKE_LETTERS))$(findstring q,$(MAKE_LETTERS))$(findstring t,$(MAKE_LETTERS)),)
$(O)/.flags: FORCE
else
$(shell mkdir -p $(O) && echo '$(FLAGS_LINE)' > $(O)/.flags)
endif
endif
endif
$(O)/.flags:
	@mkdir -p $(O)
	@echo '$(FLAGS_LINE)' > $@

$(O)/%.o: %.c $(O)/.flags
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib/kernels_cuda.o: lib/kernels_cuda.cu lib/kernels_impl.h lib/kernels.h lib/cp_base.h $(O)/.flags \
		$(if $(filter 1,$(CUDA_EMU)),$(wildcard tests/cuda-emu/*))
	@mkdir -p $(dir $@)
	$(call say,NVCC,$<)
	$(Q)$(NVCC) -O2 -std=c++17 -Ilib -DCP_HAVE_CUDA $(CUDA_GENCODE) \
		-Xcompiler -Wall,-Wextra,-fPIC -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BINDIR)/%: $(O)/tools/%.o $(LIBA)
	@mkdir -p $(BINDIR)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(CUDA_LIBS) $(LIBS)

$(O)/tests/%: $(O)/tests/unit/%.o $(LIBA)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(CUDA_LIBS) $(LIBS) -lcmocka

$(O)/tests/aids/%: $(O)/tests/aids/%.o $(LIBA)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(CUDA_LIBS) $(LIBS)

$(O)/bench/%: $(O)/bench/%.o $(LIBA)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(CUDA_LIBS) $(LIBS)

tests: $(TOOL_BIN) $(TEST_BIN) $(TESTAID_BIN) $(BENCH_BIN)

# Every test: unit tests, golden CLI tests, the corrupt-input corpus, the
# real-data checks, and the gcc/clang/ASan/CUDA build variants.  Ends with
# one line "N passed, N failed".
check: tests
	@O='$(O)' BINDIR='$(BINDIR)' DATA='$(DATA)' MAKE='$(MAKE)' CC='$(CC)' \
		NVCC='$(NVCC)' sh tests/run.sh

# The same without the extra build variants (for quick iterations).
check-quick: tests
	@O='$(O)' BINDIR='$(BINDIR)' DATA='$(DATA)' MAKE='$(MAKE)' CC='$(CC)' \
		NVCC='$(NVCC)' CHECK_VARIANTS=0 sh tests/run.sh

# Seeded fuzzing of every reader with the sanitizer build (tests/fuzz.sh),
# longer than make check's; the streams come from the data suite's outputs
# in $(O)/test-data, which make check leaves there.
FUZZ_N ?= 200
FUZZ_SEED ?= 2
fuzz: tests
	$(Q)$(MAKE) --no-print-directory CC=gcc ASAN=1 WERROR=1 O=$(O)/asan BINDIR=$(O)/asan/bin all
	@O='$(O)' BINDIR='$(abspath $(BINDIR))' TOP='$(CURDIR)' FUZZ_BIN='$(abspath $(O))/asan/bin' \
		FUZZ_N='$(FUZZ_N)' FUZZ_SEED='$(FUZZ_SEED)' sh tests/fuzz.sh

bench: $(TOOL_BIN) $(BENCH_BIN)
	@O='$(O)' BINDIR='$(BINDIR)' DATA='$(DATA)' sh bench/run.sh

deps:
	sh tools/install-deps

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) \
		$(MAN1:man/man1/%=$(DESTDIR)$(PREFIX)/share/man/man1/%) \
		$(MAN5:man/man5/%=$(DESTDIR)$(PREFIX)/share/man/man5/%)

clean:
	rm -rf $(O)
	rm -f $(TOOL_BIN)
	$(if $(filter bin,$(BINDIR)),rmdir bin 2> /dev/null || true)

FORCE:

.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
