#!/bin/sh
# The bad-input corpus.  Each directory tests/corrupt/NAME/ holds bad
# inputs, EXPECTED (lines "FILE<TAB>fragment of the message") and COMMANDS
# (shell commands, one per line, with {} for the file and $OUT for a scratch
# directory outputs may be written to).  Every command on every file must
# exit 1 with one line on stderr containing the fragment, without crashing
# (sanitizer reports count as crashes), and leave nothing in $OUT; a
# message names standard input "<stdin>".
# Runs the programs in $BINDIR; CORRUPT_TAG labels the results.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-corrupt.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
tag=${CORRUPT_TAG:-}
export PATH="$BINDIR:$PATH"

for dir in tests/corrupt/*/; do
	dir=${dir%/}
	set_name=$(basename "$dir")
	[ -f "$dir/EXPECTED" ] && [ -f "$dir/COMMANDS" ] || {
		echo "not ok - corrupt$tag $set_name: needs EXPECTED and COMMANDS"
		continue
	}
	for f in "$dir"/*; do
		name=$(basename "$f")
		case $name in EXPECTED|COMMANDS|README*|*.c|*.sh) continue ;; esac
		want=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$dir/EXPECTED")
		if [ -z "$want" ]; then
			echo "not ok - corrupt$tag $set_name/$name: not listed in EXPECTED"
			continue
		fi
		k=0
		grep -v '^#' "$dir/COMMANDS" | grep -v '^ *$' | while IFS= read -r cmd; do
			k=$((k + 1))
			OUT=$TMP/out
			rm -rf "$OUT" && mkdir -p "$OUT"
			run=$(printf '%s' "$cmd" | sed "s|{}|'$f'|g")
			# stdin from /dev/null: the loop reads the commands from it
			OUT=$OUT sh -c "$run" </dev/null >/dev/null 2>"$TMP/err"
			rc=$?
			lines=$(grep -c '' "$TMP/err")
			left=$(ls -A "$OUT")
			label="corrupt$tag $set_name/$name (command $k)"
			if [ $rc -ne 1 ]; then
				echo "not ok - $label: exit $rc (want 1): $(head -c 400 "$TMP/err")"
			elif [ "$lines" -ne 1 ]; then
				echo "not ok - $label: $lines lines on stderr: $(head -c 400 "$TMP/err")"
			elif grep -qE '^[a-z0-9-]+: -: ' "$TMP/err"; then
				echo "not ok - $label: names standard input '-', not <stdin>: $(cat "$TMP/err")"
			elif ! grep -qF -- "$want" "$TMP/err"; then
				echo "not ok - $label: message lacks '$want': $(cat "$TMP/err")"
			elif [ -n "$left" ]; then
				echo "not ok - $label: left output behind: $left"
			else
				echo "ok - $label"
			fi
		done
	done
	awk -F'\t' '!/^#/ { print $1 }' "$dir/EXPECTED" | while read -r name; do
		[ -f "$dir/$name" ] || echo "not ok - corrupt$tag $set_name: listed file $name is missing"
	done
done
