# pipelines/dcell.mk - the main job: public yeast data to a report.
#
#   make -f pipelines/dcell.mk [DATA=../shared/data] [OUT=out] [-j2]
#
# Every stage is a target with its inputs, flags and seeds in this file.
# Stages so far: check-data (the inputs are the published bytes).
# Coming: gaf2go -> graph-build -> pert-mask -> batch-pack -> fit -> predict -> report.

DATA ?= ../shared/data
OUT ?= out
BIN ?= bin

include $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))/data.mk

.PHONY: all
all: check-data
	@echo "pipeline: done; outputs in $(OUT)/"
