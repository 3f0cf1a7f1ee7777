#!/bin/sh
# Every program on real data, its output cut short by the file-size limit
# (ulimit -f): each write past the limit fails (EFBIG), and the program must
# exit 1 with one line naming the output, leaving neither the output nor a
# temporary behind.  A failed checkpoint leaves the run's last one as it was.
# The same on a full file system, where one can be mounted (root, tmpfs).
set -u
T=$O/test-data
W=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-wfail.XXXXXX")
trap 'umount "$W/small" 2> /dev/null; rm -rf "$W"' EXIT
if [ ! -f "$T/gi6281.batches.cpz" ] || [ ! -f "$T/cell.cpz" ]; then
	echo "not ok - write errors: no streams from 00-pipeline.sh"
	exit 0
fi
GO=$DATA/go_2012-01-04.obo.gz
GAF=$DATA/sgd_gene_association_2011-12-24.gaf.gz
SGD=$DATA/SGD_features.tab
SMF=$DATA/costanzo2016_strain_ids_and_single_mutant_fitness.tsv
mkdir -p "$W/in" "$W/full" "$W/cut"

# inputs for the later stages, written without a limit
fit -q --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" --label gene_interaction \
	--batch-size 32 --epochs 1 --seed 1 -o "$W/in/model.cpz" 2> "$W/err" &&
	predict -q --model "$W/in/model.cpz" --split val "$T/gi6281.batches.cpz" \
		-o "$W/in/pred.cpz" 2>> "$W/err" &&
	screen2exp -f costanzo2016-smf -o "$W/in/smf.tsv" "$SMF" 2>> "$W/err" ||
	echo "not ok - write errors: inputs: $(cat "$W/err")"
PAIRS=$T/datasets/dcell_GO_0006281_test.tsv

# run_in DIR NAME CMD...: the command with OUT=DIR/NAME (substituted in
# the words holding @OUT@)
run_in() {
	dir=$1 name=$2
	shift 2
	out=$dir/$name
	for a in "$@"; do
		shift
		case $a in
		*@OUT@*) a=$(printf '%s\n' "$a" | sed "s|@OUT@|$out|") ;;
		esac
		set -- "$@" "$a"
	done
	"$@"
}

# limited NAME CMD...: written in full first, then again under a limit of
# half its size (NAME is a file, a directory or, for several files, their
# common prefix; the limit is half the largest file's size)
limited() {
	name=$1
	shift
	if ! run_in "$W/full" "$name" "$@" > /dev/null 2> "$W/err"; then
		echo "not ok - write error $name: the full run failed: $(cat "$W/err")"
		return
	fi
	size=$(find "$W/full/$name"* -type f -printf '%s\n' | sort -n | tail -n 1)
	blocks=$((${size:-0} / 1024))
	if [ "$blocks" -lt 1 ]; then
		echo "not ok - write error $name: only $size bytes, too small to cut"
		return
	fi
	(ulimit -f "$blocks" && run_in "$W/cut" "$name" "$@") > /dev/null 2> "$W/err"
	rc=$?
	lines=$(grep -c '' "$W/err")
	left=$(ls -A "$W/cut")
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "$W/cut/$name.*File too large" "$W/err" &&
		[ -z "$left" ]; then
		echo "ok - write error $name (limit $((blocks * 512)) of $size bytes): $(cat "$W/err")"
	else
		echo "not ok - write error $name: exit $rc, $lines lines, left [$left]: $(head -c 300 "$W/err")"
	fi
	rm -rf "$W/cut" && mkdir "$W/cut"
}

limited go.cpz gaf2go -q --obo "$GO" --gaf "$GAF" --genes "$SGD" --subtree GO:0006281 -o @OUT@
limited cell.cpz graph-build -q -g "$SGD" -e physical="$DATA/ppi_BIM_biogrid_intact_mint.txt" \
	-m "$DATA/yeastGEM_yeast-GEM.yml" -o @OUT@
limited samples.cpz pert-mask -q --graph "$T/cell.cpz" --go "$T/go6281.cpz" "$PAIRS" -o @OUT@
limited batches.cpz batch-pack -q -S 1 -b 64 --standardize -o @OUT@ "$T/dcell_GO_0006281_test.cpz"
limited split batch-pack -q -S 1 -b 64 -O @OUT@ "$T/dcell_GO_0006281_test.cpz"
limited dcell.cpz fit -q --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" \
	--label gene_interaction --batch-size 32 --epochs 1 --seed 1 -o @OUT@
