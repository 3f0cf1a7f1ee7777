#!/bin/sh
# The datasets pipeline on the real public screens: one experiments TSV per
# source, the counts each reader must find, the HO dummy gone from Kuzmin
# 2018, no row without a label, the derived-epsilon check, and the same
# bytes on a second run.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-datasets.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
D=$TMP/datasets

if make -s -f pipelines/datasets.mk DATA="$DATA" OUT="$TMP" BIN="$BINDIR" > "$TMP/log" 2>&1; then
	echo "ok - datasets.mk makes $(ls "$D"/*.tsv | wc -l) tables from $DATA"
else
	echo "not ok - datasets.mk failed: $(grep -v 's wall' "$TMP/log" | tail -3)"
fi

# table rows (without the header) and the measurements behind them
expect_rows() {
	rows=$(($(grep -c '' "$D/$1.tsv") - 1))
	measured=$(awk -F'\t' 'NR > 1 { n += $8 } END { print n + 0 }' "$D/$1.tsv")
	if [ "$rows" -eq "$2" ] && [ "$measured" -eq "$3" ]; then
		echo "ok - $1: $rows experiments from $measured distinct measurements"
	else
		echo "not ok - $1: $rows experiments from $measured measurements, expected $2 from $3"
	fi
}
# Costanzo 2016 S1: 10,859 strains x 2 temperatures, 1,234 without a value,
# 7,489 repeating another strain's measurement (sn/dma and tsq/tsa copies)
expect_rows costanzo2016_smf 10954 12995
# Kuzmin 2018 subset: 12,064 rows; 416 repeat a gene set
expect_rows kuzmin2018_subset 11648 12064
expect_rows dcell_GO_0006281_train 8783 8783
expect_rows dcell_GO_0006281_test 2868 2868
expect_rows dcell_GO_0000790_train 5092 5092
expect_rows baryshnikova2010 4573 4573
expect_rows breslow2008 4157 4157
# Giaever 2002: 17 growth columns (cell size and four cell-shape columns skipped)
expect_rows giaever2002 79781 79781
expect_rows costanzo2021 50416 50416

envs=$(cut -f2 "$D/giaever2002.tsv" | tail -n +2 | sort -u | wc -l)
shape=$(grep -c 'YPAD' "$D/giaever2002.tsv")
if [ "$envs" -eq 17 ] && [ "$shape" -eq 0 ]; then
	echo "ok - giaever2002: 17 growth environments, no cell-shape phenotype"
else
	echo "not ok - giaever2002: $envs environments, $shape cell-shape rows"
fi

ho=$(cut -f1 "$D/kuzmin2018_subset.tsv" | grep -c YDL227C)
sizes=$(awk -F'\t' 'NR > 1 { n[split($1, g, ",")]++ } END { print n[2] + 0, n[3] + 0 }' \
	"$D/kuzmin2018_subset.tsv")
if [ "$ho" -eq 0 ] && [ "$sizes" = "11596 52" ]; then
	echo "ok - kuzmin2018: the HO dummy dropped; 11596 pairs and 52 triples remain"
else
	echo "not ok - kuzmin2018: $ho gene sets with YDL227C; pairs and triples: $sizes"
fi

# a label is fitness (column 4) or gene_interaction (6); their standard
# deviation and p-value only describe them
empty=$(cat "$D"/*.tsv | awk -F'\t' '$1 != "genes" && $4 == "NA" && $6 == "NA"' | wc -l)
zeros=$(awk -F'\t' 'NR > 1 && $6 != "NA"' "$D/kuzmin2018_subset.tsv" | wc -l)
if [ -s "$D/kuzmin2018_subset.tsv" ] && [ "$empty" -eq 0 ] && [ "$zeros" -eq 0 ]; then
	echo "ok - no experiment without a label; Kuzmin's missing epsilon stays NA, not 0"
else
	echo "not ok - $empty experiments without labels, $zeros Kuzmin epsilons invented"
fi

# derived against published epsilon: Kuzmin's double-mutant fitness with
# Costanzo's single-mutant fitness, against DCell's Costanzo epsilon
pairs=$(($(grep -c '' "$D/gi-check.tsv") - 1))
r=$(grep 'pairs with both' "$TMP/log" | sed 's/.*Pearson r \([-0-9.]*\).*/\1/')
if [ "$pairs" -eq 114 ] && awk -v r="$r" 'BEGIN { exit !(r > 0.7) }'; then
	echo "ok - gi-check: derived and published epsilon of $pairs pairs agree, Pearson r $r"
else
	echo "not ok - gi-check: $pairs pairs, r '$r'"
fi

# the same inputs give the same bytes, also through scratch runs
"$BINDIR/screen2exp" -q -m 1 -f kuzmin2018-subset -s kuzmin2018_subset -o "$TMP/again.tsv" \
	"$DATA/kuzmin2018_S1_subset.tsv" 2>/dev/null
if cmp -s "$TMP/again.tsv" "$D/kuzmin2018_subset.tsv"; then
	echo "ok - kuzmin2018 again, sorted through scratch files: the same bytes"
else
	echo "not ok - kuzmin2018 differs on a second run"
fi

# a merged experiment keeps the measurement with the smallest id, Data S1
# rows compared as numbers: YDR363W,YKL207W is measured on rows 59672 and
# 116945 (as text, "S1:116945" would come first)
id=$(awk -F'\t' '$1 == "YDR363W,YKL207W" { print $9 }' "$D/kuzmin2018_subset.tsv")
if [ "$id" = "S1:59672" ]; then
	echo "ok - kuzmin2018: a merged experiment keeps its smallest Data S1 row ($id, not S1:116945)"
else
	echo "not ok - kuzmin2018: YDR363W,YKL207W keeps id '$id', expected S1:59672"
fi
