#!/bin/sh
# Run the examples of a manual page: every line starting with "$ " inside
# its .EX/.EE blocks, in order, with the roff escapes \e and \- turned back
# into \ and -.  They run in ROOT/repo, a stand-in for a checkout beside the
# data: ROOT/shared/data is $DATA and ROOT/repo/pipelines the project's.
# Prints one "ok"/"not ok" line per command; what they write stays there.
#
#   sh tests/man-examples.sh PAGE ROOT LABEL
set -u
page=$1 dir=$2/repo label=$3
mkdir -p "$2/shared" "$dir"
[ -e "$2/shared/data" ] || ln -s "$DATA" "$2/shared/data"
[ -e "$dir/pipelines" ] || ln -s "$(pwd)/pipelines" "$dir/pipelines"
list=$(mktemp "${TMPDIR:-/tmp}/cellpipe-examples.XXXXXX")
trap 'rm -f "$list"' EXIT
awk '/^\.EX/ { on = 1; next } /^\.EE/ { on = 0; next } on && /^\$ / { print substr($0, 3) }' "$page" |
	sed -e 's/\\e/\\/g' -e 's/\\-/-/g' > "$list"
if [ ! -s "$list" ]; then
	echo "not ok - $label: no examples"
	exit 0
fi
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	if (cd "$dir" && sh -c "$cmd" > /dev/null 2> "$list.err"); then
		printf 'ok - %s example %d: %s\n' "$label" "$n" "$(printf '%s' "$cmd" | cut -c1-70)"
	else
		printf 'not ok - %s example %d: %s: %s\n' "$label" "$n" "$cmd" "$(head -c 300 "$list.err")"
	fi
	rm -f "$list.err"
done < "$list"
