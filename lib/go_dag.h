/*
 * go_dag.h - the Gene Ontology DAG as cellpipe uses it (kind "go-dag").
 *
 * Terms are ordered by stratum, leaves (stratum 0) first and the single
 * root last, so the terms of one stratum are contiguous and can be computed
 * together.  A term's stratum is 1 + the largest stratum of its children.
 * Edges go child -> parent (CSR by child).  Genes are indices into the
 * genome the DAG carries; a term's direct genes are those annotated to it
 * after filtering (DCell feeds each term only these; the hierarchy carries
 * the rest), its contained genes those of it and all its descendants.
 *
 * Stream layout (written by go_dag_write, read by go_dag_read):
 *   record "genome":  names, hash
 *   record "go-dag":  term.id term.name term.namespace term.stratum term.contained
 *                     parent.ptr parent.idx parent.relation
 *                     gene.ptr gene.idx gene.evidence gene.date evidence_codes
 *                     stratum.ptr root namespaces relations  (+ any stats.* ints)
 */
#ifndef CP_GO_DAG_H
#define CP_GO_DAG_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum go_namespace {
	GO_BIOLOGICAL_PROCESS = 0,
	GO_MOLECULAR_FUNCTION = 1,
	GO_CELLULAR_COMPONENT = 2,
	GO_ROOT_NAMESPACE = 3,	/* the root added above the three */
	GO_NAMESPACE_COUNT
} go_namespace;

typedef enum go_relation { GO_IS_A = 0, GO_PART_OF = 1, GO_RELATION_COUNT } go_relation;

extern const char *const go_namespace_names[GO_NAMESPACE_COUNT];
extern const char *const go_relation_names[GO_RELATION_COUNT];
#define GO_ROOT_ID "ROOT"

typedef struct go_dag {
	/* the genome the gene indices refer to */
	size_t n_genes;
	const char *const *genes;
	uint64_t genome_hash;

	/* terms, by stratum; the root is the last */
	size_t n_terms;
	const char *const *term_id;
	const char *const *term_name;
	uint8_t *ns;		/* go_namespace */
	int32_t *stratum;
	int32_t *n_contained;	/* genes of the term and its descendants */

	/* child -> parent edges */
	int64_t *parent_ptr;	/* n_terms + 1 */
	int32_t *parent;
	uint8_t *parent_rel;	/* go_relation */

	/* direct annotations: the genes of term t are gene[gene_ptr[t] .. gene_ptr[t+1]),
	 * sorted and unique; the earliest annotation's evidence and date */
	int64_t *gene_ptr;	/* n_terms + 1 */
	int32_t *gene;
	uint8_t *evidence;	/* index into evidence_codes */
	int32_t *date;		/* YYYYMMDD, 0 when unknown */
	size_t n_evidence_codes;
	const char *const *evidence_codes;

	/* the terms of stratum s are stratum_ptr[s] .. stratum_ptr[s+1] - 1 */
	size_t n_strata;
	int64_t *stratum_ptr;
	int32_t root;

	/* storage: arrays live in the records (read) or the arena (built) */
	cpz_record genome_rec, dag_rec;
	cp_arena arena;
} go_dag;

void go_dag_init(go_dag *dag);
void go_dag_free(go_dag *dag);

/* Read a go-dag stream and check every invariant (go_dag_check). */
int go_dag_read(const char *path, go_dag *dag, cp_error *err);
/* Build from a genome record and a go-dag record already read (e.g. from a
 * model stream that embeds its DAG); copies both records and checks every
 * invariant. */
int go_dag_from_records(go_dag *dag, const cpz_record *genome_rec, const cpz_record *dag_rec,
			cp_error *err);
/* Add the go-dag fields to rec (type "go-dag"); the record borrows the arrays. */
int go_dag_to_record(const go_dag *dag, cpz_record *rec, cp_error *err);
/* Write genome and go-dag records to w.  extra, if not NULL, adds fields
 * (e.g. stats.*) to the go-dag record before it is written. */
int go_dag_write(cpz_writer *w, const go_dag *dag,
		 int (*extra)(cpz_record *rec, void *ctx, cp_error *err), void *ctx,
		 cp_error *err);

/*
 * Check the invariants: terms ordered by stratum with stratum_ptr agreeing,
 * the root last and the only term without parents, every parent's stratum
 * above its child's and each stratum exactly 1 + the children's largest
 * (hence acyclic, and every term reaches the root), gene lists sorted,
 * unique and in range, n_contained equal to the union over descendants,
 * term ids unique.  what names the source in messages.
 */
int go_dag_check(const go_dag *dag, const char *what, cp_error *err);

/* The reverse edges: children of each term (CSR by parent, children in
 * ascending order).  Arrays allocated in dag->arena. */
int go_dag_children(go_dag *dag, int64_t **child_ptr, int32_t **child, cp_error *err);

/*
 * The sub-DAG of one term and its descendants, that term becoming the root
 * (namespace "root"), as DCell trains on one subsystem (e.g. GO:0006281,
 * DNA repair).  Terms keep their ids, names, direct annotations and
 * contained genes; strata are recomputed and the terms reordered.  out is
 * initialised here and owns its arrays.
 */
int go_dag_subtree(const go_dag *src, const char *term_id, go_dag *out, cp_error *err);

/* Term index for a GO id, -1 if absent (linear; build a map for many). */
int32_t go_dag_find(const go_dag *dag, const char *id);

#ifdef __cplusplus
}
#endif

#endif
