#!/bin/sh
# The data manifest matches the real files, and catches a changed file.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-manifest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
if make -s -f pipelines/data.mk check-data DATA="$DATA" > "$TMP/out" 2>&1; then
	echo "ok - $(cat "$TMP/out")"
else
	echo "not ok - check-data on $DATA: $(tail -3 "$TMP/out")"
fi
# a copy with one byte changed is refused
mkdir "$TMP/data"
for f in $(awk -F'\t' '!/^#/ { print $1 }' pipelines/data-manifest.tsv); do
	ln -s "$DATA/$f" "$TMP/data/$f"
done
rm "$TMP/data/yeastract_orftogene.txt"
sed '2s/./X/' "$DATA/yeastract_orftogene.txt" > "$TMP/data/yeastract_orftogene.txt"
if make -s -f pipelines/data.mk check-data DATA="$TMP/data" > "$TMP/out" 2>&1; then
	echo "not ok - check-data accepted a changed file"
elif grep -q 'yeastract_orftogene.txt: FAILED' "$TMP/out"; then
	echo "ok - check-data names the changed file"
else
	echo "not ok - check-data failed without naming the file: $(cat "$TMP/out")"
fi
# a changed conversion is named as one
rm "$TMP/data/go-basic_2022-07-01_from_GOdb.obo.gz"
printf 'x' > "$TMP/data/go-basic_2022-07-01_from_GOdb.obo.gz"
if ! make -s -f pipelines/data.mk check-data DATA="$TMP/data" > "$TMP/out" 2>&1 &&
	grep -q 'data: go-basic_2022-07-01_from_GOdb.obo.gz is a conversion of a public file' "$TMP/out" &&
	! grep -q 'yeastract_orftogene.txt is a conversion' "$TMP/out"; then
	echo "ok - check-data says a changed file that is a conversion is one"
else
	echo "not ok - check-data on a changed conversion: $(cat "$TMP/out")"
fi
