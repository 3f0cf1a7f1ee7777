# pipelines/data.mk - the public data every pipeline reads, checked.
#
#   make -f pipelines/data.mk check-data [DATA=../shared/data]
#
# data-manifest.tsv lists each file with its size, sha256 and official
# source address.  Nothing here downloads: fetch the files from those
# addresses into DATA, then run check-data to confirm they are the same bytes.
# Three rows are "derived from" a public file (a spreadsheet as TSV, a
# Cytoscape session's tables, GO.db's SQLite as OBO): a conversion made
# elsewhere will hold the same values in other bytes, and check-data says so.

DATA ?= ../shared/data
PIPELINES := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DATA_MANIFEST := $(PIPELINES)/data-manifest.tsv
DATA_CHECK_LOG := $(or $(TMPDIR),/tmp)/cellpipe-check-data.$(shell echo $$PPID)

.PHONY: check-data
check-data:
	@test -d "$(DATA)" || { echo "data: no directory $(DATA) (set DATA=...)" >&2; exit 1; }
	@awk -F'\t' '!/^#/ { print $$3 "  " $$1 }' $(DATA_MANIFEST) \
		| (cd "$(DATA)" && sha256sum --quiet --strict -c -) 2>&1 | tee "$(DATA_CHECK_LOG)" >&2; \
	if [ -s "$(DATA_CHECK_LOG)" ]; then \
		sed -n 's/: FAILED$$//p' "$(DATA_CHECK_LOG)" | while read -r f; do \
			awk -F'\t' -v f="$$f" '$$1 == f && $$4 ~ /^derived from/ { print "data: " f \
				" is a conversion of a public file (see the manifest): one made elsewhere may hold the same values in other bytes" }' \
				$(DATA_MANIFEST); \
		done >&2; \
		rm -f "$(DATA_CHECK_LOG)"; \
		echo "data: $(DATA) differs from $(DATA_MANIFEST) (see above)" >&2; exit 1; \
	fi; rm -f "$(DATA_CHECK_LOG)"
	@echo "data: $$(grep -vc '^#' $(DATA_MANIFEST)) files in $(DATA) match $(DATA_MANIFEST)"
