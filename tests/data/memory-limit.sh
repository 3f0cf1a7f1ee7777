#!/bin/sh
# fit and predict under an address-space limit (ulimit -v): OpenBLAS takes
# a 128 MiB buffer in each thread that runs BLAS and retries forever when
# one does not fit, and its exit waits for its threads.  A limit too low for
# the threads is one line and exit 1, --help included, never a hang (each
# run here under timeout); one thread trains and predicts within 300 MB.
set -u
T=$O/test-data
W=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-vlimit.XXXXXX")
trap 'rm -rf "$W"' EXIT
if [ ! -f "$T/gi6281.batches.cpz" ]; then
	echo "not ok - memory limit: no batches from 00-pipeline.sh"
	exit 0
fi
LIMIT=300000
FIT="fit -q --go $T/go6281.cpz --train $T/gi6281.batches.cpz --label gene_interaction --batch-size 32 --epochs 1"

# refused DESCRIPTION WANT THREADS CMD...: under the limit with OpenBLAS
# started with THREADS, one line matching WANT and exit 1
refused() {
	what=$1 want=$2 threads=$3
	shift 3
	(ulimit -v $LIMIT && OPENBLAS_NUM_THREADS=$threads exec timeout 60 "$@") > /dev/null 2> "$W/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q "$want" "$W/err"; then
		echo "ok - $what: $(cat "$W/err")"
	else
		echo "not ok - $what: exit $rc$([ $rc -eq 124 ] && echo ' (hung)'): $(head -c 300 "$W/err")"
	fi
}
refused "fit --help, ulimit -v $LIMIT, OpenBLAS on 2 threads" 'address-space limit (ulimit -v 300000).*OPENBLAS_NUM_THREADS=1' 2 \
	fit --help
refused "predict --help, the same" 'too low for OpenBLAS with 2 threads' 2 predict --help
# cpz makes no BLAS call of its own, but OpenBLAS's threads start as it
# loads, each mapping a buffer: below what they need (about 180 MB for 2)
# refused (it hung), above it cpz runs with 2 threads, and with one thread
# it runs under far less
LIMIT=150000
refused "cpz --version, ulimit -v $LIMIT, 2 threads" 'ulimit -v 150000) is too low for OpenBLAS with 2 threads' 2 cpz --version
LIMIT=300000
v=$( (ulimit -v $LIMIT && OPENBLAS_NUM_THREADS=2 exec timeout 60 cpz verify -q "$T/go6281.cpz") 2>&1)
[ $? -eq 0 ] && echo "ok - cpz verify with OpenBLAS on 2 threads under ulimit -v $LIMIT" ||
	echo "not ok - cpz verify with OpenBLAS on 2 threads under ulimit -v $LIMIT: $v"
v=$( (ulimit -v 150000 && OPENBLAS_NUM_THREADS=1 exec timeout 60 cpz --version) 2>&1)
[ $? -eq 0 ] && echo "ok - cpz with OpenBLAS on 1 thread under ulimit -v 150000: $v" ||
	echo "not ok - cpz with OpenBLAS on 1 thread under ulimit -v 150000: $v"
refused "fit --threads 2 with OpenBLAS on 1 thread" 'with 2 threads.*(--threads)' 1 \
	$FIT --threads 2 -o "$W/refused.cpz"
[ -e "$W/refused.cpz" ] && echo "not ok - a refused fit left its output"

(ulimit -v $LIMIT && export OPENBLAS_NUM_THREADS=1 &&
	timeout 120 $FIT --threads 1 -o "$W/m.cpz" &&
	timeout 120 predict -q --threads 1 --model "$W/m.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/p.cpz") \
	2> "$W/err"
rc=$?
[ $rc -eq 0 ] && cpz verify -q "$W/m.cpz" "$W/p.cpz" &&
	echo "ok - one thread trains and predicts under ulimit -v $LIMIT" ||
	echo "not ok - one thread under ulimit -v $LIMIT: exit $rc: $(head -c 300 "$W/err")"

# the largest batch fit and predict take, on the sparse path, needs no
# staging of a batch's rows over the whole genome (27.7 GB at 2^20 rows):
# it runs in 2 GB of address space
(ulimit -v 2000000 && export OPENBLAS_NUM_THREADS=1 &&
	timeout 120 fit -q --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" --label gene_interaction \
		--epochs 1 --threads 1 --batch-size 1048576 -o "$W/b.cpz" &&
	timeout 120 predict -q --threads 1 --batch-size 1048576 --model "$W/b.cpz" \
		"$T/dcell_GO_0006281_test.cpz" -o "$W/bp.cpz") 2> "$W/err"
rc=$?
[ $rc -eq 0 ] && cpz verify -q "$W/b.cpz" "$W/bp.cpz" &&
	echo "ok - fit and predict at --batch-size 1048576 under ulimit -v 2000000" ||
	echo "not ok - --batch-size 1048576 under ulimit -v 2000000: exit $rc: $(head -c 300 "$W/err")"

# the dense path's buffers follow the batches it gets, not --batch-size:
# at 2^20 rows on this subtree's few thousand experiments it too runs in
# 2 GB (it asked for 27.7 GB)
(ulimit -v 2000000 && export OPENBLAS_NUM_THREADS=1 &&
	timeout 120 fit -q --path dense --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" \
		--label gene_interaction --epochs 1 --threads 1 --batch-size 1048576 -o "$W/d.cpz" &&
	timeout 120 predict -q --path dense --threads 1 --batch-size 1048576 --model "$W/d.cpz" \
		"$T/dcell_GO_0006281_test.cpz" -o "$W/dp.cpz") 2> "$W/err"
