# pipelines/edges.mk - the public edge files as the lists graph-build reads:
# "gene gene [weight]", one edge a line, tab-separated.
#
#   make -f pipelines/edges.mk [edge-lists] [DATA=../shared/data] [EDGES=out/edges] [-j2]
#
# Files that already have that shape need no conversion and are read in
# place (ppi_BIM_biogrid_intact_mint.txt, ppi_Collins2007.txt, and the BioGRID
# UniProt pairs, whose accessions graph-build maps with --uniprot).  The
# others are converted here with awk:
#
#   yeastract_<set>.tsv  YEASTRACT "TF;target" tables of gene names, mapped to
#                        ORFs with YEASTRACT's own name table (the names it
#                        exported); a name not in that table is kept as
#                        written for graph-build to map.
#   string_<channel>.tsv STRING channels, "i j score" with 1-based indices
#                        into dango_yeast_string_genes.txt (1-based: line i
#                        names gene i; read 0-based, the database channel
#                        would share 194 edges with the physical network
#                        instead of 14,592).
#   biogrid_orf.tsv      the BioGRID UniProt pairs as ORF pairs, through the
#                        yeast-GEM SGD/UniProt table; an accession that table
#                        gives to several ORFs is left as it is (ambiguous),
#                        exactly as graph-build --uniprot treats it.

DATA ?= ../shared/data
EDGES ?= out/edges

YEASTRACT_SETS := both activator inhibitor both_strict
STRING_CHANNELS := database neighborhood cooccurence fusion

EDGE_FILES := $(YEASTRACT_SETS:%=$(EDGES)/yeastract_%.tsv) \
	$(STRING_CHANNELS:%=$(EDGES)/string_%.tsv) $(EDGES)/biogrid_orf.tsv

.PHONY: edge-lists clean-edges
.DELETE_ON_ERROR:

edge-lists: $(EDGE_FILES)

$(EDGES):
	mkdir -p $@

# Name -> ORF from YEASTRACT's table (header "Name ORF"), case-insensitive.
$(EDGES)/yeastract_%.tsv: $(DATA)/yeastract_RegulationTwoColumnTable_%.tsv \
		$(DATA)/yeastract_orftogene.txt | $(EDGES)
	awk -F'\t' 'NR == FNR { if (FNR > 1) orf[toupper($$1)] = $$2; next } \
		{ n = split($$0, f, ";"); if (n != 2) { print FILENAME ":" FNR ": not TF;target" > "/dev/stderr"; exit 1 } \
		  a = toupper(f[1]); b = toupper(f[2]); \
		  print ((a in orf) ? orf[a] : f[1]) "\t" ((b in orf) ? orf[b] : f[2]) }' \
		$(DATA)/yeastract_orftogene.txt $< > $@

# Index i is line i of the gene list (1-based).
$(EDGES)/string_%.tsv: $(DATA)/dango_yeast_string_%_adjacency.txt \
		$(DATA)/dango_yeast_string_genes.txt | $(EDGES)
	awk 'NR == FNR { gene[FNR] = $$1; n = FNR; next } \
		{ if (!($$1 in gene) || !($$2 in gene)) { print FILENAME ":" FNR ": index beyond the " n " genes" > "/dev/stderr"; exit 1 } \
		  print gene[$$1] "\t" gene[$$2] "\t" $$3 }' \
		$(DATA)/dango_yeast_string_genes.txt $< > $@

$(EDGES)/biogrid_orf.tsv: $(DATA)/ppi_biogrid_4.3.195_yeast_c2_positive_uniprot.tsv \
		$(DATA)/yeastGEM_SGD_with_Uniprot.csv | $(EDGES)
	awk 'NR == FNR { if (FNR > 1) { split($$0, f, ","); seen[f[3]]++; orf[f[3]] = f[1] } next } \
		function map(id) { return (id in orf && seen[id] == 1) ? orf[id] : id } \
		{ print map($$1) "\t" map($$2) }' \
		$(DATA)/yeastGEM_SGD_with_Uniprot.csv $< > $@

clean-edges:
	rm -f $(EDGE_FILES)
