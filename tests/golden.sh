#!/bin/sh
# Golden-file CLI tests.  A .golden file is a shell script of lines:
#
#   pass NAME 'COMMAND'                 must exit 0; stdout must equal
#                                       tests/cli/expected/NAME.out
#   fail NAME STATUS 'TEXT' 'COMMAND'   must exit STATUS with TEXT (a fixed
#                                       string) in its one-line stderr
#   run  NAME 'COMMAND'                 must exit 0 (output not compared)
#
# Commands run in the top directory with FIX (tests/fixtures), CORRUPT
# (tests/corrupt), DATA and a fresh scratch directory TMP.  UPDATE=1
# rewrites the expected files instead of comparing.
set -u
EXPECTED=tests/cli/expected
FIX=tests/fixtures
CORRUPT=tests/corrupt
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-golden.XXXXXX")
export FIX CORRUPT TMP DATA
trap 'rm -rf "$TMP_ROOT"' EXIT

# Each test gets a scratch directory of its own.  Between tests TMP names
# a path nothing can be written under, so a command that expands $TMP when
# its line is read (double quotes without a backslash) fails.
EARLY=/dev/null/TMP-expanded-too-early
fresh() {
	TMP=$TMP_ROOT/$1
	rm -rf "$TMP"
	mkdir -p "$TMP"
	export TMP
}

pass() {
	name=$1 cmd=$2
	fresh "$name"
	pass_ "$name" "$cmd"
	TMP=$EARLY
}

pass_() {
	name=$1 cmd=$2
	out=$(sh -c "$cmd" 2>"$TMP/stderr")
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok - $name: exit $rc: $(head -c 300 "$TMP/stderr")"
		return
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$out" > "$EXPECTED/$name.out"
		echo "ok - $name (updated)"
		return
	fi
	if [ ! -f "$EXPECTED/$name.out" ]; then
		echo "not ok - $name: no $EXPECTED/$name.out (run with UPDATE=1)"
		return
	fi
	if printf '%s\n' "$out" | cmp -s - "$EXPECTED/$name.out"; then
		echo "ok - $name"
	else
		echo "not ok - $name: output differs:"
		printf '%s\n' "$out" | diff "$EXPECTED/$name.out" - | head -20 | sed 's/^/#   /'
	fi
}

fail() {
	fresh "$1"
	fail_ "$@"
	TMP=$EARLY
}

fail_() {
	name=$1 want=$2 text=$3 cmd=$4
	sh -c "$cmd" >/dev/null 2>"$TMP/stderr"
	rc=$?
	lines=$(grep -c '' "$TMP/stderr")
	if [ $rc -ne "$want" ]; then
		echo "not ok - $name: exit $rc, expected $want: $(head -c 300 "$TMP/stderr")"
	elif ! grep -qF -- "$text" "$TMP/stderr"; then
		echo "not ok - $name: message lacks '$text': $(head -c 300 "$TMP/stderr")"
	elif [ "$want" -ne 2 ] && [ "$lines" -ne 1 ]; then
		echo "not ok - $name: $lines lines on stderr, expected one"
	else
		echo "ok - $name"
	fi
}

run() {
	name=$1 cmd=$2
	fresh "$name"
	if sh -c "$cmd" >"$TMP/stdout" 2>"$TMP/stderr"; then
		echo "ok - $name"
	else
		echo "not ok - $name: exit $?: $(head -c 300 "$TMP/stderr")"
	fi
	TMP=$EARLY
}

# Each file in a subshell of its own, so one that stops (an unset variable,
# a syntax error) is reported instead of silently ending the suite.
for f in "$@"; do
	TMP=$EARLY
	( . "./$f"; echo "ok - $f: every test run" ) || echo "not ok - $f stopped (exit $?)"
done
