#!/bin/sh
# Every example of the section-1 manual pages runs: the command lines of
# the .EX blocks that start with "$ ", in order, from a copy of the top
# directory's layout (so ../shared/data is the real data and outputs land
# in a scratch directory).
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-man.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/top" "$TMP/shared"
for d in bin formats pipelines tests man lib; do
	ln -s "$TOP/$d" "$TMP/top/$d"
done
ln -s "$O" "$TMP/top/build"
ln -s "$DATA" "$TMP/shared/data"
for page in man/man1/*.1; do
	name=$(basename "$page" .1)
	awk '/^\.EX/ { on = 1; next } /^\.EE/ { on = 0; next }
	     on && /^\$ / { sub(/^\$ /, ""); gsub(/\\-/, "-"); gsub(/\\e/, "\\"); print }' "$page" \
		> "$TMP/$name.sh"
	n=$(grep -c '' "$TMP/$name.sh")
	[ "$n" -gt 0 ] || continue
	if (cd "$TMP/top" && PATH="$BINDIR:$PATH" sh -e "$TMP/$name.sh") > "$TMP/out" 2>&1; then
		echo "ok - $name(1): $n example command lines run"
	else
		echo "not ok - $name(1) examples: $(tail -3 "$TMP/out")"
	fi
done
