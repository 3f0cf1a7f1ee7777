#!/bin/sh
# batch-pack on real experiments: the Kuzmin 2018 subset (pairs, triples)
# and the Costanzo 2016 single mutants, mapped to the SGD genome by the
# test aid exp2samples (as pert-mask would).  For every split method: the
# splits are disjoint as promised, every experiment is accounted for, the
# batches are full but the last of each split, standardized training
# labels have mean 0 and spread 1, and the bytes repeat for the same seed.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-batch.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
AID=$O/tests/aids/exp2samples

"$BINDIR/screen2exp" -q -o "$TMP/kuzmin.tsv" "$DATA/kuzmin2018_S1_subset.tsv" &&
	"$BINDIR/screen2exp" -q -o "$TMP/smf.tsv" \
		"$DATA/costanzo2016_strain_ids_and_single_mutant_fitness.tsv" &&
	"$AID" "$DATA/SGD_features.tab" "$TMP/kuzmin.tsv" "$TMP/kuzmin.cpz" 2000 2>"$TMP/kz.log" &&
	"$AID" "$DATA/SGD_features.tab" "$TMP/smf.tsv" "$TMP/smf.cpz" 2000 2>"$TMP/smf.log"
if [ $? -eq 0 ]; then
	echo "ok - samples from the real tables: $(cat "$TMP/kz.log" "$TMP/smf.log" | sed 's/exp2samples: //' | tr '\n' ' ')"
else
	echo "not ok - samples from the real tables: $(cat "$TMP/kz.log" "$TMP/smf.log")"
fi

# One line per experiment: split, index and its sorted gene indices.
experiments() {
	cpz dump "$1" split > "$TMP/split"
	cpz dump "$1" gene.ptr > "$TMP/ptr"
	cpz dump "$1" gene.idx > "$TMP/idx"
	cpz dump "$1" index > "$TMP/index"
	awk -v SPLIT="$TMP/split" -v PTR="$TMP/ptr" -v IDX="$TMP/idx" -v INDEX="$TMP/index" 'BEGIN {
		while ((getline s < SPLIT) > 0) split_of[++nb] = s
		while ((getline x < IDX) > 0) idx[ni++] = x
		b = 0; base = 0; prev = -1
		while ((getline p < PTR) > 0) {
			if (p == 0) { base += (prev > 0 ? prev : 0); b++; prev = 0; continue }
			genes = ""
			for (k = prev; k < p; k++) genes = genes (k > prev ? "," : "") idx[base + k]
			getline i < INDEX
			print split_of[b] "\t" i "\t" genes
			prev = p
		}
	}'
}

# The promise of each method, checked on every experiment.
disjoint() {
	method=$1
	awk -F'\t' -v method="$method" '
	{ n = split($3, g, ","); s[NR] = $1; set[NR] = $3; size[NR] = n
	  for (i = 1; i <= n; i++) gene[NR, i] = g[i]
	  key = $3; in_split[key, $1] = 1
	  for (i = 1; i <= n; i++) gene_split[g[i], $1] = 1
	  if ($1 == 0 && n >= 2)
		for (o = 1; o <= n; o++) {
			q = ""; for (i = 1; i <= n; i++) if (i != o) q = q "," g[i]
			train_query[n, q] = 1
		}
	}
	END {
		for (r = 1; r <= NR; r++) {
			key = set[r]
			if (method == "random" && in_split[key, 0] + in_split[key, 1] + in_split[key, 2] > 1)
				bad++
			if (method == "gene")
				for (i = 1; i <= size[r]; i++)
					if (gene_split[gene[r, i], 0] + gene_split[gene[r, i], 1] + gene_split[gene[r, i], 2] > 1)
						bad++
			if (method == "pair" && s[r] > 0 && size[r] >= 2) {
				unseen = 0
				for (o = 1; o <= size[r]; o++) {
					q = ""; for (i = 1; i <= size[r]; i++) if (i != o) q = q "," gene[r, i]
					if (!((size[r], q) in train_query)) unseen = 1
				}
				if (!unseen) bad++
			}
		}
		print bad + 0
	}'
}