limited additive.cpz fit -q --model additive --train "$T/gi6281.batches.cpz" \
	--label gene_interaction -o @OUT@
limited predictions.cpz predict -q --model "$W/in/model.cpz" "$T/dcell_GO_0006281_test.cpz" -o @OUT@
limited report report -q --no-plots -o @OUT@ "$W/in/pred.cpz" "$W/in/model.cpz"
limited experiments.tsv screen2exp -f dcell -o @OUT@ "$DATA/dcell_GO_0006281_testing_data_2016_0"
# the Kuzmin 2018 doubles with an epsilon of 0 as published, so every pair
# with both singles makes a row
awk -F'\t' -v OFS='\t' 'NR > 1 && $6 == "NA" { $6 = 0 } { print }' \
	"$T/datasets/kuzmin2018_subset.tsv" > "$W/in/pairs.tsv"
limited gi-check.tsv gi-check -s "$W/in/smf.tsv" -o @OUT@ "$W/in/pairs.tsv"
limited table.cpz cpz pack -H -f "$SMF" -o @OUT@ 'orf:str=Systematic gene name' \
	'fitness:f64=Single mutant fitness (30°)'

# text on standard output that the file cannot take, or a closed standard
# output: one line, exit 1
bad=""
for c in "cpz dump $T/go.cpz names" "cpz cat $T/go.cpz" "screen2exp -f dcell $DATA/dcell_GO_0006281_testing_data_2016_0" \
	"gi-check -s $W/in/smf.tsv $W/in/pairs.tsv"; do
	(ulimit -f 1 && exec $c > "$W/stdout.txt") 2> "$W/err"
	rc=$?
	[ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'standard output: File too large' "$W/err" ||
		bad="$bad [$c > file: exit $rc, $(head -c 200 "$W/err")]"
	$c >&- 2> "$W/err"
	rc=$?
	[ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'standard output: Bad file descriptor' "$W/err" ||
		bad="$bad [$c >&-: exit $rc, $(head -c 200 "$W/err")]"
done
rm -f "$W/stdout.txt"
[ -z "$bad" ] && echo "ok - text that standard output cannot take is one line and exit 1 (cpz dump, cpz cat, screen2exp, gi-check)" ||
	echo "not ok - standard output's write errors:$bad"
# started with standard input, output and error closed, a program's files
# take none of their numbers: the output is what a normal run writes
mkdir "$W/fd1" "$W/fd2"
(cd "$W/fd1" && pert-mask --graph "$T/cell.cpz" --go "$T/go6281.cpz" "$PAIRS" -o s.cpz) 2> /dev/null
(cd "$W/fd2" && exec pert-mask --graph "$T/cell.cpz" --go "$T/go6281.cpz" "$PAIRS" -o s.cpz <&- >&- 2>&-)
rc=$?
[ $rc -eq 0 ] && cmp -s "$W/fd1/s.cpz" "$W/fd2/s.cpz" &&
	echo "ok - pert-mask with standard input, output and error closed writes the same stream" ||
	echo "not ok - pert-mask with the standard descriptors closed: exit $rc, streams differ"

# a resumed run whose next checkpoint cannot be written stops there, its
# last checkpoint as it was
. "$TOP/tests/kill-at-epoch.sh"
mkdir "$W/r"
(cd "$W/r" && exec fit -q --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" \
	--label gene_interaction --batch-size 32 --epochs 12 --seed 1 -o model.cpz) 2> /dev/null &
if kill_at_epoch $! "$W/r/model.cpz" 1; then
	cp "$W/r/model.cpz" "$W/r/before.cpz"
	blocks=$(($(wc -c < "$W/r/model.cpz") / 1024))
	(ulimit -f "$blocks" && cd "$W/r" && exec fit -q --resume model.cpz) 2> "$W/err"
	rc=$?
	left=$(ls -A "$W/r" | grep -v -x -e model.cpz -e before.cpz)
	if [ "$rc" -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'model.cpz.*File too large' "$W/err" &&
		cmp -s "$W/r/model.cpz" "$W/r/before.cpz" && [ -z "$left" ]; then
		echo "ok - a checkpoint that cannot be written leaves the one before: $(cat "$W/err")"
	else
		echo "not ok - fit --resume with its checkpoint cut short: exit $rc, left [$left]: $(head -c 300 "$W/err")"
	fi
else
	echo "not ok - write errors: the kill did not land mid-run (epoch $killed_at)"
fi

# a full file system (ENOSPC), where a small one can be mounted
mkdir "$W/small"
if mount -t tmpfs -o size=64k tmpfs "$W/small" 2> /dev/null; then
	bad=""
	gaf2go -q --obo "$GO" --gaf "$GAF" --genes "$SGD" -o "$W/small/go.cpz" 2> "$W/err"
	rc=$?
	[ "$rc" -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'No space left' "$W/err" &&
		[ -z "$(ls -A "$W/small")" ] || bad="$bad -o FILE: exit $rc, [$(ls -A "$W/small")] $(cat "$W/err");"
	gaf2go -q --obo "$GO" --gaf "$GAF" --genes "$SGD" > "$W/small/stdout.cpz" 2> "$W/err"
	rc=$?
	[ "$rc" -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q '<stdout>: No space left' "$W/err" ||
		bad="$bad standard output: exit $rc, $(cat "$W/err");"
	umount "$W/small"
	[ -z "$bad" ] && echo "ok - a full file system is reported in one line, no output left" ||
		echo "not ok - a full file system:$bad"
else
	echo "ok - a full file system # SKIP cannot mount a tmpfs here"
fi

# interrupted (SIGTERM, SIGINT): no temporary left behind, an older output
# as it was.  Each program is held mid-write: pert-mask waiting for more
# experiments on a pipe, report waiting for its plotting program.  A
# background job of this shell starts with SIGINT ignored, which the
# programs keep: env gives them its default back.
# wait_for GLOB: until a file matches (at most 10 s)
wait_for() {
	n=0
	while [ $n -lt 200 ]; do
		for f in $1; do [ -e "$f" ] && return 0; done
		sleep 0.05
		n=$((n + 1))
	done
	return 1
}
mkdir "$W/sig"
for sig in TERM INT; do
	rm -rf "$W/sig"/*
	mkfifo "$W/sig/fifo"
	env --default-signal=INT pert-mask -q --graph "$T/cell.cpz" --go "$T/go6281.cpz" -c 16 \
		-o "$W/sig/s.cpz" < "$W/sig/fifo" 2> /dev/null &
	pid=$!
	exec 3> "$W/sig/fifo"
	head -n 200 "$PAIRS" >&3
	caught=0
	wait_for "$W/sig/s.cpz.tmp.*" && caught=1
	kill -s $sig $pid
	wait $pid 2> /dev/null
	rc=$?
	exec 3>&-
	left=$(ls -A "$W/sig" | grep -v -x fifo)
	if [ $caught = 1 ] && [ -z "$left" ] && [ $rc -gt 128 ]; then
		echo "ok - pert-mask killed with SIG$sig mid-write: no output, no temporary (exit $rc)"
	else
		echo "not ok - pert-mask killed with SIG$sig mid-write: exit $rc, caught $caught, left [$left]"
	fi
done
printf '#!/bin/sh\necho $$ > "%s/gp.pid"\nexec sleep 30\n' "$W" > "$W/slow-gnuplot"
chmod +x "$W/slow-gnuplot"
report -q -o "$W/sig/report" "$W/in/pred.cpz" 2> "$W/err" && cp "$W/sig/report/metrics.tsv" "$W/metrics.tsv" ||
	echo "not ok - report: $(cat "$W/err")"
for sig in TERM INT; do
	rm -f "$W/gp.pid"
	env --default-signal=INT report -q --gnuplot "$W/slow-gnuplot" -o "$W/sig/report" "$W/in/pred.cpz" \
		"$W/in/model.cpz" 2> /dev/null &
	pid=$!
	caught=0
	wait_for "$W/gp.pid" && wait_for "$W/sig/report.tmp.*" && caught=1
	kill -s $sig $pid
	wait $pid 2> /dev/null
	rc=$?
	left=$(ls -A "$W/sig" | grep -v -x -e fifo -e report)
	[ -s "$W/gp.pid" ] && kill -0 "$(cat "$W/gp.pid")" 2> /dev/null && left="$left (its plotting program still runs)"
	if [ $caught = 1 ] && [ -z "$left" ] && [ $rc -gt 128 ] && cmp -s "$W/metrics.tsv" "$W/sig/report/metrics.tsv" &&
		! kill -0 "$(cat "$W/gp.pid")" 2> /dev/null; then
		echo "ok - report killed with SIG$sig while plotting: the older report as it was, no temporary (exit $rc)"
	else
		echo "not ok - report killed with SIG$sig while plotting: exit $rc, caught $caught, left [$left]"
	fi
done
