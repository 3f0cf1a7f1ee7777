#!/bin/sh
# cpz on a real table: the Costanzo 2016 single-mutant fitness file (10,859
# strains) packed by column name and dumped back, value for value.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-data.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
F=$DATA/costanzo2016_strain_ids_and_single_mutant_fitness.tsv

cpz pack -H -f "$F" -k table -r 4096 \
	'strain:str=Strain ID' 'orf:str=Systematic gene name' \
	'fitness26:f64=Single mutant fitness (26°)' 'fitness30:f64=Single mutant fitness (30°)' \
	-o "$TMP/smf.cpz" 2>"$TMP/err"
if [ $? -eq 0 ] && cpz verify -q "$TMP/smf.cpz"; then
	echo "ok - pack the Costanzo 2016 single-mutant table by header name"
else
	echo "not ok - pack the Costanzo 2016 table: $(cat "$TMP/err")"
fi
rows=$(cpz dump "$TMP/smf.cpz" strain | wc -l)
want=$(($(grep -c '' "$F") - 1))
if [ "$rows" -eq "$want" ] && [ "$rows" -gt 10000 ]; then
	echo "ok - all $rows rows come back over $(cpz cat "$TMP/smf.cpz" | grep -c '^\[') records"
else
	echo "not ok - $rows rows read back, $want in the file"
fi
# every fitness value equals the text's value as a double
cpz dump "$TMP/smf.cpz" fitness30 > "$TMP/f30"
tail -n +2 "$F" | cut -f6 | paste - "$TMP/f30" | awk -F'\t' '
	{ a = ($1 == "" || $1 == "NaN") ? "nan" : $1 + 0; b = ($2 == "nan") ? "nan" : $2 + 0
	  if (a != b) { bad++; if (bad < 4) print "# row " NR ": " $1 " vs " $2 } }
	END { if (bad) print "not ok - fitness30 differs in " bad " rows"; else print "ok - fitness30 dumps back exactly (" NR " values)" }'
# a truncated copy of a real stream fails cleanly
size=$(wc -c < "$TMP/smf.cpz")
head -c $((size * 2 / 3)) "$TMP/smf.cpz" > "$TMP/cut.cpz"
if cpz verify "$TMP/cut.cpz" 2>"$TMP/err"; then
	echo "not ok - a truncated real stream verified"
elif grep -q 'truncated' "$TMP/err"; then
	echo "ok - a truncated real stream is reported: $(cat "$TMP/err")"
else
	echo "not ok - truncated real stream: $(cat "$TMP/err")"
fi

# The pipeline's streams verify, format and content, each in one pass over
# the file and one more with its kind's reader
T=$O/test-data
for f in "$T/go.cpz" "$T/cell.cpz" "$T/kuzmin.cpz" "$T/gi6281.batches.cpz"; do
	if out=$(cpz verify "$f" 2>&1) && ! printf '%s' "$out" | grep -q 'not checked'; then
		echo "ok - cpz verify $(basename "$f"): $(printf '%s' "$out" | sed 's/.*: ok: //')"
	else
		echo "not ok - cpz verify $(basename "$f"): $out"
	fi
done
# The README's picture of the cell graph is what cpz prints for it
cpz head -n 2 "$T/cell.cpz" > "$TMP/head"
missing=0
for n in 0 1; do
	line=$(grep "^    \[$n\] " README.md | head -1 | sed 's/^    //')
	grep -qxF "$line" "$TMP/head" || { missing=$((missing + 1)); echo "# README: $line"; }
done
if [ "$missing" -eq 0 ]; then
	echo "ok - the README's cpz cat lines of the cell graph are cpz's"
else
	echo "not ok - $missing of the README's cpz cat lines differ from cpz head $T/cell.cpz:"
	sed 's/^/#   /' "$TMP/head"
fi
