#!/bin/sh
# The DCell benchmark runs every path on a real DAG (the GO:0006281
# subsystem from 00-pipeline.sh, small enough to take a second) in both
# precisions and prints each row, the training floor among them.  Speed is
# never asserted: this only keeps `make bench` working.
set -u
T=$O/test-data
if [ ! -f "$T/go6281.cpz" ]; then
	echo "not ok - dcell_bench: no go6281.cpz from 00-pipeline.sh"
	exit 0
fi
for p in f32 f64; do
	out=$("$O/bench/dcell_bench" "$T/go6281.cpz" -b 16 -n 2 -d -p $p 2>&1)
	rc=$?
	rows=$(echo "$out" | awk '/^(dense|sparse|cached) +(training|inference) +\( *16\)/ && $(NF - 3) > 0 { n++ }
		END { print n + 0 }')
	if [ $rc -eq 0 ] && [ "$rows" -eq 5 ] &&
		echo "$out" | grep -q '^memory: an AdamW pass over the [0-9]* parameters' &&
		echo "$out" | grep -q '^  (floor per step: arithmetic at the peak [0-9.]* ms, parameter traffic'; then
		echo "ok - dcell_bench ($p): five paths with their speeds, the AdamW pass and the training floor"
	else
		echo "not ok - dcell_bench ($p): exit $rc, $rows path rows: $(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
done
