#!/bin/sh
# The main job's plan (pipelines/dcell.mk): every stage for every experiment
# is there, in an order make accepts, without running it.  (The full run
# takes minutes; the stages themselves are tested on the real data by the
# other scripts here.)
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-plan.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
if ! make -n -f pipelines/dcell.mk DATA="$DATA" OUT="$TMP/out" BIN="$BINDIR" > "$TMP/plan" 2>&1; then
	echo "not ok - make -n -f pipelines/dcell.mk: $(tail -3 "$TMP/plan")"
	exit 0
fi
missing=
for e in gi6281 gi0790 kuzmin_random kuzmin_gene; do
	for m in dcell additive mean; do
		grep -q -- "-o $TMP/out/models/$e.$m.cpz" "$TMP/plan" || missing="$missing models/$e.$m"
		grep -q -- "-o $TMP/out/predictions/$e.$m.cpz" "$TMP/plan" ||
			missing="$missing predictions/$e.$m"
	done
done
for e in kuzmin_random kuzmin_gene; do
	grep -q -- "-o $TMP/out/predictions/$e.multiplicative.cpz" "$TMP/plan" ||
		missing="$missing predictions/$e.multiplicative"
done
for step in "gaf2go" "graph-build" "pert-mask" "batch-pack" "report -q"; do
	grep -q "$BINDIR/$step" "$TMP/plan" || missing="$missing $step"
done
if [ -z "$missing" ]; then
	echo "ok - pipelines/dcell.mk plans every stage: $(grep -c "$BINDIR/" "$TMP/plan") commands"
else
	echo "not ok - pipelines/dcell.mk plan lacks:$missing"
fi
# the report comes after every prediction it reads
last_pred=$(grep -n -- "-o $TMP/out/predictions/" "$TMP/plan" | tail -1 | cut -d: -f1)
report=$(grep -n "$BINDIR/report " "$TMP/plan" | cut -d: -f1)
if [ -n "$report" ] && [ -n "$last_pred" ] && [ "$report" -gt "$last_pred" ]; then
	echo "ok - pipelines/dcell.mk: the report after the predictions"
else
	echo "not ok - pipelines/dcell.mk: the report (line ${report:-none}) before the last prediction (line ${last_pred:-none})"
fi
