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
# the plan writes nothing: the data check's stamp (a dry run had left one
# holding the echoed commands, and the real run then skipped the check)
if [ ! -e "$TMP/out" ]; then
	echo "ok - make -n -f pipelines/dcell.mk writes nothing"
else
	echo "not ok - make -n -f pipelines/dcell.mk wrote: $(ls -R "$TMP/out" | head -5 | tr '\n' ' ')"
fi
# SEED moves every model's seed: the ensemble's other members take SEED+1
# and SEED+2 (they were 2 and 3 whatever SEED, so SEED=2 averaged one
# model twice)
seeds=$(make -n -f pipelines/dcell.mk DATA="$DATA" OUT="$TMP/o3" BIN="$BINDIR" SEED=2 2>&1 |
	grep -- "-o $TMP/o3/models/gi6281.dcell" | sed 's/.*--seed \([0-9]*\) .*/\1/' | sort | tr '\n' ' ')
[ "$seeds" = "2 3 4 " ] && echo "ok - pipelines/dcell.mk SEED=2 trains seeds 2, 3 and 4" ||
	echo "not ok - pipelines/dcell.mk SEED=2 trains seeds: $seeds"
# a SEED that is not a number stops make before any work, an empty one
# too (expr took "+ 1" for the string 1, and fit and batch-pack were given
# --seed and -S without a value)
for s in '' x '1 2'; do
	if make --no-print-directory -n -f pipelines/dcell.mk DATA="$DATA" OUT="$TMP/o4" BIN="$BINDIR" SEED="$s" > "$TMP/plan" 2>&1; then
		echo "not ok - pipelines/dcell.mk SEED='$s' planned a run"
	elif [ "$(grep -c '' "$TMP/plan")" -eq 1 ] && grep -q "SEED=$s: not a whole number" "$TMP/plan"; then
		echo "ok - pipelines/dcell.mk SEED='$s' is refused: $(cat "$TMP/plan")"
	else
		echo "not ok - pipelines/dcell.mk SEED='$s': $(head -c 300 "$TMP/plan")"
	fi
done
# the programs are built by one make for all of them, not one per program
n=$(make -n -f pipelines/dcell.mk DATA="$DATA" OUT="$TMP/o2" BIN="$TMP/nobin" 2>&1 |
	grep -c "BINDIR=$TMP/nobin all")
[ "$n" -eq 1 ] && echo "ok - pipelines/dcell.mk builds missing programs with one make" ||
	echo "not ok - pipelines/dcell.mk builds missing programs with $n makes"

# the Makefile: clean removes the object directory given and the programs,
# not another directory nor what else BINDIR holds; a built tree is up to
# date for make -q
plan=$(make -n clean O="$TMP/objs" BINDIR="$TMP/b")
if [ "$(printf '%s\n' "$plan" | grep -c '^rm -rf')" -eq 1 ] &&
	printf '%s\n' "$plan" | grep -qx "rm -rf $TMP/objs" &&
	printf '%s\n' "$plan" | grep -q "^rm -f $TMP/b/batch-pack " && ! printf '%s\n' "$plan" | grep -q "rm -rf build"; then
	echo "ok - make clean removes O and the programs only"
else
	echo "not ok - make clean O=... BINDIR=...: $plan"
fi
if make -q O="$O" BINDIR="$BINDIR" all; then
	echo "ok - make -q: the built tree is up to date"
else
	echo "not ok - make -q says the built tree is out of date: $(make -n O="$O" BINDIR="$BINDIR" all | head -3)"
fi
# other flags (a define no build has): out of date for -q and -n, which
# leave the flags file as it was
cp -p "$O/.flags" "$TMP/flags"
other=CPPFLAGS=-DCELLPIPE_PLAN_TEST
if ! make -q O="$O" BINDIR="$BINDIR" "$other" all && make -n O="$O" BINDIR="$BINDIR" "$other" all |
	grep -q -- " -c -o " && cmp -s "$O/.flags" "$TMP/flags"; then
	echo "ok - make -q and -n with other flags: out of date, nothing written"
else
	echo "not ok - make -q or -n with other flags: $(diff "$TMP/flags" "$O/.flags")"
	cmp -s "$O/.flags" "$TMP/flags" || cp -p "$TMP/flags" "$O/.flags"
fi

