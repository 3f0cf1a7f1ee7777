/*
 * go_build.h - from an ontology (obo.h), a genome (genome.h) and a GAF
 * (gaf.h) to the filtered GO DAG of go_dag.h.
 *
 * 1. The term graph.  Every live term, with its edges of the chosen
 *    relations (is_a, optionally part_of; an edge named twice keeps is_a).
 *    Each namespace's root is its live term named like the namespace
 *    ("biological_process", ...) or else its only term without parents;
 *    any other term without parents is tied to its namespace root by an
 *    is_a edge.  A root term "ROOT" (namespace "root") is added above the
 *    namespace roots.  A cycle is an error that names the terms on it.
 *
 * 2. The annotations.  Each GAF row is mapped, and counted under the first
 *    of these that removes it: its gene (column 2, the SGD id, then column 3,
 *    the symbol, then each synonym of column 11, through genome_lookup; the
 *    first that names one gene wins) not in the genome or ambiguous; its GO
 *    id unknown, or obsolete without a live replaced_by (an obsolete term's
 *    annotations move to every live term its replaced_by chain reaches; an
 *    alt_id counts as its term); a NOT qualifier; an excluded evidence code;
 *    a date on or after the cutoff.  What is left is reduced to one
 *    annotation per (term, gene): the earliest, and among equally early ones
 *    the evidence code first in alphabetical order.
 *
 * 3. The term filters, in the order the options give (each may appear
 *    once; any may be left out).  Whenever a term is removed its children
 *    are reconnected to its parents, so every ancestry is kept (an edge
 *    through a part_of is part_of, else is_a).  ROOT is never removed; the
 *    namespace roots only by containment (a namespace with too few genes).
 *    - direct: remove the terms without direct annotations.  With
 *      GO_RECONNECT_ROOT, edges to removed terms are dropped instead of
 *      passed on, and a term left without a path to its namespace root is
 *      tied to it (the way the reference build does it).
 *    - redundancy: remove a term whose gene set equals one of its
 *      children's (empty sets never match).  With GO_REDUNDANT_CONTAINED
 *      (the default) the sets are the contained genes (its own and its
 *      descendants'): the parent then holds nothing the child does not, so
 *      the parent is the one removed - every remaining term keeps exactly
 *      its contained genes, and the more specific term survives.  With
 *      GO_REDUNDANT_DIRECT the sets are the direct annotations, as in the
 *      reference build, and a term is compared with its nearest remaining
 *      descendants.  The removed term's direct annotations are dropped:
 *      the child's subtree holds them.
 *    - containment: remove terms with fewer than min_genes contained genes.
 *      Their descendants go with them; their direct annotations move up to
 *      the nearest remaining ancestors (true-path rule; ROOT when a whole
 *      namespace goes), so every remaining term keeps its contained genes.
 *
 * 4. Strata (leaves 0; a term's is 1 + its children's largest), terms in
 *    stratum order and by id within a stratum, ROOT last; the result passes
 *    go_dag_check.  No term besides ROOT, or no annotation, is an error.
 */
#ifndef CP_GO_BUILD_H
#define CP_GO_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"
#include "genome.h"
#include "go_dag.h"
#include "obo.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum go_filter {
	GO_FILTER_DIRECT = 0,
	GO_FILTER_REDUNDANCY,
	GO_FILTER_CONTAINMENT,
	GO_FILTER_COUNT
} go_filter;
extern const char *const go_filter_names[GO_FILTER_COUNT];	/* "direct", ... */

typedef enum go_redundancy { GO_REDUNDANT_CONTAINED = 0, GO_REDUNDANT_DIRECT } go_redundancy;
typedef enum go_reconnect { GO_RECONNECT_PARENTS = 0, GO_RECONNECT_ROOT } go_reconnect;

#define GO_BUILD_MAX_EVIDENCE 32

typedef struct go_build_options {
	unsigned relations;		/* bit (1u << go_relation) for each relation kept */
	size_t n_exclude;		/* evidence codes whose annotations are dropped */
	char exclude[GO_BUILD_MAX_EVIDENCE][9];
	int32_t before;			/* keep annotations dated before YYYYMMDD; 0: all */
	int32_t min_genes;		/* containment */
	size_t n_filters;		/* the term filters, in the order they run */
	go_filter filters[GO_FILTER_COUNT];
	go_redundancy redundancy;
	go_reconnect reconnect;
} go_build_options;

