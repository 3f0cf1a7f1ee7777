#!/bin/sh
# Remake the bad inputs of batch-pack from the fixtures (run from the top
# directory after make tests).  Each file differs from a good samples
# stream in one known way.
set -eu
D=tests/corrupt/batch-pack
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
build/tests/aids/exp2samples tests/fixtures/batch-pack/genome.tab \
	tests/fixtures/batch-pack/experiments.tsv "$T/s.cpz" 7 2>/dev/null
size=$(wc -c < "$T/s.cpz")
head -c $((size * 2 / 3)) "$T/s.cpz" > $D/truncated.cpz
bin/batch-pack -q "$T/s.cpz" -o $D/batches.cpz
build/tests/aids/cpz-forge genome "$T"
cp "$T/genome-only.cpz" $D/no-context.cpz
printf 'genes\tfitness\nYAL001C\t0.9\n' > $D/text.cpz
: > $D/empty.cpz
# one byte of the last chunk's compressed data changed
cp "$T/s.cpz" $D/flipped.cpz
printf 'Z' | dd of=$D/flipped.cpz bs=1 seek=$((size - 60)) conv=notrunc 2>/dev/null
# an experiment (the third) that deletes no gene
sed '4s/^[^\t]*/NONE/' tests/fixtures/batch-pack/experiments.tsv > "$T/none.tsv"
build/tests/aids/exp2samples tests/fixtures/batch-pack/genome.tab "$T/none.tsv" $D/no-gene.cpz 2>/dev/null