for spec in "kuzmin random" "kuzmin gene" "kuzmin pair" "smf random" "smf gene"; do
	set -- $spec
	in=$TMP/$1.cpz
	out=$TMP/$1-$2.cpz
	if ! batch-pack -q -s "$2" -b 512 -z -w 4096 -S 7 "$in" -o "$out" 2>"$TMP/err"; then
		echo "not ok - batch-pack -s $2 on $1: $(cat "$TMP/err")"
		continue
	fi
	experiments "$out" > "$TMP/exp"
	bad=$(disjoint "$2" < "$TMP/exp")
	counts=$(cut -f1 "$TMP/exp" | sort | uniq -c | awk '{ printf "%s%s", (NR > 1 ? "/" : ""), $1 }')
	dropped=$(cpz dump "$out" split.dropped)
	input=$(cpz dump "$out" split.input)
	unique=$(cut -f2 "$TMP/exp" | sort -u | wc -l)
	total=$(grep -c '' "$TMP/exp")
	if [ "$bad" -eq 0 ] && [ "$unique" -eq "$total" ] && [ $((total + dropped)) -eq "$input" ]; then
		echo "ok - $1 $2 split: train/val/test $counts, $dropped dropped, disjoint"
	else
		echo "not ok - $1 $2 split: $bad experiments break it; $unique of $total indices unique; $dropped dropped of $input"
	fi
	# full batches but the last of each split
	short=$(cpz cat "$out" | sed -n 's/.*id=str\[\([0-9]*\)\].*split=\([0-9]\).*/\2 \1/p' |
		awk '$2 < 512 { short[$1]++ } END { print (short[0] > 1) + (short[1] > 1) + (short[2] > 1) }')
	[ "$short" -eq 0 ] || echo "not ok - $1 $2: a split has more than one short batch"
done

# standardized training labels: mean 0 and standard deviation 1
experiments "$TMP/kuzmin-random.cpz" | cut -f1 > "$TMP/s"
cpz dump "$TMP/kuzmin-random.cpz" label | paste "$TMP/s" - | awk -F'\t' '
	$1 == 0 && $2 != "nan" { k++; s += $2; s2 += $2 * $2 }
	END { m = s / k; sd = sqrt((s2 - k * m * m) / (k - 1))
	      if (m * m < 1e-8 && (sd - 1) ^ 2 < 1e-8) print "ok - standardized training fitness: mean " m ", sd " sd
	      else print "not ok - standardized training fitness: mean " m ", sd " sd }'

mkdir "$TMP/a" "$TMP/b"
(cd "$TMP/a" && batch-pack -q -s pair -z -w 1000 ../kuzmin.cpz -o x.cpz)
(cd "$TMP/b" && batch-pack -q -s pair -z -w 1000 ../kuzmin.cpz -o x.cpz)
if cmp -s "$TMP/a/x.cpz" "$TMP/b/x.cpz"; then
	echo "ok - the same samples and seed give the same bytes"
else
	echo "not ok - batch-pack is not deterministic"
fi

# a batch must name its experiments: without 'index' every reader refuses it
# (before, predict wrote its rows as not split and fit trained on them)
"$O/tests/aids/cpz-mutate" --drop batch index "$TMP/kuzmin-random.cpz" "$TMP/noindex.cpz" > /dev/null
fit -q --model mean --train "$TMP/noindex.cpz" -o "$TMP/mean.cpz" 2> "$TMP/e1"
r1=$?
fit -q --model mean --train "$TMP/kuzmin-random.cpz" -o "$TMP/mean.cpz" &&
	predict -q --model "$TMP/mean.cpz" "$TMP/noindex.cpz" -o "$TMP/p.cpz" 2> "$TMP/e2"
r2=$?
cpz verify "$TMP/noindex.cpz" > /dev/null 2> "$TMP/e3"
r3=$?
want="record 2 (batch): field 'index': missing"
if [ $r1 -eq 1 ] && [ $r2 -eq 1 ] && [ $r3 -eq 1 ] && [ ! -e "$TMP/p.cpz" ] &&
	grep -qF "$want" "$TMP/e1" && grep -qF "$want" "$TMP/e2" && grep -qF "$want" "$TMP/e3"; then
	echo "ok - a batch without index is refused by fit, predict and cpz verify"
else
	echo "not ok - a batch without index: fit $r1, predict $r2, verify $r3: $(cat "$TMP/e1" "$TMP/e2" "$TMP/e3")"
fi
