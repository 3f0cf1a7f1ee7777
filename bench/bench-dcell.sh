#!/bin/sh
# DCell training and inference, dense and sparse, on the real 2012 GO DAG
# (gaf2go) with random 2-gene deletions: samples/s, FLOPs per sample and the
# share of the machine's practical peak (a large OpenBLAS GEMM).  Both width
# rules: genes contained in a term (DCell's, the default) and direct genes.
# Where the per-gene cache at least halves the work (predict's rule), a row
# of cached inference too, after filling the cache for every gene.
set -u
W=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
if ! gaf2go -q --obo "$DATA/go_2012-01-04.obo.gz" --gaf "$DATA/sgd_gene_association_2011-12-24.gaf.gz" \
	--genes "$DATA/SGD_features.tab" -o "$W/go.cpz"; then
	echo "bench-dcell: no GO DAG (is DATA=$DATA right?)"
	exit 1
fi
echo "== DCell, widths from contained genes (build/bench/dcell_bench go.cpz -b 256 -n 4)"
"$O/bench/dcell_bench" "$W/go.cpz" -b 256 -n 4
echo
echo "== DCell, widths from direct genes (build/bench/dcell_bench go.cpz -b 256 -n 20 -d)"
"$O/bench/dcell_bench" "$W/go.cpz" -b 256 -n 20 -d
echo
echo "== DCell sparse training at the main job's batch size and at 1,024 (build/bench/dcell_bench go.cpz -b 64 -n 100 -d -m 2; -b 1024 -n 20)"
"$O/bench/dcell_bench" "$W/go.cpz" -b 64 -n 100 -d -m 2
"$O/bench/dcell_bench" "$W/go.cpz" -b 1024 -n 20 -d -m 2
echo
echo "== DCell sparse training with BatchNorm before tanh (the main job's --order bn-tanh), at 256 and at the main job's 64 (build/bench/dcell_bench go.cpz -b 256 -n 20 -d -m 2 -o bn-tanh; -b 64 -n 100)"
"$O/bench/dcell_bench" "$W/go.cpz" -b 256 -n 20 -d -m 2 -o bn-tanh
"$O/bench/dcell_bench" "$W/go.cpz" -b 64 -n 100 -d -m 2 -o bn-tanh
echo
echo "== DCell inference with the per-gene cache at predict's batch size (build/bench/dcell_bench go.cpz -b 1024 -n 200 -d -m 4)"
"$O/bench/dcell_bench" "$W/go.cpz" -b 1024 -n 200 -d -m 4
