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