/* is_a; exclude IGI; no date cutoff; min_genes 4; direct, redundancy,
 * containment; contained gene sets; reconnect to parents. */
void go_build_defaults(go_build_options *opt);
/* Option parsers: comma-separated lists ("is_a,part_of"; "IGI,IEA";
 * "containment,redundancy"), "" or "none" for an empty list (not for
 * relations); a date YYYY-MM-DD or YYYYMMDD.  -1 with a message on bad text. */
int go_build_set_relations(go_build_options *opt, const char *list, cp_error *err);
int go_build_set_evidence(go_build_options *opt, const char *list, cp_error *err);
int go_build_set_filters(go_build_options *opt, const char *list, cp_error *err);
int go_build_set_before(go_build_options *opt, const char *date, cp_error *err);
/* The options back as text, for usage lines: "is_a", "IGI", "direct,redundancy,containment". */
void go_build_format(const go_build_options *opt, char *relations, char *evidence, char *filters,
		     size_t n);

/* Counts of what each step read, removed and made (go_stat_names). */
typedef enum go_stat {
	GO_STAT_TERMS_READ,		/* [Term] stanzas */
	GO_STAT_TERMS_OBSOLETE,
	GO_STAT_EDGES_READ,		/* edges of the chosen relations between live terms */
	GO_STAT_EDGES_DROPPED,		/* edges (any relation) to obsolete or undefined terms */
	GO_STAT_TIED_AT_START,		/* live terms without parents tied to their namespace root */
	GO_STAT_ROWS,			/* GAF data rows */
	GO_STAT_ROWS_UNMAPPED,		/* gene not in the genome */
	GO_STAT_ROWS_AMBIGUOUS,		/* gene identifier names several genes */
	GO_STAT_GENES_UNMAPPED,		/* distinct column-2 ids of those rows */
	GO_STAT_ROWS_UNKNOWN_TERM,	/* GO id not in the ontology */
	GO_STAT_ROWS_OBSOLETE,		/* obsolete term without a live replacement */
	GO_STAT_ROWS_REPLACED,		/* obsolete term, moved to its replaced_by */
	GO_STAT_ROWS_ALT_ID,		/* written with an alt_id (kept) */
	GO_STAT_ROWS_NOT,		/* NOT qualifier */
	GO_STAT_ROWS_EVIDENCE,		/* excluded evidence code */
	GO_STAT_ROWS_DATE,		/* dated on or after the cutoff */
	GO_STAT_ROWS_KEPT,
	GO_STAT_ANNOTATIONS_UNIQUE,	/* (term, gene) pairs before the term filters */
	GO_STAT_REMOVED_DIRECT,		/* terms removed by each filter */
	GO_STAT_REMOVED_REDUNDANT,
	GO_STAT_REMOVED_CONTAINMENT,
	GO_STAT_TIED_DIRECT,		/* terms tied to their namespace root by the direct filter */
	GO_STAT_ANNOTATIONS_DROPPED,	/* by the redundancy filter */
	GO_STAT_ANNOTATIONS_MOVED,	/* moved up by the containment filter */
	GO_STAT_TERMS,			/* the result, ROOT included */
	GO_STAT_EDGES,
	GO_STAT_LEAVES,
	GO_STAT_STRATA,
	GO_STAT_ANNOTATIONS,
	GO_STAT_GENES_ANNOTATED,	/* genes with a direct annotation */
	GO_STAT_COUNT
} go_stat;
extern const char *const go_stat_names[GO_STAT_COUNT];	/* "terms_read", ... */

/*
 * Build the DAG.  dag is initialised here and owns everything it points to
 * (strings are copied into its arena); free it with go_dag_free.  stats may
 * be NULL.  gaf_path may be "-".  On failure dag is freed and err names the
 * file, line and field, or the terms of a cycle.
 */
int go_build(const obo_ontology *obo, const genome *g, const char *gaf_path,
	     const go_build_options *opt, go_dag *dag, int64_t *stats, cp_error *err);

/* Set the counts that describe a DAG (terms, edges, leaves, strata,
 * annotations, genes annotated) in stats from dag: go_build does for the
 * whole DAG, and a caller that cuts a subtree does again for it. */
void go_build_count(const go_dag *dag, int64_t *stats);

/* Add every count as an integer field "stats.<name>" to rec. */
int go_build_stats_to_record(const int64_t *stats, cpz_record *rec, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
