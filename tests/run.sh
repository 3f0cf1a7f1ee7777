#!/bin/sh
# Run every test suite and end with one line "N passed, N failed".
#
# Each suite prints TAP-style lines ("ok - name", "not ok - name",
# "ok - name # SKIP why"); this driver counts them.  Called by make check,
# which sets O (object dir), BINDIR, DATA, MAKE, CC and NVCC.
# CHECK_VARIANTS=0 skips the clang/ASan/CUDA build variants.
# TESTS="unit cli" runs only the named suites.

set -u
O=${O:-build}
BINDIR=${BINDIR:-bin}
DATA=${DATA:-../shared/data}
MAKE=${MAKE:-make}
CC=${CC:-cc}
NVCC=${NVCC:-nvcc}
CHECK_VARIANTS=${CHECK_VARIANTS:-1}
TOP=$(pwd)
export O BINDIR DATA TOP

case $BINDIR in /*) ;; *) BINDIR=$TOP/$BINDIR ;; esac
case $O in /*) ;; *) O=$TOP/$O ;; esac
case $DATA in /*) ;; *) DATA=$TOP/$DATA ;; esac
export PATH="$BINDIR:$PATH" BINDIR

LOG=$O/test-log
mkdir -p "$LOG"
RESULTS=$LOG/results
: > "$RESULTS"

suites=${TESTS:-"unit cli docs corrupt formats data variants"}

run_suite() {
	name=$1
	shift
	echo "== $name"
	{ "$@" 2>&1; echo "# suite exit status $?"; } | tee "$LOG/$name.out" |
		grep -E '^(not ok|ok)\b' >> "$RESULTS"
	# a suite that stops early, or before its first result, must not pass
	# unseen
	rc=$(sed -n 's/^# suite exit status //p' "$LOG/$name.out")
	if [ "$rc" != 0 ]; then
		echo "not ok - suite $name exited with status $rc: $(grep -v '^# suite exit' "$LOG/$name.out" | tail -c 300)" |
			tee -a "$LOG/$name.out" >> "$RESULTS"
	elif ! grep -qE '^(not ok|ok)\b' "$LOG/$name.out"; then
		echo "not ok - suite $name printed no results: $(tail -c 300 "$LOG/$name.out")" |
			tee -a "$LOG/$name.out" >> "$RESULTS"
	fi
	grep -E '^not ok' "$LOG/$name.out" | sed 's/^/   FAIL: /'
}

unit_suite() {
	for t in "$O"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
		rc=$?
		echo "$out" | sed -n "s/^\(not ok\|ok\) [0-9]* - \(.*\)/\1 - $n: \2/p; s/^\(not ok\|ok\) [0-9]* # SKIP\(.*\)/ok - $n:\2 # SKIP/p"
		echo "$out" | grep -E '^#|^  ---|message|error' | grep -v '^# *$' | sed 's/^/   /' | head -20
		plan=$(echo "$out" | sed -n 's/^1\.\.\([0-9]*\).*/\1/p' | head -1)
		got=$(echo "$out" | grep -cE '^(not ok|ok) [0-9]')
		if [ $rc -ge 128 ] || [ -z "$plan" ]; then
			echo "not ok - $n: crashed or printed no plan (exit $rc)"
		elif [ "$got" -ne "$plan" ]; then
			echo "not ok - $n: $got results for a plan of $plan (exit $rc)"
		fi
	done
}

for s in $suites; do
	case $s in
	unit) run_suite unit unit_suite ;;
	cli) run_suite cli sh tests/golden.sh tests/cli/*.golden ;;
	docs) run_suite docs sh tests/man-options.sh ;;
	corrupt) run_suite corrupt sh tests/corrupt.sh ;;
	formats) run_suite formats sh tests/formats.sh ;;
	data) run_suite data sh tests/data.sh ;;
	variants)
		if [ "$CHECK_VARIANTS" = 1 ]; then
			run_suite variants sh tests/variants.sh
		fi ;;
	*) echo "not ok - unknown suite $s" | tee -a "$RESULTS" ;;
	esac
done

passed=$(grep -c '^ok' "$RESULTS")
skipped=$(grep -c '# SKIP' "$RESULTS")
failed=$(grep -c '^not ok' "$RESULTS")
passed=$((passed - skipped))
echo
[ "$skipped" -gt 0 ] && echo "($skipped skipped: see $LOG)"
echo "$passed passed, $failed failed" | tee "$LOG/summary"
[ "$failed" -eq 0 ]
