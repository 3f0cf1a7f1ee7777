#!/bin/sh
# Build variants: warning-free under gcc and clang with -Werror, the
# sanitizer build running the unit tests and the corrupt corpus, the CUDA
# backend's code run on the CPU under the sanitizers (tests/cuda-emu), and
# the CUDA build where nvcc exists (its GPU test skips without a GPU).
set -u
MAKE=${MAKE:-make}
NVCC=${NVCC:-nvcc}
J=-j$(nproc 2>/dev/null || echo 2)

build() {
	label=$1
	shift
	if $MAKE $J "$@" WERROR=1 all tests > "$O/variant-$label.log" 2>&1; then
		echo "ok - build $label warning-free"
		return 0
	fi
	echo "not ok - build $label: see $O/variant-$label.log"
	grep -E 'error|warning' "$O/variant-$label.log" | head -5 | sed 's/^/#   /'
	return 1
}

for cc in gcc clang; do
	if command -v $cc >/dev/null 2>&1; then
		build $cc CC=$cc O=build/$cc BINDIR=build/$cc/bin
	else
		echo "ok - build $cc # SKIP $cc not installed"
	fi
done

if build asan CC=gcc ASAN=1 O=build/asan BINDIR=build/asan/bin; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
	for t in build/asan/tests/test_*; do
		n=$(basename "$t")
		if "$t" > "$O/asan-$n.log" 2>&1; then
			echo "ok - asan $n"
		else
			echo "not ok - asan $n: see $O/asan-$n.log"
			grep -E 'ERROR|runtime error|FAILED' "$O/asan-$n.log" | head -3 | sed 's/^/#   /'
		fi
	done
	CORRUPT_TAG=-asan BINDIR=$TOP/build/asan/bin sh tests/corrupt.sh
fi

# The CUDA backend compiled as host C++ against the emulated runtime: the
# CUDA-against-CPU tests then run every kernel, index and cuBLAS mapping
# for real (only what a GPU alone shows, races and its memory model, stays
# untested here).  A skip is a failure: these tests must run.
EMU_TESTS="test_kernels test_ops test_dcell"
if command -v "${CXX:-g++}" >/dev/null 2>&1; then
	if $MAKE $J CC=gcc ASAN=1 CUDA=1 CUDA_EMU=1 WERROR=1 O=build/cuda-emu BINDIR=build/cuda-emu/bin \
		$(for t in $EMU_TESTS; do echo build/cuda-emu/tests/$t; done) > "$O/variant-cuda-emu.log" 2>&1; then
		echo "ok - build cuda-emu warning-free"
		for t in $EMU_TESTS; do
			if ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
				build/cuda-emu/tests/$t > "$O/cuda-emu-$t.log" 2>&1 &&
				! grep -q 'SKIP' "$O/cuda-emu-$t.log"; then
				echo "ok - cuda-emu $t: the CUDA backend's code matches the CPU"
			else
				echo "not ok - cuda-emu $t: see $O/cuda-emu-$t.log"
				grep -E 'ERROR|runtime error|FAILED|cuda-emu:|SKIP' "$O/cuda-emu-$t.log" | head -3 | sed 's/^/#   /'
			fi
		done
	else
		echo "not ok - build cuda-emu: see $O/variant-cuda-emu.log"
		grep -E 'error|warning' "$O/variant-cuda-emu.log" | head -5 | sed 's/^/#   /'
	fi
else
	echo "ok - build cuda-emu # SKIP no C++ compiler (${CXX:-g++})"
fi

if command -v "$NVCC" >/dev/null 2>&1; then
	if build cuda CUDA=1 O=build/cuda BINDIR=build/cuda/bin; then
		for t in test_kernels test_ops test_dcell; do
			if build/cuda/tests/$t > "$O/cuda-$t.log" 2>&1; then
				if grep -q 'SKIP CUDA' "$O/cuda-$t.log"; then
					echo "ok - cuda $t matches the CPU # SKIP $(grep -m1 'SKIP CUDA' "$O/cuda-$t.log" | sed 's/^# SKIP //')"
				else
					echo "ok - cuda $t matches the CPU"
				fi
			else
				echo "not ok - cuda $t: see $O/cuda-$t.log"
			fi
		done
	fi
else
	echo "ok - build cuda # SKIP nvcc not found"
fi
