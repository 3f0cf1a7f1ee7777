#!/bin/sh
# gaf2go on the real files: both GO releases with the 2011 SGD GAF and the
# SGD features table.  Every DAG must pass go_dag_read's invariants (acyclic,
# every term reaches the root, each parent's stratum above its children's,
# contained genes right) and the filter rules (no term with fewer genes
# than asked, none with a child's gene set); the same inputs must give the
# same bytes; compressed and piped inputs the same DAG.  The man page's
# examples run too.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-gaf2go.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CHECK=$O/tests/aids/go-dag-check
GAF=$DATA/sgd_gene_association_2011-12-24.gaf.gz
GENES=$DATA/SGD_features.tab
GO2012=$DATA/go_2012-01-04.obo.gz
GO2022=$DATA/go-basic_2022-07-01_from_GOdb.obo.gz

# build NAME OBO [options...]: $TMP/NAME.cpz, its summary in $TMP/NAME.err
build() {
	name=$1 obo=$2
	shift 2
	gaf2go --obo "$obo" --gaf "$GAF" --genes "$GENES" "$@" -o "$TMP/$name.cpz" 2>"$TMP/$name.err"
}

# check NAME WHAT CHECK-OPTIONS...: the DAG and its rules
check() {
	name=$1 what=$2
	shift 2
	if ! out=$("$CHECK" "$@" -c "$TMP/$name.cpz" 2>&1); then
		echo "not ok - gaf2go $what: $out"
		return 1
	fi
	echo "ok - gaf2go $what: $out"
}

for release in 2012 2022; do
	eval obo=\$GO$release
	if ! build "go$release" "$obo"; then
		echo "not ok - gaf2go GO $release: $(cat "$TMP/go$release.err")"
		continue
	fi
	check "go$release" "GO $release, default filters (acyclic, strata, >= 4 genes, no redundant term)" \
		-m 4 -r contained
	sed 's/^/#   /' "$TMP/go$release.err"
	# the three namespace roots sit under ROOT
	roots=$("$CHECK" -p "$TMP/go$release.cpz" |
		awk -F'\t' '$4 == "ROOT" { print $1 }' | sort | tr '\n' ' ')
	if [ "$roots" = "GO:0003674 GO:0005575 GO:0008150 " ]; then
		echo "ok - gaf2go GO $release: ROOT is above the three namespace roots"
	else
		echo "not ok - gaf2go GO $release: ROOT's children are $roots"
	fi
	# the same inputs give the same bytes
	mv "$TMP/go$release.cpz" "$TMP/first.cpz"
	build "go$release" "$obo"
	if cmp -s "$TMP/first.cpz" "$TMP/go$release.cpz"; then
		echo "ok - gaf2go GO $release: a second run writes the same bytes"
	else
		echo "not ok - gaf2go GO $release: two runs differ"
	fi
	# DCell's order of the filters, and the reference build's reconnection
	build "dcell$release" "$obo" --filters containment,redundancy --min-genes 6 &&
		check "dcell$release" "GO $release, DCell's order (containment 6, redundancy)" \
			-m 6 -r contained || echo "not ok - gaf2go DCell order: $(cat "$TMP/dcell$release.err")"
	build "ref$release" "$obo" --reconnect root --redundancy direct &&
		check "ref$release" "GO $release, tied to namespace roots, direct redundancy" \
			-m 4 -r direct || echo "not ok - gaf2go --reconnect root: $(cat "$TMP/ref$release.err")"
	build "part$release" "$obo" --relations is_a,part_of &&
		check "part$release" "GO $release, is_a and part_of" -m 4 -r contained ||
		echo "not ok - gaf2go is_a,part_of: $(cat "$TMP/part$release.err")"
done

# compressed with zstd, and piped: the same DAG
"$CHECK" -p "$TMP/go2012.cpz" > "$TMP/want.txt"
if command -v zstd >/dev/null 2>&1; then
	gzip -dc "$GAF" | zstd -q -o "$TMP/sgd.gaf.zst"
	gzip -dc "$GO2012" | gaf2go --obo - --gaf "$TMP/sgd.gaf.zst" --genes "$GENES" -q \
		-o "$TMP/piped.cpz" && "$CHECK" -p "$TMP/piped.cpz" > "$TMP/got.txt"
	if cmp -s "$TMP/want.txt" "$TMP/got.txt"; then
		echo "ok - gaf2go reads .zst and standard input to the same DAG"
	else
		echo "not ok - gaf2go from .zst and a pipe gives another DAG"
	fi
else
	echo "ok - gaf2go .zst input # SKIP no zstd program"
fi

# a date cutoff: no annotation at or after it is left
build before2005 "$GO2012" --before 2005-01-01 --filters none
late=$(cpz dump "$TMP/before2005.cpz" gene.date | awk '$1 >= 20050101' | wc -l)
dropped=$(cpz dump "$TMP/before2005.cpz" stats.rows_date)
if [ "$late" -eq 0 ] && [ "$dropped" -gt 10000 ]; then
	echo "ok - gaf2go --before 2005-01-01 drops $dropped rows and keeps no later date"
else
	echo "not ok - gaf2go --before: $late later dates kept, $dropped rows dropped"
fi

# the genome can come from any stream that carries one (here the DAG itself)
if gaf2go --obo "$GO2012" --gaf "$GAF" --genes "$TMP/go2012.cpz" -q -o "$TMP/regenome.cpz" &&
	[ "$(cpz dump -r 0 "$TMP/regenome.cpz" hash)" = "$(cpz dump -r 0 "$TMP/go2012.cpz" hash)" ]; then
	echo "ok - gaf2go takes its genome from a cpz stream: $("$CHECK" -c "$TMP/regenome.cpz")"
else
	echo "not ok - gaf2go --genes STREAM"
