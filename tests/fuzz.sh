#!/bin/sh
# Seeded fuzzing of the readers: each input below meets FUZZ_N random
# defects (tests/aids/cpz-mutate: one record of a stream changed, its end
# record made consistent again, or one to three lines of a table), and each
# program that reads it runs on every one, from FUZZ_BIN (the sanitizer
# build in make check).  A run must exit 0, or 1 with one line on stderr
# and no output left behind; a crash, a sanitizer report, another exit
# status or a run over 60 s fails.  The seeds are fixed (FUZZ_SEED), so a
# failure repeats; its input is kept in $O/fuzz-fail.  The streams are
# built from the data suite's outputs, so without them only the text
# inputs are fuzzed.
set -u
export PATH="$BINDIR:$PATH"
N=${FUZZ_N:-20}
SEED=${FUZZ_SEED:-1}
BIN=${FUZZ_BIN:-$BINDIR}
MUT=$O/tests/aids/cpz-mutate
T=$O/test-data
F=$TOP/tests/fixtures
KEEP=$O/fuzz-fail
W=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-fuzz.XXXXXX")
trap 'rm -rf "$W"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}

if [ ! -x "$MUT" ]; then
	echo "not ok - fuzz: no $MUT (make tests)"
	exit 0
fi

# fuzz NAME MODE INPUT: mutate INPUT (MODE stream or text) N times and run
# each command read from standard input on each mutant, with M the mutant,
# OUT an empty directory for outputs, and the working directory $W.
fuzz() {
	name=$1 mode=$2 input=$3
	cat > "$W/commands"
	ext=${input##*.}
	runs=0 refused=0 bad=0 i=0
	# the unchanged input must pass every command, or the defects would
	# only meet the error it already has
	while IFS= read -r cmd; do
		rm -rf "$W/out" && mkdir -p "$W/out"
		if ! (cd "$W" && M=$input OUT=$W/out PATH="$BIN:$PATH" timeout 60 sh -c "$cmd") \
			< /dev/null > /dev/null 2> "$W/err"; then
			echo "not ok - fuzz $name: the unchanged input fails: $cmd: $(head -c 300 "$W/err")"
			return
		fi
	done < "$W/commands"
	while [ $i -lt "$N" ]; do
		seed=$((SEED * 100000 + i))
		M=$W/mutant.$ext
		if [ "$mode" = text ]; then
			"$MUT" --text "$input" "$M" $seed > "$W/what" 2>&1
		else
			"$MUT" "$input" "$M" $seed > "$W/what" 2>&1
		fi || { echo "not ok - fuzz $name seed $seed: cpz-mutate failed: $(cat "$W/what")"; bad=$((bad + 1)); }
		k=0
		while IFS= read -r cmd; do
			k=$((k + 1))
			OUT=$W/out
			rm -rf "$OUT" && mkdir -p "$OUT"
			(cd "$W" && M=$M OUT=$OUT PATH="$BIN:$PATH" timeout 60 sh -c "$cmd") \
				< /dev/null > /dev/null 2> "$W/err"
			rc=$?
			runs=$((runs + 1))
			lines=$(grep -c '' "$W/err")
			left=$(ls -A "$OUT")
			why=
			if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
				why="exit $rc"
			elif [ $rc -eq 1 ] && [ "$lines" -ne 1 ]; then
				why="$lines lines on stderr"
			elif [ $rc -eq 1 ] && [ -n "$left" ]; then
				why="left $left behind"
			fi
			[ $rc -eq 1 ] && refused=$((refused + 1))
			if [ -n "$why" ]; then
				bad=$((bad + 1))
				mkdir -p "$KEEP"
				cp "$M" "$KEEP/$name.$seed.$ext"
				echo "not ok - fuzz $name seed $seed (command $k: $why): $(cat "$W/what");" \
					"kept as $KEEP/$name.$seed.$ext: $(head -c 300 "$W/err" | tr '\n' ' ')"
			fi
		done < "$W/commands"
		i=$((i + 1))
	done
	[ $bad -eq 0 ] && echo "ok - fuzz $name: $N defects, $runs runs, $refused refused with one line, none crashed"
}

# ---- text inputs: the fixtures --------------------------------------------
G=$F/gaf2go
GB=$F/graph-build
fuzz obo text "$G/annotations.obo" <<EOF
gaf2go --obo \$M --gaf $G/annotations.gaf --genes $G/genes.tab -o \$OUT/go.cpz
EOF
fuzz obo-containment text "$G/containment.obo" <<EOF
gaf2go --obo \$M --gaf $G/containment.gaf --genes $G/genes.tab -o \$OUT/go.cpz
EOF
fuzz gaf text "$G/annotations.gaf" <<EOF
gaf2go --obo $G/annotations.obo --gaf \$M --genes $G/genes.tab -o \$OUT/go.cpz
EOF
fuzz sgd-features text "$G/genes.tab" <<EOF
gaf2go --obo $G/annotations.obo --gaf $G/annotations.gaf --genes \$M -o \$OUT/go.cpz
EOF
fuzz sgd-features-graph text "$GB/genes.tab" <<EOF
graph-build -g \$M -u $GB/uniprot.csv -e physical=$GB/physical.txt -o \$OUT/cell.cpz
EOF
fuzz edges text "$GB/physical.txt" <<EOF
graph-build -g $GB/genes.tab -u $GB/uniprot.csv -e physical=\$M -o \$OUT/cell.cpz
EOF
fuzz regulatory text "$GB/regulatory.tsv" <<EOF
graph-build -g $GB/genes.tab -e regulatory=\$M -o \$OUT/cell.cpz
EOF
fuzz uniprot text "$GB/uniprot.csv" <<EOF
graph-build -g $GB/genes.tab -u \$M -e physical=$GB/physical.txt -o \$OUT/cell.cpz
EOF
fuzz gem-yaml text "$GB/gem.yml" <<EOF
graph-build -g $GB/genes.tab -m \$M -o \$OUT/cell.cpz
EOF
fuzz gem-tsv text "$GB/gem.txt" <<EOF
graph-build -g $GB/genes.tab -m \$M -o \$OUT/cell.cpz
EOF
for s in SGA_NxN.txt kuzmin2018_S1_subset.tsv costanzo2016_smf.tsv dcell_pairs.txt yeastphenome.txt; do
	fuzz "screen-${s%%.*}" text "$F/screen2exp/$s" <<EOF
screen2exp -o \$OUT/x.tsv \$M
EOF
done
fuzz table text "$F/batch-pack/experiments.tsv" <<EOF
cpz pack -H -r 2 -o \$OUT/t.cpz -f \$M genes:str=1 fitness:f32=3 sd:f64=4 id:str=7
EOF

# ---- streams: a small real run ---------------------------------------------
if [ ! -f "$T/cell.cpz" ] || [ ! -f "$T/go6281.cpz" ] || [ ! -f "$T/datasets/dcell_GO_0006281_test.tsv" ]; then
	echo "ok - fuzz streams # SKIP no outputs of the data suite in $T"
	exit 0
fi
head -301 "$T/datasets/dcell_GO_0006281_test.tsv" > "$W/experiments.tsv"
cp "$T/go6281.cpz" "$W/go.cpz"
cp "$T/cell.cpz" "$W/cell.cpz"
if ! (cd "$W" && pert-mask -q --graph cell.cpz --go go.cpz experiments.tsv -o samples.cpz &&
	batch-pack -q -s random -f 0.8,0.1,0.1 -b 64 samples.cpz -o batches.cpz &&
	fit -q --go go.cpz --train batches.cpz --label gene_interaction --epochs 2 --batch-size 16 -o model.cpz &&
	fit -q --model additive --train batches.cpz --label gene_interaction -o additive.cpz &&
	predict -q --model model.cpz batches.cpz -o predictions.cpz) 2> "$W/err"; then
	echo "not ok - fuzz streams: the inputs were not built: $(cat "$W/err")"
	exit 0
fi
fuzz experiments text "$W/experiments.tsv" <<'EOF'
pert-mask -q --graph cell.cpz --go go.cpz $M -o $OUT/s.cpz
EOF
fuzz go-dag stream "$W/go.cpz" <<'EOF'
fit -q --go $M --train batches.cpz --label gene_interaction --epochs 1 --batch-size 16 -o $OUT/m.cpz
pert-mask -q --graph cell.cpz --go $M experiments.tsv -o $OUT/s.cpz
EOF
fuzz cell-graph stream "$W/cell.cpz" <<'EOF'
pert-mask -q --graph $M --go go.cpz experiments.tsv -o $OUT/s.cpz
EOF
fuzz samples stream "$W/samples.cpz" <<'EOF'
batch-pack -q -s gene -f 0.8,0.1,0.1 $M -o $OUT/b.cpz
predict -q --model model.cpz $M -o $OUT/p.cpz
fit -q --model additive --train $M --label gene_interaction -o $OUT/m.cpz
EOF
fuzz batches stream "$W/batches.cpz" <<'EOF'
fit -q --go go.cpz --train $M --label gene_interaction --epochs 1 --batch-size 16 -o $OUT/m.cpz
predict -q --model model.cpz $M -o $OUT/p.cpz
EOF
fuzz model stream "$W/model.cpz" <<'EOF'
predict -q --model $M batches.cpz -o $OUT/p.cpz
report -q --no-plots -o $OUT/r predictions.cpz $M
cp $M model.copy.cpz && fit -q --resume model.copy.cpz -o $OUT/m.cpz
EOF
fuzz baseline stream "$W/additive.cpz" <<'EOF'
predict -q --model $M samples.cpz -o $OUT/p.cpz
EOF
fuzz predictions stream "$W/predictions.cpz" <<'EOF'
report -q --no-plots -o $OUT/r $M
cpz verify $M
EOF
