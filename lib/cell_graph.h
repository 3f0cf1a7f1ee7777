/*
 * cell_graph.h - the wild-type cell as a heterogeneous graph (kind
 * "cell-graph"): genes, gene-gene relations, and metabolism as a hypergraph
 * of metabolites and reactions tied to genes by gene-reaction rules.
 *
 * Genes are indices into the genome the graph carries (genome.h).  Each
 * relation is a list of edges in canonical form: an undirected edge once,
 * with source < target; a directed edge source -> target (for regulation,
 * transcription factor -> target); no self-loops, no duplicates, sorted by
 * (source, target), so edge ids are stable and a perturbation can name the
 * edges it removes by id.  Beside the edges, an incidence list by gene
 * (CSR) gives the ids of every edge touching a gene, in either direction,
 * ascending: "the edges a deletion removes" is one lookup per gene.
 *
 * Metabolism: metabolites (id, name, compartment), reactions (id, name,
 * bounds, reversibility, the rule as written), the signed stoichiometry as
 * a metabolite-reaction incidence with coefficients (negative: consumed),
 * and each gene-reaction rule in disjunctive normal form (gpr.h): the
 * reaction works while every gene of at least one clause is present.
 * Reactions without genes have no clauses and are flagged (no_genes).
 *
 * Stream layout (cell_graph_write, cell_graph_read):
 *   record "genome"      names, hash, standard, alias.name, alias.gene
 *   record "cell-graph"  gene.num_nodes, gene.identifiers, relations,
 *                        metabolism, metabolite.num_nodes, reaction.num_nodes
 *   record "relation"    one per relation, in the order of `relations`:
 *                        name, directed, NAME.edge_index i32[2, E],
 *                        NAME.weight f32[E] (optional), NAME.incident.ptr
 *                        i64[G+1], NAME.incident.edge i32[2E], NAME.lines,
 *                        NAME.unmapped, NAME.self_loops, NAME.duplicates
 *   record "metabolism"  (when metabolism is true)
 *                        metabolite.id .name .compartment        str[M]
 *                        reaction.id .name .rule                 str[R]
 *                        reaction.lower_bound .upper_bound       f64[R]
 *                        reaction.reversible .no_genes           bool[R]
 *                        stoichiometry.edge_index  i32[2, S]  (metabolite, reaction),
 *                                                  sorted by reaction, then metabolite
 *                        stoichiometry.coefficient f64[S]
 *                        gpr.ptr i64[R+1], gpr.clause_ptr i64[C+1], gpr.gene i32[N]
 *                        gpr.unknown str[]   rule identifiers not in the genome
 *                        compartment.id .name str[K]
 * The fields of a relation are grouped under its name so that `cpz dump
 * cell.cpz physical.edge_index` names one relation.
 */
#ifndef CP_CELL_GRAPH_H
#define CP_CELL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"
#include "genome.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CELL_GRAPH_MAX_RELATIONS 16	/* as PERT_MAX_RELATIONS */
#define CELL_GRAPH_MAX_NAME 64

typedef struct cell_relation {
	const char *name;		/* [A-Za-z0-9_-]+, at most 64 characters */
	int directed;
	int64_t n_edges;
	const int32_t *edge_index;	/* 2 x n_edges: sources, then targets */
	const float *weight;		/* n_edges, or NULL when unweighted */
	const int64_t *incident_ptr;	/* n_genes + 1 */
	const int32_t *incident;	/* 2 x n_edges edge ids, ascending per gene */
	/* how it was built: data lines read, lines dropped for an unmapped
	 * identifier, self-loops and duplicate edges dropped */
	int64_t lines, unmapped, self_loops, duplicates;
} cell_relation;

typedef struct cell_metabolism {
	size_t n_metabolites;
	const char *const *metabolite_id;
	const char *const *metabolite_name;
	const char *const *metabolite_compartment;
	size_t n_reactions;
	const char *const *reaction_id;
	const char *const *reaction_name;
	const char *const *reaction_rule;	/* as written, "" when none */
	const double *lower_bound, *upper_bound;
	const uint8_t *reversible;		/* lower_bound < 0 < upper_bound */
	const uint8_t *no_genes;		/* no rule: no clauses */
	int64_t n_stoichiometry;
	const int32_t *stoichiometry_index;	/* 2 x n: metabolites, then reactions */
	const double *coefficient;
	int64_t n_clauses;
	const int64_t *gpr_ptr;			/* n_reactions + 1: clauses of each reaction */
	const int64_t *clause_ptr;		/* n_clauses + 1: genes of each clause */
	const int32_t *clause_gene;		/* sorted and unique within a clause */
	size_t n_unknown;
	const char *const *unknown;		/* rule identifiers the genome does not map */
	size_t n_compartments;
	const char *const *compartment_id;
	const char *const *compartment_name;
} cell_metabolism;

typedef struct cell_graph {
	genome genome;
	size_t n_relations;
	cell_relation relation[CELL_GRAPH_MAX_RELATIONS];
	int has_metabolism;
	cell_metabolism metabolism;
	/* storage: arrays live in the records (read) or the arena (built) */
	cpz_record genome_rec, graph_rec, metabolism_rec;
	cpz_record relation_rec[CELL_GRAPH_MAX_RELATIONS];
	cp_arena arena;
} cell_graph;

void cell_graph_init(cell_graph *cg);
void cell_graph_free(cell_graph *cg);

/* 1 when name is a valid relation name ([A-Za-z0-9_-]+, at most 64). */
int cell_graph_valid_name(const char *name);
/* Index of the relation called name, -1 when absent. */
int cell_graph_find_relation(const cell_graph *cg, const char *name);

/*
 * Add a relation from n raw gene pairs (indices into cg->genome), with
 * weights or NULL.  The edges are put in canonical form: self-loops and
 * duplicates are dropped (an undirected pair counts once whichever way it
 * is written; a duplicate keeps the largest weight) and counted in the
 * relation's self_loops and duplicates.  Arrays go into cg->arena; the
 * caller may fill lines and unmapped afterwards.  A relation left without
 * edges is an error.
 */
int cell_graph_add_relation(cell_graph *cg, const char *name, int directed, size_t n,
			    const int32_t *src, const int32_t *dst, const float *weight,
			    cp_error *err);

/* Write the genome (with aliases), cell-graph, relation and metabolism
 * records. */
int cell_graph_write(cpz_writer *w, const cell_graph *cg, cp_error *err);

/* Read a cell-graph stream and check every invariant.  The genome, with
 * its identifier table, is rebuilt in cg->genome, and its record kept in
 * cg->genome_rec so a later stream can carry it unchanged. */
int cell_graph_read(const char *path, cell_graph *cg, cp_error *err);

/*
 * The invariants: relation names valid and unique; edge indices in range,
 * no self-loops, undirected edges with source < target, edges strictly
 * sorted (hence no duplicates); weights finite; the incidence lists exactly
 * the edges touching each gene, ascending; metabolite and reaction ids
 * unique; bounds ordered and reversibility agreeing with them;
 * stoichiometry in range, sorted, unique, finite and non-zero; gene-reaction
 * clauses well formed with genes in range, sorted and unique, and a
 * reaction flagged no_genes exactly when it has no clause.  what names the
 * source in messages.
 */
int cell_graph_check(const cell_graph *cg, const char *what, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
