#!/bin/sh
# Build variants: warning-free under gcc and clang with -Werror, the
# sanitizer build running the unit tests and the corrupt corpus, the CUDA
# backend's code run on the CPU under the sanitizers (tests/cuda-emu), and
# the CUDA build where nvcc exists (its GPU test skips without a GPU).
set -u
. "${TOP:=$(pwd)}/tests/kill-at-epoch.sh"
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

# The pipeline's first stages on the real data (as tests/data/00-pipeline.sh
# ran them) again with the sanitizer build: no report, and the same records
# (every value; the headers differ in the output paths they record).
asan_pipeline() {
	T=$O/test-data
	A=$TOP/build/asan/bin
	if [ ! -f "$DATA/MANIFEST.tsv" ]; then
		echo "ok - asan pipeline on the real data # SKIP no data at $DATA (set DATA=...)"
		return
	fi
	AW=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-asan.XXXXXX")
	for stage in \
		"go.cpz gaf2go -q --obo $DATA/go_2012-01-04.obo.gz --gaf $DATA/sgd_gene_association_2011-12-24.gaf.gz --genes $DATA/SGD_features.tab" \
		"cell.cpz graph-build -q -g $DATA/SGD_features.tab -u $DATA/yeastGEM_SGD_with_Uniprot.csv -e physical=$DATA/ppi_BIM_biogrid_intact_mint.txt -e regulatory=$T/edges/yeastract_both.tsv -m $DATA/yeastGEM_yeast-GEM.yml" \
		"dcell_GO_0006281_test.cpz pert-mask -q --graph $T/cell.cpz --go $T/go6281.cpz $T/datasets/dcell_GO_0006281_test.tsv" \
		"kuzmin.cpz pert-mask -q --graph $T/cell.cpz --go $T/go.cpz $T/datasets/kuzmin2018_subset.tsv" \
		"gi6281.batches.cpz batch-pack -q -s random -f 0.9,0.1,0 -S 1 -b 128 --standardize $T/dcell_GO_0006281_train.cpz"; do
		set -- $stage
		out=$1 prog=$2
		shift 2
		if [ ! -f "$T/$out" ]; then
			echo "not ok - asan $prog on the real data: no $T/$out from the data suite"
		elif ! "$A/$prog" "$@" -o "$AW/$out" > "$AW/err" 2>&1; then
			echo "not ok - asan $prog on the real data: $(grep -m1 -E 'ERROR|runtime error' "$AW/err" || head -1 "$AW/err")"
		elif [ "$(cpz cat -p 1000000000 "$AW/$out" | grep -v '^#' | cksum)" != \
			"$(cpz cat -p 1000000000 "$T/$out" | grep -v '^#' | cksum)" ]; then
			echo "not ok - asan $prog on the real data: $out differs from the normal build's"
		else
			echo "ok - asan $prog on the real data: sanitizer-clean, $out as the normal build's"
		fi
	done
	rm -rf "$AW"
}

# Training and predictions bit for bit as the default build's (on a CPU
# with AVX2, the kernels' AVX2 copy) from a build of their SSE2 copy alone,
# from an unoptimised build and from clang's for a CPU with FMA: float32 and float64 on GO:0006281 with the
# gradient clipped at every step (its norm summed in a fixed order, not in
# the vector width's), predicted on the sparse and the dense path.
same_bits() {
	label=$1
	T=$O/test-data
	if [ ! -f "$DATA/MANIFEST.tsv" ]; then
		echo "ok - $label build trains and predicts the default build's bits # SKIP no data at $DATA (set DATA=...)"
		return
	fi
	if [ ! -f "$T/gi6281.batches.cpz" ] || [ ! -f "$T/dcell_GO_0006281_test.cpz" ]; then
		echo "not ok - $label results: no GO:0006281 data from the data suite"
		return
	fi
	SW=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-bits.XXXXXX")
	diff=
	for prec in f32 f64; do
		for b in "$BINDIR" "$TOP/build/$label/bin"; do
			d=$SW/$prec$(test "$b" = "$BINDIR" || echo .v)
			mkdir -p "$d/w"
			ln -s "$T/go6281.cpz" "$d/w/go.cpz"
			ln -s "$T/gi6281.batches.cpz" "$d/w/train.cpz"
			ln -s "$T/dcell_GO_0006281_test.cpz" "$d/w/test.cpz"
			(cd "$d/w" && "$b/fit" -q --go go.cpz --train train.cpz --label gene_interaction \
				--batch-size 32 --epochs 2 --clip 0.001 --precision $prec --seed 3 -o model.cpz &&
				"$b/predict" -q --model model.cpz test.cpz -o sparse.cpz &&
				"$b/predict" -q --model model.cpz --path dense --threads 1 test.cpz -o dense.cpz) \
				2> "$d/err" || diff="$diff $(head -1 "$d/err")"
		done
		for f in model sparse dense; do
			cmp -s "$SW/$prec/w/$f.cpz" "$SW/$prec.v/w/$f.cpz" || diff="$diff $prec:$f.cpz"
		done
	done
	if [ -z "$diff" ]; then
		echo "ok - $label build trains and predicts the default build's bits"
	else
		echo "not ok - $label build against the default build: differs in$diff"
	fi
	rm -rf "$SW"
}
if build sse2 CPPFLAGS=-DCP_NO_CLONES O=build/sse2 BINDIR=build/sse2/bin; then
	same_bits sse2
