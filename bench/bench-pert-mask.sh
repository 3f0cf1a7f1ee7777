#!/bin/sh
# pert-mask: experiments per second on one core, and peak memory, for random
# double and triple deletions over the real genome (bench/experiments_gen,
# fixed seed) against the real cell graph: physical network, documented
# YEASTRACT regulations, yeast-GEM.  The table comes through a pipe (the
# generator runs on another core) and the stream goes to a pipe into
# cat > /dev/null.  Rates are per second of pert-mask's own CPU time, from
# its resource line.  GO=go.cpz adds --go; N="1e5 1e7" sets the sizes.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
GEN=$O/bench/experiments_gen
GO=${GO:-}
N=${N:-"100000 10000000"}

make -s -f pipelines/edges.mk DATA="$DATA" EDGES="$TMP" "$TMP/yeastract_both.tsv" || exit 1
graph-build -q -g "$DATA/SGD_features.tab" -u "$DATA/yeastGEM_SGD_with_Uniprot.csv" \
	-e physical="$DATA/ppi_BIM_biogrid_intact_mint.txt" -e regulatory="$TMP/yeastract_both.tsv" \
	-m "$DATA/yeastGEM_yeast-GEM.yml" -o "$TMP/cell.cpz" || exit 1

# run N LEVEL: prints experiments, wall s, CPU s, rates, peak RSS
run() {
	"$GEN" -g "$TMP/cell.cpz" -n "$1" -s 1 |
		pert-mask -v -g "$TMP/cell.cpz" ${GO:+--go "$GO"} -l "$2" 2> "$TMP/err" | cat > /dev/null
	sed -n 's/.*: \([0-9.]*\) s wall, \([0-9.]*\) s CPU, peak RSS \([0-9.]*\) MiB.*/\1 \2 \3/p' "$TMP/err" |
		awk -v n="$1" -v l="$2" '{ printf "%10d  %5d  %8.2f  %7.2f  %12.0f  %12.0f  %8.1f\n", n, l, $1, $2, n / $2, n / $1, $3 }'
	grep -q 'experiments in' "$TMP/err" || { echo "pert-mask failed: $(cat "$TMP/err")"; return 1; }
}

echo "== pert-mask (random 2- and 3-gene deletions; physical, regulatory, metabolism${GO:+, GO})"
echo "experiments  level    wall s    CPU s   exp/s (CPU)  exp/s (wall)  peak MiB"
for n in $N; do
	n=$(awk -v n="$n" 'BEGIN { printf "%d", n }')
	run "$n" 1 || exit 1
	cp "$TMP/err" "$TMP/last"
done
# the stream's compression: the default level 1 against level 3 on 10^6
run 1000000 3 || exit 1
grep 'experiments in' "$TMP/last" | sed 's/^pert-mask: /# /'