fi

# a cell-graph's genome (from 00-pipeline.sh) carries the identifiers that
# name several genes on, so the annotations map, are ambiguous or unmapped
# exactly as with the features table
CELL=$O/test-data/cell.cpz
if [ -f "$CELL" ] && gaf2go --obo "$GO2012" --gaf "$GAF" --genes "$CELL" -q -o "$TMP/cellgenome.cpz"; then
	bad=""
	for f in rows_unmapped rows_ambiguous genes_unmapped rows_kept; do
		a=$(cpz dump -r 1 "$TMP/cellgenome.cpz" stats.$f) b=$(cpz dump -r 1 "$TMP/go2012.cpz" stats.$f)
		[ "$a" = "$b" ] || bad="$bad $f $a, not $b;"
	done
	[ -z "$bad" ] && echo "ok - gaf2go with a cell-graph's genome maps the rows as the table does ($(cpz dump -r 1 "$TMP/cellgenome.cpz" stats.rows_ambiguous) ambiguous)" ||
		echo "not ok - gaf2go with a cell-graph's genome:$bad"
else
	echo "not ok - gaf2go --genes cell.cpz: no cell graph, or it failed"
fi

# ... also on standard input, from a pipe or a file, as a table can be
bad=""
for how in pipe file table; do
	case $how in
	pipe) cat "$TMP/go2012.cpz" | gaf2go --obo "$GO2012" --gaf "$GAF" --genes - -q -o "$TMP/stdin.cpz" ;;
	file) gaf2go --obo "$GO2012" --gaf "$GAF" --genes - -q -o "$TMP/stdin.cpz" < "$TMP/go2012.cpz" ;;
	table) cat "$GENES" | gaf2go --obo "$GO2012" --gaf "$GAF" --genes - -q -o "$TMP/stdin.cpz" ;;
	esac 2> "$TMP/stdin.err" || { bad="$bad $how: $(cat "$TMP/stdin.err");"; continue; }
	[ "$(cpz dump -r 0 "$TMP/stdin.cpz" hash)" = "$(cpz dump -r 0 "$TMP/go2012.cpz" hash)" ] ||
		bad="$bad $how: another genome;"
done
[ -z "$bad" ] && echo "ok - gaf2go --genes - reads a stream or a table from a pipe or a file" ||
	echo "not ok - gaf2go --genes -:$bad"

# one subsystem: DNA repair and its descendants, the term as root; its
# counts (the stats fields and the summary line) are the subtree's
if gaf2go --obo "$GO2012" --gaf "$GAF" --genes "$DATA/SGD_features.tab" --subtree GO:0006281 \
	-o "$TMP/repair.cpz" 2> "$TMP/repair.err" && "$CHECK" -c "$TMP/repair.cpz" > "$TMP/repair.txt" 2>&1 &&
	[ "$(cpz dump -r 1 "$TMP/repair.cpz" term.id | tail -1)" = "GO:0006281" ] &&
	terms=$(cpz dump -r 1 "$TMP/repair.cpz" term.id | wc -l) && [ "$terms" -ge 10 ] &&
	[ "$(cpz dump -r 1 "$TMP/repair.cpz" stats.terms)" -eq "$terms" ] &&
	grep -q "^gaf2go: subtree GO:0006281: $terms terms, " "$TMP/repair.err"; then
	echo "ok - gaf2go --subtree GO:0006281: $(cat "$TMP/repair.txt")"
else
	echo "not ok - gaf2go --subtree GO:0006281: $(cat "$TMP/repair.txt" 2>/dev/null) $(tail -1 "$TMP/repair.err")"
fi

# A row's SGD id decides alone: the SRP RNA SCR1 (S000006491) is not an ORF,
# though SCR1 is also an alias of NTG1 (YAL015C), and a row of MPR1, a gene
# not in S288C, is not RPN11's (whose alias it is)
gzip -dc "$GAF" | awk -F'\t' '$2 == "S000006491" || $3 == "MPR1"' > "$TMP/rna.gaf"
rows=$(grep -c '' "$TMP/rna.gaf")
if gaf2go --obo "$GO2012" --gaf "$TMP/rna.gaf" --genes "$DATA/SGD_features.tab" --filters none \
	-o "$TMP/rna.cpz" 2> "$TMP/rna.err"; then
	echo "not ok - gaf2go kept rows of genes not in the genome: $(cpz dump -r 1 "$TMP/rna.cpz" stats.rows_kept) of $rows"
elif [ "$rows" -ge 10 ] && grep -q "no annotation is left of $rows rows ($rows not in the genome" "$TMP/rna.err"; then
	echo "ok - gaf2go: rows of an RNA gene and of a gene not in S288C are not in the genome ($rows rows)"
else
	echo "not ok - gaf2go, rows of genes not in the genome: $(cat "$TMP/rna.err")"
fi

# rows kept through an alt_id are counted once kept: with the 2022 ontology,
# excluding no evidence keeps more of them than excluding IGI
for e in IGI none; do
	gaf2go -q --obo "$GO2022" --gaf "$GAF" --genes "$DATA/SGD_features.tab" --exclude-evidence $e \
		-o "$TMP/alt.cpz" && cpz dump -r 1 "$TMP/alt.cpz" stats.rows_alt_id
done > "$TMP/alt.txt" 2>&1
a=$(sed -n 1p "$TMP/alt.txt") b=$(sed -n 2p "$TMP/alt.txt")
[ "$a" -gt 0 ] 2>/dev/null && [ "$b" -gt "$a" ] &&
	echo "ok - rows_alt_id counts the kept rows: $a excluding IGI, $b with every code" ||
	echo "not ok - rows_alt_id: $(tr '\n' ' ' < "$TMP/alt.txt")"
