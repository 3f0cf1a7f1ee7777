# pipelines/data.mk - the public data every pipeline reads, checked.
#
#   make -f pipelines/data.mk check-data [DATA=../shared/data]
#
# data-manifest.tsv lists each file with its size, sha256 and official
# source address.  Nothing here downloads: fetch the files from those
# addresses into DATA, then run check-data to confirm they are the same bytes.

DATA ?= ../shared/data
PIPELINES := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DATA_MANIFEST := $(PIPELINES)/data-manifest.tsv

.PHONY: check-data
check-data:
	@test -d "$(DATA)" || { echo "data: no directory $(DATA) (set DATA=...)" >&2; exit 1; }
	@awk -F'\t' '!/^#/ { print $$3 "  " $$1 }' $(DATA_MANIFEST) \
		| (cd "$(DATA)" && sha256sum --quiet --strict -c -) \
		|| { echo "data: $(DATA) differs from $(DATA_MANIFEST) (see above)" >&2; exit 1; }
	@echo "data: $$(grep -vc '^#' $(DATA_MANIFEST)) files in $(DATA) match $(DATA_MANIFEST)"