rc=$?
[ $rc -eq 0 ] && cpz verify -q "$W/d.cpz" "$W/dp.cpz" &&
	echo "ok - the dense path at --batch-size 1048576 under ulimit -v 2000000" ||
	echo "not ok - the dense path at --batch-size 1048576 under ulimit -v 2000000: exit $rc: $(head -c 300 "$W/err")"

# the whole DAG (17.4M parameters) under limits that hold OpenBLAS's buffer
# but maybe not the model's arrays: its buffer is mapped when the backend
# starts, so the arrays' allocation fails with a message instead of
# OpenBLAS waiting forever for its buffer after them
batch-pack -q -f 0.1,0.02,0.88 -S 1 -b 64 --standardize -o "$W/kuzmin.batches.cpz" "$T/kuzmin.cpz"
# (one thread, and two with the wider default layers, whose buffers did
# not fit together in what the DAG and data left of 600-800 MB: OpenBLAS
# waited for them)
bad="" seen=""
for run in 1:650000:direct 1:700000:direct 1:750000:direct 2:600000:contained \
	2:800000:contained; do
	th=${run%%:*} lim=${run#*:} width=${run##*:} lim=${lim%:*}
	(ulimit -v $lim && OPENBLAS_NUM_THREADS=$th exec timeout 120 fit -q --threads $th --width-from $width \
		--go "$T/go.cpz" --train "$W/kuzmin.batches.cpz" --label fitness --epochs 1 -o "$W/whole.cpz") \
		2> "$W/err"
	rc=$?
	if [ $rc -eq 0 ] && cpz verify -q "$W/whole.cpz"; then
		seen="$seen $lim:trained"
	elif [ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'out of memory' "$W/err" &&
		[ ! -e "$W/whole.cpz" ]; then
		seen="$seen $th@$lim:out-of-memory"
	else
		bad="$bad [$th@$lim: exit $rc$([ $rc -eq 124 ] && echo ', hung'): $(head -c 200 "$W/err")]"
	fi
	rm -f "$W/whole.cpz"
done
[ -z "$bad" ] && echo "ok - fit on the whole DAG near the limit trains or says it ran out of memory, never hangs:$seen" ||
	echo "not ok - fit on the whole DAG near the limit:$bad"

# the other stages under small limits: each either writes what it writes
# without a limit, or stops with one line saying it ran out of memory,
# leaving no output (never a parse or corruption error: libyaml's and
# zstd's allocation failures are told apart); screen2exp's sort takes a
# smaller buffer than its 256 MiB when that is all there is
GO=$DATA/go_2012-01-04.obo.gz
GAF=$DATA/sgd_gene_association_2011-12-24.gaf.gz
SGD=$DATA/SGD_features.tab
mkdir "$W/free"
bad="" ok_runs="" oom_runs=""
# stage NAME OUT CMD...: run in $W/free, then in $W/lim under each limit
stage() {
	name=$1 out=$2
	shift 2
	(cd "$W/free" && "$@") 2> /dev/null || { bad="$bad [$name without a limit failed]"; return; }
	for lim in 20000 40000; do
		rm -rf "$W/lim" && mkdir "$W/lim"
		(ulimit -v $lim && cd "$W/lim" && exec timeout 60 "$@") 2> "$W/err"
		rc=$?
		if [ $rc -eq 0 ]; then
			cmp -s "$W/free/$out" "$W/lim/$out" && ok_runs="$ok_runs $name@$lim" ||
				bad="$bad [$name at $lim: another output]"
		elif [ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'out of memory' "$W/err" &&
			[ -z "$(ls -A "$W/lim")" ]; then
			oom_runs="$oom_runs $name@$lim"
		else
			bad="$bad [$name at $lim: exit $rc, left [$(ls -A "$W/lim")]: $(head -c 200 "$W/err")]"
		fi
	done
}
stage gaf2go go.cpz gaf2go -q --obo "$GO" --gaf "$GAF" --genes "$SGD" -o go.cpz
stage graph-build cell.cpz graph-build -q -g "$SGD" -e physical="$DATA/ppi_BIM_biogrid_intact_mint.txt" \
	-m "$DATA/yeastGEM_yeast-GEM.yml" -o cell.cpz
stage screen2exp k.tsv screen2exp -q -f kuzmin2018-subset -o k.tsv "$DATA/kuzmin2018_S1_subset.tsv"
stage pert-mask s.cpz pert-mask -q --graph "$T/cell.cpz" --go "$T/go.cpz" "$T/datasets/kuzmin2018_subset.tsv" -o s.cpz
stage batch-pack b.cpz batch-pack -q -S 1 -b 64 --standardize -o b.cpz "$T/kuzmin.cpz"
case $ok_runs in *screen2exp@40000*) ;; *) bad="$bad [screen2exp did not sort within 40000 KiB]" ;; esac
[ -z "$bad" ] && echo "ok - under ulimit -v 20000 and 40000 each stage writes its output or says it ran out of memory (same output:$ok_runs; out of memory:$oom_runs)" ||
	echo "not ok - stages under small limits:$bad"
# report under a limit its plotting program cannot start in: "out of
# memory", not a missing gnuplot
if command -v gnuplot > /dev/null; then
	rm -rf "$W/rep"
	(ulimit -v 60000 && exec report -q -o "$W/rep" "$W/p.cpz") 2> "$W/err"
	rc=$?
	if [ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] &&
		grep -q 'out of memory' "$W/err" && [ ! -e "$W/rep" ]; }; then
		echo "ok - report under ulimit -v 60000: exit $rc $(cat "$W/err")"
	else
		echo "not ok - report under ulimit -v 60000: exit $rc: $(cat "$W/err")"
	fi
fi
