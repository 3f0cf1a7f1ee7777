#!/bin/sh
# The CUDA checks, on a machine with a GPU, from a folder that
# tools/gpu-bundle filled (GPU=DIR, default .gpu): the unit tests that run
# the CUDA kernels against the CPU on random inputs and a dense DCell step
# on CUDA against the CPU (each skips without a GPU: that counts as a
# failure here), the dense DCell paths' speed on CUDA beside the CPU
# backend of the same machine (dcell_bench -D), and two epochs of the main
# job's DCell on DCell's GO:0006281 pairs, dense, on CUDA and on the CPU:
# their validation losses must agree to 1% (sums round differently), and
# that model's validation predictions, dense on CUDA, the CPU's exact
# sparse path to 1e-3.  First it names the GPU and its driver, and stops
# (exit 2) where the loader lacks a library (cuBLAS is not bundled) or
# the bundle's programs do not start.  Prints everything; ends with
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
export LD_LIBRARY_PATH
# the GPU, its driver and compute capability (a CUDA 13 runtime needs a
# driver of 580 or later; the bundle holds machine code for 8.0, 8.6, 8.9
# and 9.0, and PTX that newer GPUs compile)
nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null ||
	echo "(no nvidia-smi)"

# what the loader cannot find: cuBLAS is not in the bundle; look where a
# CUDA toolkit or a Python wheel keeps it, else stop naming what is missing
missing() {
	for f in "$G"/bin/* "$G"/tests/* "$G"/bench/*; do
		ldd "$f" 2>&1 | awk '/not found/ { print $1 }'
	done | sort -u | tr '\n' ' '
}
need=$(missing)
if [ -n "$need" ]; then
	for d in $(ldconfig -p 2>/dev/null | awk '/libcublas/ { print $NF }' | xargs -r -n1 dirname) \
		/usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /opt/conda/lib \
		/usr/lib/python3*/site-packages/nvidia/*/lib /usr/local/lib/python3*/*-packages/nvidia/*/lib \
		$(python3 -c 'import site; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' \
			2>/dev/null | tr ' ' '\n' | sed 's|$|/nvidia/*/lib|'); do
		for lib in $need; do
			[ -e "$d/$lib" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d" && break
		done
	done
	export LD_LIBRARY_PATH
	need=$(missing)
fi
if [ -n "$need" ]; then
	echo "gpu-check: the loader finds no $need(the bundle's binaries need cuBLAS of CUDA $(echo "$need" |
		sed -n 's/.*libcublas[^ ]*\.so\.\([0-9]*\).*/\1/p'); set LD_LIBRARY_PATH to its folder)" >&2
	exit 2
fi
if ! "$G/bin/fit" --version > "$OUT/version.log" 2>&1; then	# glibc too old, and the like
	echo "gpu-check: the bundle's fit does not start here: $(head -1 "$OUT/version.log")" >&2
	exit 2
fi

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
# float32 sums round differently on the two devices, and two epochs let
# that grow a little: their validation losses agree to 1%, and are finite
if [ -f "$OUT/cuda.cpz" ] && [ -f "$OUT/cpu.cpz" ]; then
	"$G/bin/cpz" dump "$OUT/cuda.cpz" val_loss > "$OUT/loss-cuda.txt"
	"$G/bin/cpz" dump "$OUT/cpu.cpz" val_loss > "$OUT/loss-cpu.txt"
	if [ "$(grep -c '' "$OUT/loss-cuda.txt")" -eq "$(grep -c '' "$OUT/loss-cpu.txt")" ] &&
		paste "$OUT/loss-cuda.txt" "$OUT/loss-cpu.txt" | awk '
			{ d = $1 - $2; if (d < 0) d = -d; s = $2 < 0 ? -$2 : $2; if (s < 1e-30) s = 1e-30; if (d / s > w) w = d / s; n++
			  if (tolower($0) ~ /nan|inf/) bad++ }
			END { printf "fit: %d epochs, largest relative difference of the val loss %g\n", n, w
			      exit !(n > 0 && !bad && w <= 1e-2) }'; then
		:
	else
		echo "gpu-check: CUDA and CPU training differ"
		failed=$((failed + 1))
	fi
fi
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
		if [ "$(grep -c '' "$OUT/pred-cuda.txt")" -eq "$(grep -c '' "$OUT/pred-cpu.txt")" ] &&
			paste "$OUT/pred-cuda.txt" "$OUT/pred-cpu.txt" | awk '
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
