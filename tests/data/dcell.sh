#!/bin/sh
# DCell's sparse path equals the dense path on the real GO DAG (the whole
# 2012 DAG from 00-pipeline.sh): outputs, loss, every gradient and the
# running statistics, in float64, with both orders of the activation and
# BatchNorm (the unit test binary, in its real-DAG mode).
set -u
T=$O/test-data
if [ ! -f "$T/go.cpz" ]; then
	echo "not ok - dcell on the real DAG: no go.cpz from 00-pipeline.sh"
	exit 0
fi
out=$(CELLPIPE_TEST_GO="$T/go.cpz" "$O/tests/test_dcell" 2>&1)
if echo "$out" | grep -q '^\[  PASSED  \] 1 test'; then
	echo "ok - dcell: the sparse path equals the dense path on the whole GO DAG (float64, both BatchNorm orders)"
else
	echo "not ok - dcell: sparse and dense differ on the whole GO DAG: $(echo "$out" | grep -E 'ERROR|FAIL' | head -3 | tr '\n' ' ')"
fi
