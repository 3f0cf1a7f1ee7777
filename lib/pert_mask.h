/*
 * pert_mask.h - what deleting genes changes in the wild-type cell, as index
 * lists against it (never a copy of the graph):
 *
 *   edges      for each relation, the edges touching a deleted gene (in
 *              either direction), from the graph's incidence lists;
 *   reactions  those whose gene-reaction rule fails with the deleted genes
 *              set false: every AND-clause has a deleted gene ("(A and B) or
 *              C" survives losing A; "(A or B) and C" does not survive
 *              losing C); only reactions naming a deleted gene are looked at;
 *   terms      with a GO DAG, the terms whose contained genes include a
 *              deleted gene: the terms annotated with it and all their
 *              ancestors, exactly the terms whose DCell input changes.
 *
 * Every list is sorted and unique.  The tables that make this a few lookups
 * per gene (gene -> reactions, gene -> terms) are built once.
 */
#ifndef CP_PERT_MASK_H
#define CP_PERT_MASK_H

#include <stddef.h>
#include <stdint.h>

#include "cell_graph.h"
#include "cp_base.h"
#include "go_dag.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pert_mask pert_mask;

/*
 * Prepare for the graph and, when dag is not NULL, the GO DAG, which must
 * index the same genome (its genome hash equal to the graph's).  Both must
 * outlive the result.  graph_name and dag_name name them in messages.
 */
pert_mask *pert_mask_new(const cell_graph *cg, const char *graph_name, const go_dag *dag,
			 const char *dag_name, cp_error *err);
void pert_mask_free(pert_mask *pm);

/* The context of a samples stream: genome, relations and their edge
 * counts, reactions (-1 without metabolism), terms and the DAG's hash (-1
 * and "" without a DAG), and chunk_size. */
void pert_mask_context(const pert_mask *pm, int64_t chunk_size, pert_context *ctx);

/*
 * Fill e's genes, edges, reactions and terms for deleting the n distinct
 * genes of genes[] (indices into the genome).  e's lists are borrowed: from
 * pm, valid until the next call, or from the graph itself (a single gene's
 * incidence list); e->genes is genes.  e's other fields are left alone.
 */
int pert_mask_apply(pert_mask *pm, const int32_t *genes, size_t n, pert_experiment *e,
		    cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
