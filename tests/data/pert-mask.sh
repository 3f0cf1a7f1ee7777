#!/bin/sh
# pert-mask on the real files: the examples of pert-mask(1) run as written
# (the Costanzo 2016 single mutants and DCell's double mutants over the real
# cell graph), then the masks are checked against what the graph says, with
# awk, and memory is checked not to grow with the number of experiments.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-pert.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
sh tests/man-examples.sh man/man1/pert-mask.1 "$TMP" "pert-mask(1)"
cd "$TMP/repo" || exit 1
[ -f smf.cpz ] && [ -f doubles.cpz ] || { echo "not ok - pert-mask: the examples made no streams"; exit 0; }

check() {	# check NAME VALUE LOW HIGH [WHY]
	if [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then
		echo "ok - pert-mask real data: $1 = $2 (in [$3, $4])${5:+: $5}"
	else
		echo "not ok - pert-mask real data: $1 = $2, expected [$3, $4]${5:+: $5}"
	fi
}

# Single mutants: 10,859 strains; the 38 naming genes that are not ORFs of
# the reference genome (merged, deleted or non-ORF features) are skipped.
strains=$(($(wc -l < smf.tsv) - 1))
n=$(cpz dump smf.cpz id | wc -l)
check "single-mutant experiments" "$n" $((strains * 99 / 100)) "$strains" "at most 1% skipped"
# one chunk, for the checks below
pert-mask -q -g cell.cpz -s -c 100000 smf.tsv -o one.cpz
for f in id gene.idx label edge.physical.ptr reaction.ptr reaction.idx; do
	cpz dump one.cpz "$f" > "$f"
done
check "one gene per experiment" "$(wc -l < gene.idx)" "$n" "$n"
# labels are the table's values, NaN where it has NaN, never 0 for missing
paste id label | awk -F'\t' 'NR == FNR { if (FNR > 1) want[$1] = ($4 == "NaN" || $4 == "") ? "nan" : $4 + 0; next }
	{ got = ($2 == "nan") ? "nan" : $2 + 0; w = want[$1]
	  if ((w == "nan") != (got == "nan") || (w != "nan" && (got - w > 1e-6 || w - got > 1e-6))) bad++ }
	END { print bad + 0 }' smf.tsv - > bad
check "fitness labels differing from the table" "$(cat bad)" 0 0
check "fitness labels missing (NaN)" "$(cut -f1 label | grep -c nan)" 1 $((n / 10))
# the physical edges removed are the gene's degree in the graph
cpz dump cell.cpz physical.incident.ptr > incident.ptr
awk 'NR == FNR { ptr[FNR - 1] = $1; next } FILENAME == ARGV[2] { gene[FNR - 1] = $1; next }
	FNR > 1 { g = gene[FNR - 2]; if ($1 - prev != ptr[g + 1] - ptr[g]) bad++ } { prev = $1 }
	END { print bad + 0 }' incident.ptr gene.idx edge.physical.ptr > bad
check "experiments whose removed edges are not the gene's" "$(cat bad)" 0 0
# every reaction removed by a single deletion names the gene in its rule
cpz dump cell.cpz reaction.rule > rules
cpz dump cell.cpz names > names
awk 'FILENAME == ARGV[1] { rule[FNR - 1] = $0; next } FILENAME == ARGV[2] { name[FNR - 1] = $1; next }
	FILENAME == ARGV[3] { gene[FNR - 1] = $1; next } FILENAME == ARGV[4] { removed[FNR - 1] = $1; next }
	FNR > 1 { for (k = prev; k < $1; k++) { total++; if (!index(rule[removed[k]], name[gene[FNR - 2]])) bad++ } }
	{ prev = $1 } END { print bad + 0, total + 0 }' rules names gene.idx reaction.idx reaction.ptr > bad
check "removed reactions whose rule lacks the gene" "$(cut -d' ' -f1 bad)" 0 0
# deleting one gene stops few reactions: isozymes cover most (yeast-GEM 9:
# about 0.4 per deletion); every single-gene rule is hit by its own gene
check "reactions removed by single deletions" "$(cut -d' ' -f2 bad)" 1000 10000
# DCell's double mutants: every pair maps, with its interaction score
pairs=$(wc -l < ../shared/data/dcell_GO_0006281_training_data_2016_0)
check "double-mutant experiments" "$(cpz dump doubles.cpz id | wc -l)" "$pairs" "$pairs"
check "interaction scores present" "$(cpz dump doubles.cpz label | cut -f3 | grep -vc nan)" "$pairs" "$pairs"
check "genes per double" "$(cpz dump doubles.cpz gene.idx | wc -l)" $((2 * pairs)) $((2 * pairs))

# Memory does not grow with the number of experiments: random doubles and
# triples, 20,000 and then 400,000 (a samples stream of about 200 MB).
awk 'function other(g) { return (g + int(rand() * (NR - 1))) % NR + 1 }
	{ name[NR] = $1 }
	END { srand(1); print "genes\tfitness"
	      for (i = 0; i < N; i++) {
		a = int(rand() * NR) + 1; b = other(a); line = name[a] "," name[b]
		if (i % 2) { do c = other(a); while (c == b); line = line "," name[c] }
		print line "\t" rand() } }' N=400000 names > random.tsv
head -20001 random.tsv > random-small.tsv
rss() { pert-mask -v -g cell.cpz "$1" 2>&1 > /dev/null | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p'; }
small=$(rss random-small.tsv)
large=$(rss random.tsv)
if [ -n "$small" ] && [ -n "$large" ] && awk -v s="$small" -v l="$large" 'BEGIN { exit !(l < s * 1.25 + 4) }'; then
	echo "ok - pert-mask real data: peak memory $small MiB for 20,000 experiments, $large MiB for 400,000"
else
	echo "not ok - pert-mask real data: peak memory '$small' MiB for 20,000 experiments, '$large' MiB for 400,000"
fi

# Kuzmin 2018: the allele column holds one entry per gene; pert-mask counts
# the experiments with a ts or DAmP allele as awk recounts them, and -D
# leaves exactly those out.  Four p-values are below single precision's
# normal range (two below its smallest subnormal): counted, not silent.
K=$O/test-data/datasets/kuzmin2018_subset.tsv
if [ -f "$K" ]; then
	want=$(awk -F'\t' 'NR > 1 { n = split($3, a, /[,|]/); d = 1
		for (i = 1; i <= n; i++) if (a[i] != "" && tolower(a[i]) != "deletion") d = 0; if (!d) c++ }
		END { print c + 0 }' "$K")
	rows=$(($(wc -l < "$K") - 1))
	pert-mask -g cell.cpz "$K" -o k.cpz 2> k.log
	got=$(sed -n 's/.*kept \([0-9]*\) experiments whose allele.*/\1/p' k.log)
	check "Kuzmin experiments with a ts or DAmP allele" "${got:-0}" "$want" "$want" "recounted with awk"
	check "of all Kuzmin experiments, those with another allele (%)" $((${got:-0} * 100 / rows)) 5 30
	pert-mask -q -D -g cell.cpz "$K" -o kd.cpz
	check "Kuzmin experiments kept by --deletions-only" "$(cpz dump kd.cpz id | wc -l)" \
		$((rows - want)) $((rows - want))
	tiny=$(awk -F'\t' 'NR > 1 { for (i = 4; i <= 7; i++) if ($i != "NA" && $i != 0 && $i + 0 < 1.17549435e-38 && $i + 0 > -1.17549435e-38) t++ }
		END { print t + 0 }' "$K")
	got=$(sed -n 's/.*: \([0-9]*\) label values* below single precision.*/\1/p' k.log)
	check "Kuzmin labels below single precision's normal range" "${got:-0}" "$tiny" "$tiny" "recounted with awk"
else
	echo "not ok - pert-mask real data: $K is missing (made by 00-pipeline.sh)"
fi
