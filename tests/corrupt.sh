#!/bin/sh
# The corrupt-stream corpus: every file in tests/corrupt must make
# `cpz verify` and `cpz cat` fail with exit 1 and one line on stderr that
# contains the fragment listed in tests/corrupt/EXPECTED, without crashing
# (sanitizer reports count as crashes).  Usage: corrupt.sh PATH/TO/cpz
set -u
CPZ=${1:-cpz}
DIR=tests/corrupt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-corrupt.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
tag=${CORRUPT_TAG:-}

for f in "$DIR"/*.cpz; do
	name=$(basename "$f")
	want=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$DIR/EXPECTED")
	if [ -z "$want" ]; then
		echo "not ok - corrupt$tag $name: not listed in $DIR/EXPECTED"
		continue
	fi
	for cmd in verify cat; do
		"$CPZ" $cmd "$f" >/dev/null 2>"$TMP/err"
		rc=$?
		lines=$(grep -c '' "$TMP/err")
		if [ $rc -ne 1 ]; then
			echo "not ok - corrupt$tag $cmd $name: exit $rc (want 1): $(head -c 400 "$TMP/err")"
		elif [ "$lines" -ne 1 ]; then
			echo "not ok - corrupt$tag $cmd $name: $lines lines on stderr: $(head -c 400 "$TMP/err")"
		elif ! grep -qF -- "$want" "$TMP/err"; then
			echo "not ok - corrupt$tag $cmd $name: message lacks '$want': $(cat "$TMP/err")"
		else
			echo "ok - corrupt$tag $cmd $name"
		fi
	done
	# the same bytes through a pipe
	"$CPZ" verify - < "$f" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$want" "$TMP/err"; then
		echo "ok - corrupt$tag pipe $name"
	else
		echo "not ok - corrupt$tag pipe $name: exit $rc: $(head -c 400 "$TMP/err")"
	fi
done
# every listed file exists
awk -F'\t' '!/^#/ { print $1 }' "$DIR/EXPECTED" | while read -r name; do
	[ -f "$DIR/$name" ] || echo "not ok - corrupt$tag listed file $name is missing"
done
