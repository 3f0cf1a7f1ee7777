#!/bin/sh
# The format's test vectors (formats/vectors): each must verify, decode with
# plain `zstd -d`, and print exactly its .txt with `cpz cat -p 100`.  Also
# a dump -> pack -> dump round trip keeps every value bit for bit.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-formats.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
V=formats/vectors

for f in "$V"/*.cpz; do
	name=$(basename "$f" .cpz)
	if cpz verify -q "$f" 2>"$TMP/err"; then
		echo "ok - vector $name verifies"
	else
		echo "not ok - vector $name: $(cat "$TMP/err")"
	fi
	if zstd -dc "$f" > "$TMP/raw" 2>"$TMP/err" && [ -s "$TMP/raw" ]; then
		echo "ok - vector $name decodes with plain zstd -d"
	else
		echo "not ok - vector $name: zstd -d failed: $(cat "$TMP/err")"
	fi
	(cd "$V" && cpz cat -p 100 "$name.cpz") > "$TMP/out" 2>&1
	if cmp -s "$TMP/out" "$V/$name.txt"; then
		echo "ok - vector $name prints as $name.txt"
	else
		echo "not ok - vector $name: cpz cat differs from $name.txt"
		diff "$V/$name.txt" "$TMP/out" | head -10 | sed 's/^/#   /'
	fi
done

# round trip through text: the dump of a packed dump is the same dump
if cpz dump "$V/dtypes.cpz" f32 > "$TMP/f32.tsv" && cpz dump "$V/dtypes.cpz" f64 > "$TMP/f64.tsv" &&
	[ -s "$TMP/f32.tsv" ] && [ -s "$TMP/f64.tsv" ] &&
	cpz pack -f "$TMP/f32.tsv" x:f32 -o "$TMP/x.cpz" && cpz dump "$TMP/x.cpz" x > "$TMP/x.tsv" &&
	cpz pack -f "$TMP/f64.tsv" y:f64 -o "$TMP/y.cpz" && cpz dump "$TMP/y.cpz" y > "$TMP/y.tsv" &&
	cmp -s "$TMP/f32.tsv" "$TMP/x.tsv" && cmp -s "$TMP/f64.tsv" "$TMP/y.tsv"; then
	echo "ok - dump/pack round trip keeps f32 and f64 values ($(grep -c '' "$TMP/f32.tsv") of each)"
else
	echo "not ok - dump/pack round trip failed or changed values"
fi