fi
if build O0 CFLAGS='-O0 -g' O=build/O0 BINDIR=build/O0/bin; then
	same_bits O0
fi
# clang fuses a*b+c where the target has FMA, unless told not to (built
# for AVX2 too: the CPU needs both)
if command -v clang > /dev/null 2>&1 && grep -qw fma /proc/cpuinfo 2> /dev/null &&
	grep -qw avx2 /proc/cpuinfo; then
	if build clang-fma CC=clang CFLAGS='-O2 -g -mavx2 -mfma' O=build/clang-fma BINDIR=build/clang-fma/bin; then
		same_bits clang-fma
	fi
else
	echo "ok - clang-fma build trains and predicts the default build's bits # SKIP no clang, or a CPU without AVX2 and FMA"
fi

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
	asan_pipeline
	FUZZ_BIN=$TOP/build/asan/bin sh tests/fuzz.sh
fi

# The CUDA backend compiled as host C++ against the emulated runtime: the
# CUDA-against-CPU tests then run every kernel, index and cuBLAS mapping
# for real (only what a GPU alone shows, races and its memory model, stays
# untested here).  A skip is a failure: these tests must run.
EMU_TESTS="test_kernels test_ops test_dcell"

# the largest difference between field $3 of streams $1 and $2, over the
# largest magnitude in $1 (one column each); fails where a value is not
# finite (awk's comparisons would let a NaN through)
emu_reldiff() {
	cpz dump "$1" "$3" > "$EW/x" && cpz dump "$2" "$3" > "$EW/y" &&
		[ "$(grep -c '' "$EW/x")" -gt 0 ] && [ "$(grep -c '' "$EW/x")" -eq "$(grep -c '' "$EW/y")" ] &&
		paste "$EW/x" "$EW/y" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d
			a = $1 < 0 ? -$1 : $1; if (a > s) s = a; if (tolower($0) ~ /nan|inf/) bad++ }
			END { if (bad) exit 1; printf "%.3g\n", (s > 0 ? m / s : m) }'
}

