#!/bin/sh
# graph-build on the real files: the examples of graph-build(1) run as
# written, then the counts they give are checked against counts made
# independently with awk and grep, or against ranges justified below.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-graph.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
sh tests/man-examples.sh man/man1/graph-build.1 "$TMP" "graph-build(1)"
cd "$TMP/repo" || exit 1
[ -f cell.cpz ] || { echo "not ok - graph-build: the examples made no cell.cpz"; exit 0; }
cpz cat cell.cpz | sed 's/^/# /' | cut -c1-200

check() {	# check NAME VALUE LOW HIGH [WHY]
	if [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then
		echo "ok - graph-build real data: $1 = $2 (in [$3, $4])${5:+: $5}"
	else
		echo "not ok - graph-build real data: $1 = $2, expected [$3, $4]${5:+: $5}"
	fi
}
field() { cpz dump cell.cpz "$1" 2>/dev/null; }
count_ints() { field "$1" | tr '\t' '\n' | grep -c .; }
edges() { echo $(($(count_ints "$1.edge_index") / 2)); }

# Genes: the ORF rows of the table, counted with awk; the design's ~6,600.
orfs=$(awk -F'\t' '$2 == "ORF"' "$DATA/SGD_features.tab" | wc -l)
check "genes" "$(field gene.num_nodes)" "$orfs" "$orfs" "the ORF rows of SGD_features.tab"
check "genes (design)" "$(field gene.num_nodes)" 6500 6700 "about 6,600 nuclear and mitochondrial genes"

# Physical: the distinct unordered pairs of two different ORFs among the
# file's lines, counted with awk, must be exactly the edges.
pairs=$(awk -F'\t' 'NR == FNR { if ($2 == "ORF") orf[$4] = 1; next }
	($1 in orf) && ($2 in orf) && $1 != $2 { k = $1 < $2 ? $1 " " $2 : $2 " " $1; if (!(k in seen)) { seen[k] = 1; n++ } }
	END { print n }' "$DATA/SGD_features.tab" FS=' ' "$DATA/ppi_BIM_biogrid_intact_mint.txt")
check "physical edges" "$(edges physical)" "$pairs" "$pairs" "distinct ORF pairs of the file"
# 9 lines name blocked reading frames or transposon genes: allow 0.1%
check "physical lines dropped, unmapped" "$(field physical.unmapped)" 0 48 "at most 0.1% of 48,286"

# Regulatory: YEASTRACT's documented regulations, names mapped with its own
# table.  Edges at most the lines; genes outside the genome (transposable
# elements, blocked reading frames, tRNA genes) cost at most 3% of lines,
# autoregulation and repeated pairs a few hundred more.
lines=$(wc -l < "$DATA/yeastract_RegulationTwoColumnTable_both.tsv")
check "regulatory lines read" "$(field regulatory.lines)" "$lines" "$lines"
check "regulatory edges" "$(edges regulatory)" $((lines * 95 / 100)) "$lines"
check "regulatory lines dropped, unmapped" "$(field regulatory.unmapped)" 1 $((lines * 3 / 100))
check "regulatory self-loops (autoregulation)" "$(field regulatory.self_loops)" 1 500
check "regulatory direction kept" "$(field directed | sed -n 2p | grep -c 1)" 1 1

# Metabolism: metabolites and reactions counted with grep in the YAML.
mets=$(grep -c '^      - id: "s_' "$DATA/yeastGEM_yeast-GEM.yml")
rxns=$(grep -c '^      - id: "r_' "$DATA/yeastGEM_yeast-GEM.yml")
rules=$(grep -c '^      - gene_reaction_rule: "..*"' "$DATA/yeastGEM_yeast-GEM.yml")
check "metabolites" "$(field metabolite.num_nodes)" "$mets" "$mets"
check "reactions" "$(field reaction.num_nodes)" "$rxns" "$rxns"
check "reactions without genes, flagged" "$(field reaction.no_genes | grep -c 1)" $((rxns - rules)) $((rxns - rules))
# every rule gene is an SGD ORF: nothing unmapped, nothing always true
unknown="no field gpr.unknown"
cpz dump cell.cpz gpr.unknown > /dev/null 2>&1 && unknown=$(field gpr.unknown | grep -c .)
check "rule genes not in the genome" "$unknown" 0 0
# rules are mostly single genes or OR-ed isozymes; the largest has 20 clauses
check "AND-clauses" "$(($(field gpr.clause_ptr | wc -l) - 1))" "$rules" $((rules * 2))
# the genes of the clauses all appear in the rule texts (absorption may drop
# a few accessory subunits: yeast-GEM 9 names 1,161 genes in its rules)
field names > names.tsv
field reaction.rule | tr ' ()' '\n\n\n' | grep -v -e '^and$' -e '^or$' -e '^$' | sort -u > rule-genes
field gpr.gene | sort -un | awk 'NR == FNR { name[NR - 1] = $1; next } { print name[$1] }' names.tsv - | sort > clause-genes
check "clause genes named in rules" "$(comm -23 clause-genes rule-genes | wc -l)" 0 0
check "genes in clauses" "$(wc -l < clause-genes)" 1100 "$(wc -l < rule-genes)"
# signed stoichiometry: every reaction consumes something (exchanges too:
# one metabolite, -1), and most also produce
field stoichiometry.edge_index | sed -n 2p | tr '\t' '\n' > reaction-of
field stoichiometry.coefficient | paste reaction-of - > entries
check "reactions consuming a metabolite" "$(awk '$2 < 0' entries | cut -f1 | sort -u | wc -l)" "$rxns" "$rxns"
check "reactions producing one" "$(awk '$2 > 0' entries | cut -f1 | sort -u | wc -l)" $((rxns * 8 / 10)) "$rxns"

# yeast-GEM's text export gives the same metabolism as its YAML: reactions,
# rules, clauses, bounds and reversibility alike; metabolites, named there
# NAME[COMPARTMENT], the same with the same coefficients up to the text's
# five significant digits.
if graph-build -q -g "$DATA/SGD_features.tab" -m "$DATA/yeastGEM_yeast-GEM.txt" -o txt.cpz 2> err; then
	same=0
	for f in reaction.id reaction.rule reaction.lower_bound reaction.upper_bound reaction.reversible \
		reaction.no_genes gpr.ptr gpr.clause_ptr gpr.gene; do
		cpz dump cell.cpz "$f" > a && cpz dump txt.cpz "$f" > b && cmp -s a b && same=$((same + 1))
	done
	check "text form: reaction and rule fields equal to the YAML's" "$same" 9 9
	check "text form: metabolites" "$(cpz dump txt.cpz metabolite.num_nodes)" "$mets" "$mets"
	for g in cell txt; do
		cpz dump $g.cpz metabolite.name > n && cpz dump $g.cpz metabolite.compartment | paste -d '[' n - > m
		cpz dump $g.cpz reaction.id > r
		cpz dump $g.cpz stoichiometry.coefficient > c
		cpz dump $g.cpz stoichiometry.edge_index | awk -F'\t' -v m=m -v r=r -v c=c '
			BEGIN { while ((getline l < m) > 0) met[k++] = l "]"; k = 0
				while ((getline l < r) > 0) rxn[k++] = l; k = 0
				while ((getline l < c) > 0) coef[k++] = l }
			NR == 1 { n = split($0, a) } NR == 2 { split($0, b); for (i = 1; i <= n; i++)
				print rxn[b[i]] "\t" met[a[i]] "\t" coef[i - 1] }' | sort > $g.st
	done
	check "text form: stoichiometry entries" "$(wc -l < txt.st)" "$(wc -l < cell.st)" "$(wc -l < cell.st)"
	check "text form: entries differing by over 1e-4 (relative) or by metabolite" "$(paste cell.st txt.st |
		awk -F'\t' '$1 != $4 || $2 != $5 || ($3 - $6) * ($3 - $6) > 1e-8 * $3 * $3' | wc -l)" 0 0
else
	echo "not ok - graph-build real data: the text form: $(cat err)"
fi

# BioGRID's UniProt pairs: mapping through --uniprot and converting with
# pipelines/edges.mk give the same edges.
if graph-build -q -g "$DATA/SGD_features.tab" -u "$DATA/yeastGEM_SGD_with_Uniprot.csv" \
	-e biogrid=edges/biogrid_orf.tsv -o orf.cpz 2> err &&
	[ -f ppi.cpz ] && cpz dump ppi.cpz biogrid.edge_index > a && cpz dump orf.cpz biogrid.edge_index > b &&
	cmp -s a b; then
	echo "ok - graph-build real data: BioGRID through --uniprot = through pipelines/edges.mk ($(($(tr '\t' '\n' < a | grep -c .) / 2)) edges)"
else
	echo "not ok - graph-build real data: BioGRID routes differ: $(cat err)"
fi
# STRING indices are 1-based: the database channel then shares many edges
# with the physical network (read 0-based it would share about 200).
cpz dump ppi.cpz string.edge_index | awk 'NR == 1 { n = split($0, s, "\t") } NR == 2 { split($0, t, "\t"); for (i = 1; i <= n; i++) print s[i] " " t[i] }' | sort > string-pairs
field physical.edge_index | awk 'NR == 1 { n = split($0, s, "\t") } NR == 2 { split($0, t, "\t"); for (i = 1; i <= n; i++) print s[i] " " t[i] }' | sort > physical-pairs
check "STRING database edges also physical" "$(comm -12 string-pairs physical-pairs | wc -l)" 5000 50000 "1-based indices"
# the cell-graph reads back whole
if cpz verify -q cell.cpz && printf 'genes\n' | pert-mask -q -g cell.cpz 2> err | cpz verify -q -; then
	echo "ok - graph-build real data: the stream verifies and pert-mask reads it"
else
	echo "not ok - graph-build real data: $(cat err)"
fi
# a yeast-GEM cut short is not a smaller model: its compartments, at the
# end, are missing or partial, and a metabolite then names one not declared
head -c 2000000 "$DATA/yeastGEM_yeast-GEM.yml" > cut1.yml
head -n 125812 "$DATA/yeastGEM_yeast-GEM.yml" > cut2.yml
bad=""
for f in cut1 cut2; do
	if graph-build -q -g "$DATA/SGD_features.tab" -m $f.yml -o $f.cpz 2> err; then
		bad="$bad $f.yml accepted;"
	elif [ -e $f.cpz ] || ! grep -q "^graph-build: $f.yml:[0-9]*: metabolite s_[0-9]*: compartment '[a-z]*'" err; then
		bad="$bad $f.yml: $(cat err);"
	fi
done
[ -z "$bad" ] && echo "ok - graph-build real data: a yeast-GEM cut short is refused (before and inside its compartments)" ||
	echo "not ok - graph-build real data, a cut yeast-GEM:$bad"
