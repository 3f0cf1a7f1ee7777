#!/bin/sh
# gaf2go: parse speed of the full GO (2012, OBO 1.2) and the SGD GAF in MB/s of
# decompressed text, beside plain decompression; and the wall time of the
# whole run of the tool on the real files (best of 5).
set -u
OBO=$DATA/go_2012-01-04.obo.gz
GAF=$DATA/sgd_gene_association_2011-12-24.gaf.gz
GENES=$DATA/SGD_features.tab
if [ ! -f "$OBO" ] || [ ! -f "$GAF" ] || [ ! -f "$GENES" ]; then
	echo "== gaf2go: skipped, no data at $DATA"
	exit 0
fi
echo "== gaf2go parse speed (bench/gaf2go_bench -r 5)"
"$O/bench/gaf2go_bench" -O "$OBO" -G "$GAF" -g "$GENES" -r 5 || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
best=
for i in 1 2 3 4 5; do
	t0=$(date +%s.%N)
	gaf2go --obo "$OBO" --gaf "$GAF" --genes "$GENES" -q -o "$TMP/go.cpz" || exit 1
	t1=$(date +%s.%N)
	best=$(echo "$t0 $t1 ${best:-1e9}" | awk '{ t = $2 - $1; print (t < $3) ? t : $3 }')
done
echo "gaf2go on the real files (default filters), wall time: $best s (best of 5)"