# fit and predict with --device cuda on the emulated device, on a tenth of
# the GO:0006281 training pairs: float64 training matches the CPU's, a run
# killed with SIGKILL and resumed ends byte-identical to an uninterrupted
# one (moments, running statistics and RNG back on the device), and the
# device's dense predictions match the CPU's exact sparse path.
emu_fit() {
	T=$O/test-data
	E=$TOP/build/cuda-emu/bin
	if [ ! -f "$DATA/MANIFEST.tsv" ]; then
		echo "ok - cuda-emu fit # SKIP no data at $DATA (set DATA=...)"
		return
	fi
	if [ ! -f "$T/dcell_GO_0006281_train.cpz" ] || [ ! -f "$T/go6281.cpz" ]; then
		echo "not ok - cuda-emu fit: no GO:0006281 data from the data suite"
		return
	fi
	EW=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-emu.XXXXXX")
	export ASAN_OPTIONS=detect_leaks=1:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
	if ! batch-pack -q -s random -f 0.1,0.02,0.88 -S 1 -b 32 --standardize -O "$EW/p" \
		"$T/dcell_GO_0006281_train.cpz" 2> "$EW/err"; then
		echo "not ok - cuda-emu fit: batch-pack: $(cat "$EW/err")"
		rm -rf "$EW"
		return
	fi
	for dir in cpu cuda a b; do
		mkdir "$EW/$dir"
		ln -s "$T/go6281.cpz" "$EW/$dir/go.cpz"
		ln -s "$EW/p.train.cpz" "$EW/$dir/train.cpz"
		ln -s "$EW/p.val.cpz" "$EW/$dir/val.cpz"
	done
	FIT="$E/fit -q --go go.cpz --train train.cpz --val val.cpz --label gene_interaction --batch-size 32 --path dense"
	for dev in cpu cuda; do
		(cd "$EW/$dev" && $FIT --precision f64 --epochs 2 --device $dev -o model.cpz) 2> "$EW/$dev.err"
	done
	if p=$(emu_reldiff "$EW/cpu/model.cpz" "$EW/cuda/model.cpz" params) &&
		v=$(emu_reldiff "$EW/cpu/model.cpz" "$EW/cuda/model.cpz" val_loss) &&
		awk -v p="$p" -v v="$v" 'BEGIN { exit !(p != "" && v != "" && p + 0 < 1e-8 && v + 0 < 1e-10) }'; then
		echo "ok - cuda-emu fit --device cuda trains as the CPU does (float64, 2 epochs: parameters within $p, val loss within $v)"
	else
		echo "not ok - cuda-emu fit --device cuda against cpu: parameters ${p:-?}, val loss ${v:-?}: $(cat "$EW/cpu.err" "$EW/cuda.err" | head -2)"
	fi

	# kill -9 once a checkpoint of epoch 2 or later exists, then resume
	(cd "$EW/a" && exec $FIT --epochs 5 --device cuda -o model.cpz) 2> /dev/null &
	landed=0
	kill_at_epoch $! "$EW/a/model.cpz" 2 && landed=1
	(cd "$EW/b" && $FIT --epochs 5 --device cuda -o model.cpz) 2> "$EW/b.err"
	if [ $landed = 0 ]; then
		echo "not ok - cuda-emu fit --device cuda: the kill did not land mid-run (epoch $killed_at)"
	elif (cd "$EW/a" && $E/fit -q --resume model.cpz) 2> "$EW/a.err" &&
		[ -f "$EW/b/model.cpz" ] && cmp -s "$EW/a/model.cpz" "$EW/b/model.cpz"; then
		echo "ok - cuda-emu fit --device cuda killed with SIGKILL after epoch $killed_at and resumed: byte-identical to an uninterrupted run"
	else
		echo "not ok - cuda-emu fit --device cuda resumed after epoch $killed_at differs from an uninterrupted run: $(cat "$EW/a.err" "$EW/b.err" | head -2)"
	fi

	# the float32 model's predictions of the val split
	if $E/predict -q --model "$EW/b/model.cpz" --path dense --device cuda "$EW/p.val.cpz" -o "$EW/dev.cpz" 2> "$EW/err" &&
		predict -q --model "$EW/b/model.cpz" "$EW/p.val.cpz" -o "$EW/cpu.cpz" 2>> "$EW/err" &&
		d=$(emu_reldiff "$EW/cpu.cpz" "$EW/dev.cpz" pred) &&
		awk -v d="$d" 'BEGIN { exit !(d != "" && d + 0 < 1e-5) }'; then
		echo "ok - cuda-emu predict --device cuda (dense) matches the CPU's sparse path (float32, within $d of the largest)"
	else
		echo "not ok - cuda-emu predict --device cuda against the CPU's sparse path: ${d:-?}: $(head -1 "$EW/err")"
	fi
	rm -rf "$EW"
}

if command -v "${CXX:-g++}" >/dev/null 2>&1; then
	if $MAKE $J CC=gcc ASAN=1 CUDA=1 CUDA_EMU=1 WERROR=1 O=build/cuda-emu BINDIR=build/cuda-emu/bin \
		$(for t in $EMU_TESTS; do echo build/cuda-emu/tests/$t; done) \
		build/cuda-emu/bin/fit build/cuda-emu/bin/predict > "$O/variant-cuda-emu.log" 2>&1; then
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
		emu_fit
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
