#!/bin/sh
# The CUDA checks, on a machine with a GPU, from a folder that
# tools/gpu-bundle filled (GPU=DIR, default .gpu): the unit tests that run
# the CUDA kernels against the CPU on random inputs and a dense DCell step
# on CUDA against the CPU (each skips without a GPU: that counts as a
# failure here), the dense DCell paths' speed on CUDA beside the CPU
# backend of the same machine (dcell_bench -D), and two epochs of the main
# job's DCell on DCell's GO:0006281 pairs, dense, on CUDA and on the CPU:
# their losses and validation scores should agree to a few digits (sums
# round differently), and that model's validation predictions, dense on
# CUDA against the CPU's exact sparse path.  Prints everything; ends with
# "gpu-check: N failed".  Logs go to OUT (default a temporary folder).
set -u
G=${GPU:-.gpu}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-gpu-check.XXXXXX")}
failed=0
if [ ! -x "$G/bench/dcell_bench" ]; then
	echo "gpu-check: no bundle at $G (run tools/gpu-bundle first)" >&2
	exit 2
fi
L=${TMPDIR:-/tmp}/cellpipe-gpu-lib
mkdir -p "$L" && tar -C "$L" -xzf "$G/lib.tgz"
LD_LIBRARY_PATH="$L/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# cuBLAS where the build found it, else wherever this machine keeps it
if [ ! -e /usr/local/cuda/lib64/libcublas.so.13 ]; then
	d=$(find / -name 'libcublas.so.13*' -not -path '/proc/*' 2>/dev/null | head -1)
	[ -n "$d" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$d")"
	d=$(find / -name 'libcudart.so.13*' -not -path '/proc/*' 2>/dev/null | head -1)
	[ -n "$d" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$d")"
fi
export LD_LIBRARY_PATH
nvidia-smi -L 2>/dev/null || echo "(no nvidia-smi)"

step() {	# step NAME COMMAND...: run, keep the output, count a failure
	name=$1
	shift
	echo "== $name: $*"
	"$@" > "$OUT/$name.log" 2>&1
	rc=$?
	cat "$OUT/$name.log"
	if [ $rc -ne 0 ]; then
		echo "gpu-check: $name FAILED (exit $rc)"
		failed=$((failed + 1))
	fi
}

for t in test_kernels test_ops test_dcell; do
	step "$t" env CELLPIPE_CUDA_SYNC=1 "$G/tests/$t"	# a fault named by its op
	grep -q 'SKIP CUDA' "$OUT/$t.log" && echo "gpu-check: $t skipped its CUDA comparison" &&
		failed=$((failed + 1))
done
for dev in cuda cpu; do
	step "bench-$dev-direct" "$G/bench/dcell_bench" "$G/data/go.cpz" -b 256 -n 20 -d -D $dev -m 0
	step "bench-$dev-direct-inference" "$G/bench/dcell_bench" "$G/data/go.cpz" -b 256 -n 20 -d -D $dev -m 1
	step "bench-$dev-contained" "$G/bench/dcell_bench" "$G/data/go.cpz" -b 256 -n 4 -D $dev -m 0
	step "bench-$dev-contained-inference" "$G/bench/dcell_bench" "$G/data/go.cpz" -b 256 -n 4 -D $dev -m 1
done
FIT="--model dcell --go $G/data/go.cpz --train $G/data/gi6281.batches.cpz --label gene_interaction
     --seed 1 --width-from direct --order bn-tanh --lr 0.003 --weight-decay 0.0001 --clip 5
     --batch-size 64 --epochs 2 --path dense"
# shellcheck disable=SC2086
step fit-cuda "$G/bin/fit" $FIT --device cuda -o "$OUT/cuda.cpz"
# shellcheck disable=SC2086
step fit-cpu "$G/bin/fit" $FIT --device cpu -o "$OUT/cpu.cpz"
for d in cuda cpu; do
	[ -f "$OUT/$d.cpz" ] || continue
	echo "$d: validation loss, then Pearson, per epoch:" \
		$("$G/bin/cpz" dump "$OUT/$d.cpz" val_loss) / $("$G/bin/cpz" dump "$OUT/$d.cpz" val_pearson.gene_interaction)
done
# the CPU-trained model's validation predictions: dense on CUDA against
# the CPU's exact sparse path
if [ -f "$OUT/cpu.cpz" ]; then
	step predict-cuda "$G/bin/predict" -q --model "$OUT/cpu.cpz" --path dense --device cuda \
		"$G/data/gi6281.batches.cpz" --split val -o "$OUT/pred-cuda.cpz"
	step predict-cpu "$G/bin/predict" -q --model "$OUT/cpu.cpz" \
		"$G/data/gi6281.batches.cpz" --split val -o "$OUT/pred-cpu.cpz"
	if [ -f "$OUT/pred-cuda.cpz" ] && [ -f "$OUT/pred-cpu.cpz" ]; then
		"$G/bin/cpz" dump "$OUT/pred-cuda.cpz" pred > "$OUT/pred-cuda.txt"
		"$G/bin/cpz" dump "$OUT/pred-cpu.cpz" pred > "$OUT/pred-cpu.txt"
		if paste "$OUT/pred-cuda.txt" "$OUT/pred-cpu.txt" | awk '
			{ d = $1 - $2; if (d < 0) d = -d; s = $2 < 0 ? -$2 : $2; if (s > m) m = s; if (d > w) w = d; n++
			  if (tolower($0) ~ /nan|inf/) bad++ }
			END { printf "predict: %d predictions, largest difference %g (largest value %g), %d not finite\n", n, w, m, bad
			      exit !(n > 0 && !bad && w <= 1e-3 * (m + 1e-6)) }'; then
			:
		else
			echo "gpu-check: CUDA and CPU predictions differ"
			failed=$((failed + 1))
		fi
	fi
fi
echo "gpu-check: $failed failed (logs in $OUT)"
[ "$failed" -eq 0 ]