# the data check's stamp: written whole when the data match, under -j with
# no jobserver warning; when a file differs, nothing left behind (no
# temporary either) and the failing file named on standard error, before
# the line that sends the reader to it.  (These makes are the test's own,
# not sub-makes of one running the tests: MAKEFLAGS emptied.)
mkdir -p "$TMP/data"
for f in "$DATA"/*; do ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$TMP/data/"; done
MAKEFLAGS= MAKELEVEL= make -j2 -f pipelines/dcell.mk DATA="$DATA" OUT="$TMP/ok" BIN="$BINDIR" "$TMP/ok/data-checked" \
	> /dev/null 2> "$TMP/ok.err"
if grep -q "^data: [0-9]* files in .* match" "$TMP/ok/data-checked" && ! grep -q jobserver "$TMP/ok.err"; then
	echo "ok - the pipeline's data check: $(cat "$TMP/ok/data-checked")"
else
	echo "not ok - the pipeline's data check: $(cat "$TMP/ok/data-checked" "$TMP/ok.err" 2>&1 | head -3)"
fi
rm "$TMP/data/SGD_features.README" && { cat "$DATA/SGD_features.README"; echo x; } > "$TMP/data/SGD_features.README"
if ! MAKEFLAGS= MAKELEVEL= make -j2 -f pipelines/dcell.mk DATA="$TMP/data" OUT="$TMP/bad" BIN="$BINDIR" \
	"$TMP/bad/data-checked" > /dev/null 2> "$TMP/bad.err" && [ -z "$(ls -A "$TMP/bad" 2> /dev/null)" ] &&
	failed=$(grep -n "SGD_features.README: FAILED" "$TMP/bad.err" | cut -d: -f1) &&
	above=$(grep -n "differs from .* (see above)" "$TMP/bad.err" | cut -d: -f1) &&
	[ "$failed" -lt "$above" ]; then
	echo "ok - the pipeline's data check refuses a changed file, leaving nothing"
else
	echo "not ok - the pipeline's data check on a changed file: left $(ls -A "$TMP/bad" 2>&1): $(head -c 300 "$TMP/bad.err")"
fi

# a make killed mid-fit (SIGKILL: no make cleans up after that) leaves no
# DCell model that the next make takes for done: fit writes its checkpoints
# under another name until the run ends
T=$O/test-data
if [ -f "$T/gi6281.batches.cpz" ] && [ -f "$T/go6281.cpz" ]; then
	K=$TMP/killed
	mkdir -p "$K/batches" "$K/go"
	cp "$T/gi6281.batches.cpz" "$K/batches/gi6281.cpz" && cp "$T/go6281.cpz" "$K/go/all.cpz"
	set -- -f pipelines/dcell.mk DATA="$DATA" OUT="$K" BIN="$BINDIR" -o "$K/batches/gi6281.cpz" \
		-o "$K/go/all.cpz" "$K/models/gi6281.dcell.cpz"
	MAKEFLAGS= MAKELEVEL= setsid make "$@" > /dev/null 2>&1 &
	pid=$!
	n=0
	until [ -n "$(cpz dump "$K/models/gi6281.dcell.cpz.part" progress.epoch 2> /dev/null)" ] ||
		[ -n "$(cpz dump "$K/models/gi6281.dcell.cpz" progress.epoch 2> /dev/null)" ] || [ $n -gt 600 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	kill -9 -"$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	# a model there is one whose run ended (the kill came too late)
	M=$K/models/gi6281.dcell.cpz
	if [ -e "$M" ]; then
		epoch=$(cpz dump "$M" progress.epoch) && [ "$epoch" = "$(cpz dump "$M" epochs)" ] ||
			[ "$(cpz dump "$M" progress.stopped)" = 1 ]
	else
		epoch=none
		! MAKEFLAGS= MAKELEVEL= make -q "$@"
	fi
	if [ $? -eq 0 ]; then
		[ "$epoch" = none ] && echo "ok - a make killed mid-fit leaves no model the next make takes for done" ||
			echo "ok - a make killed mid-fit # SKIP the kill came after the run ended"
	else
		echo "not ok - a make killed mid-fit left a model of epoch $epoch the next make takes for done"
	fi
else
	echo "not ok - pipeline plan: no streams from 00-pipeline.sh"
fi
