#!/bin/sh
# The first stages of the pipeline on the real data, built once per test
# run into $O/test-data for the tests after this one (fit, predict, report):
# the 2012 GO DAG and its DNA-repair subsystem (GO:0006281), the cell graph,
# DCell's GO:0006281 train and test pairs and the Kuzmin 2018 subset as
# samples, and batches of the training pairs.  Each stage is checked here.
set -u
T=$O/test-data
rm -rf "$T"
mkdir -p "$T"
GO=$DATA/go_2012-01-04.obo.gz
GAF=$DATA/sgd_gene_association_2011-12-24.gaf.gz
SGD=$DATA/SGD_features.tab

step() {	# step DESCRIPTION COMMAND...: run, report ok/not ok
	what=$1
	shift
	if "$@" > "$T/step.log" 2>&1; then
		echo "ok - pipeline: $what"
	else
		echo "not ok - pipeline: $what: $(tail -c 300 "$T/step.log")"
	fi
}

step "gaf2go, whole DAG" gaf2go -q --obo "$GO" --gaf "$GAF" --genes "$SGD" -o "$T/go.cpz"
step "gaf2go --subtree GO:0006281" gaf2go -q --obo "$GO" --gaf "$GAF" --genes "$SGD" \
	--subtree GO:0006281 -o "$T/go6281.cpz"
step "physical and regulatory edge lists" make -s -f pipelines/edges.mk DATA="$DATA" \
	EDGES="$T/edges" "$T/edges/yeastract_both.tsv"
step "graph-build" graph-build -q -g "$SGD" -u "$DATA/yeastGEM_SGD_with_Uniprot.csv" \
	-e physical="$DATA/ppi_BIM_biogrid_intact_mint.txt" -e regulatory="$T/edges/yeastract_both.tsv" \
	-m "$DATA/yeastGEM_yeast-GEM.yml" -o "$T/cell.cpz"
step "experiments of DCell's GO:0006281 pairs and the Kuzmin 2018 subset" \
	make -s -f pipelines/datasets.mk DATA="$DATA" OUT="$T" BIN="$BINDIR" \
	"$T/datasets/dcell_GO_0006281_train.tsv" "$T/datasets/dcell_GO_0006281_test.tsv" \
	"$T/datasets/kuzmin2018_subset.tsv"
for s in dcell_GO_0006281_train dcell_GO_0006281_test; do
	step "pert-mask $s" pert-mask -q --graph "$T/cell.cpz" --go "$T/go6281.cpz" \
		"$T/datasets/$s.tsv" -o "$T/$s.cpz"
done
step "pert-mask kuzmin2018_subset, whole DAG" pert-mask -q --graph "$T/cell.cpz" --go "$T/go.cpz" \
	"$T/datasets/kuzmin2018_subset.tsv" -o "$T/kuzmin.cpz"
step "batch-pack the GO:0006281 training pairs (train/val)" batch-pack -q -s random -f 0.9,0.1,0 \
	-S 1 -b 128 --standardize -o "$T/gi6281.batches.cpz" "$T/dcell_GO_0006281_train.cpz"
rm -f "$T/step.log"
