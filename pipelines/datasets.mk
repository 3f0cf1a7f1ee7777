# pipelines/datasets.mk - every phenotype file in DATA as an experiments TSV.
#
#   make -f pipelines/datasets.mk [DATA=../shared/data] [OUT=out] [DATASETS=$(OUT)/datasets] [-j2]
#
# One experiments TSV per source (see screen2exp(1)): measurements of the
# same genes in the same environment merged, labels NA when missing.  Then
# gi-check(1) derives epsilon = f_ab - f_a f_b for every pair with a
# double-mutant fitness from the Costanzo 2016 single-mutant table and
# compares it with the published epsilon of the same pair:
# $(DATASETS)/gi-check.tsv, with the agreement on stderr.
#
# Sources and decisions:
#   costanzo2016_smf       Data File S1: two environments (26C, 30C); the allele
#                          kind (deletion, DAmP, ts, suppressor) from the strain id
#   dcell_GO_*_{train,test} DCell's Costanzo 2016 subsets, the score being epsilon;
#                          DCell's own train/test files kept apart as given.
#                          dcell_GO_0006281_all_data_2016_0 is not read: its 1,390
#                          scores are all -2.0, a placeholder, not measurements.
#   kuzmin2018_subset      the Data S1 subset: double (and triple) mutant fitness,
#                          std and p-value; the HO (YDL227C) dummy deletion of the
#                          query strains dropped (see screen2exp(1))
#   baryshnikova2010, breslow2008, giaever2002, costanzo2021
#                          single-deletion tables, one environment per growth
#                          column (Giaever's cell-size and shape columns skipped);
#                          their values keep each study's own scale.

DATA ?= ../shared/data
OUT ?= out
DATASETS ?= $(OUT)/datasets
BIN ?= bin

SCREEN2EXP := $(BIN)/screen2exp
GI_CHECK := $(BIN)/gi-check

DATASET_TABLES := costanzo2016_smf kuzmin2018_subset \
	dcell_GO_0006281_train dcell_GO_0006281_test dcell_GO_0000790_train \
	baryshnikova2010 breslow2008 giaever2002 costanzo2021
DATASET_FILES := $(DATASET_TABLES:%=$(DATASETS)/%.tsv)
# the tables with gene pairs, for the derived-interaction check
DATASET_PAIRS := $(filter-out %smf.tsv %2010.tsv %2008.tsv %2002.tsv %2021.tsv,$(DATASET_FILES))

.PHONY: datasets datasets-check
datasets: $(DATASET_FILES) datasets-check

# one rule per source: the input file, the format and its flags
$(DATASETS)/costanzo2016_smf.tsv: $(DATA)/costanzo2016_strain_ids_and_single_mutant_fitness.tsv
$(DATASETS)/costanzo2016_smf.tsv: FORMAT := costanzo2016-smf
$(DATASETS)/kuzmin2018_subset.tsv: $(DATA)/kuzmin2018_S1_subset.tsv
$(DATASETS)/kuzmin2018_subset.tsv: FORMAT := kuzmin2018-subset
$(DATASETS)/dcell_GO_0006281_train.tsv: $(DATA)/dcell_GO_0006281_training_data_2016_0
$(DATASETS)/dcell_GO_0006281_test.tsv: $(DATA)/dcell_GO_0006281_testing_data_2016_0
$(DATASETS)/dcell_GO_0000790_train.tsv: $(DATA)/dcell_GO_0000790_training_data_2016_0
$(DATASETS)/dcell_%.tsv: FORMAT := dcell
$(DATASETS)/baryshnikova2010.tsv: $(DATA)/yp_baryshnikova2010_smf_value.txt
$(DATASETS)/breslow2008.tsv: $(DATA)/yp_breslow_weissman_2008_value.txt
$(DATASETS)/giaever2002.tsv: $(DATA)/yp_giaever_johnston_2002_value.txt
$(DATASETS)/costanzo2021.tsv: $(DATA)/yp_costanzo_andrews_2021_value.txt
$(DATASETS)/baryshnikova2010.tsv $(DATASETS)/breslow2008.tsv $(DATASETS)/giaever2002.tsv \
$(DATASETS)/costanzo2021.tsv: FORMAT := yeastphenome

$(DATASET_FILES): | $(SCREEN2EXP)
	@mkdir -p $(dir $@)
	$(SCREEN2EXP) -f $(FORMAT) -s $(basename $(notdir $@)) -o $@ $<

datasets-check: $(DATASETS)/gi-check.tsv
$(DATASETS)/gi-check.tsv: $(DATASETS)/costanzo2016_smf.tsv $(DATASET_PAIRS) | $(GI_CHECK)
	$(GI_CHECK) -s $< -e 30C -o $@ $(DATASET_PAIRS)

# the programs, built by one make for all of them (a make per program ran
# at once under -j and compiled the same objects together); dcell.mk,
# which includes this file, names its own programs with these
PIPELINE_BINS += $(SCREEN2EXP) $(GI_CHECK)
ifndef PIPELINE_BINS_LATER
$(PIPELINE_BINS) &:
	$(MAKE) BINDIR=$(BIN) all
endif
