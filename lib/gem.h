/*
 * gem.h - genome-scale metabolic models (yeast-GEM), in their YAML form
 * (read with libyaml) or their tab-separated text, into the metabolism of a
 * cell graph.
 *
 * The YAML model is a document whose top level maps section names to
 * values, as a mapping or as an ordered map (a sequence of one-pair
 * mappings, tagged !!omap, as yeast-GEM and cobrapy write it):
 *
 *   metaData:     defaultLB, defaultUB (used when a reaction gives no bound)
 *   metabolites:  a sequence of {id, name, compartment, ...}
 *   reactions:    a sequence of {id, name, metabolites: {METABOLITE: coefficient},
 *                 lower_bound, upper_bound, gene_reaction_rule, ...}
 *   compartments: {ID: name}
 *
 * Other sections and keys are ignored.  Metabolites and reactions keep the
 * model's order.
 *
 * The text form (yeast-GEM.txt) is a header naming its columns, then a
 * reaction a line: "Rxn name" (the reaction id), "Formula", "Gene-reaction
 * association", "LB" and "UB" (found by name, in any order and case; other
 * columns are ignored).  A formula reads "2 A[c] + B[m] => C[c]": terms
 * joined by " + ", each an optional coefficient and a metabolite
 * NAME[COMPARTMENT], the sides joined by =>, <=> or <= (the side the arrow
 * leaves is consumed).  The table names metabolites only that way, so each
 * gets the id "NAME[COMPARTMENT]", in order of first appearance, and
 * compartments have ids and no names; a metabolite on both sides keeps its
 * net coefficient.  The input is told apart by its first line: a tab means
 * the table (YAML indents with spaces only).
 *
 * In both forms coefficients are signed (negative: consumed); a reaction
 * is reversible when lower_bound < 0 < upper_bound.  Every gene-reaction
 * rule is parsed as a boolean expression (gpr.h); identifiers the genome
 * does not map are treated as present, counted, and listed.  A reaction
 * without a rule is kept and flagged no_genes.
 */
#ifndef CP_GEM_H
#define CP_GEM_H

#include <stddef.h>

#include "cell_graph.h"
#include "cp_base.h"
#include "strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gem_stats {
	size_t metabolites, reactions, compartments;
	size_t rules;		/* reactions with a rule */
	size_t no_genes;	/* reactions without */
	size_t clauses;		/* AND-clauses over all rules */
	size_t max_clauses;	/* the most in one rule */
	size_t unknown;		/* rule identifiers the genome does not map (occurrences) */
	size_t unknown_distinct;
	size_t ambiguous;	/* of the unknown, identifiers shared by several genes */
	size_t rules_always_true;	/* rules left with an empty clause by unknown genes */
	size_t genes;		/* distinct genome genes named in rules */
	/* every rule identifier the genome does not map -> (occurrences << 1 |
	 * ambiguous), owned */
	cp_strmap *ids;
} gem_stats;

void gem_stats_init(gem_stats *st);
void gem_stats_free(gem_stats *st);

/*
 * Read a yeast-GEM model, YAML or text (plain, .gz or .zst; "-" for
 * standard input), into cg->metabolism, arrays in cg->arena; cg->genome
 * must be loaded.  max_clauses bounds each rule's normal form (0:
 * GPR_DEFAULT_MAX_CLAUSES).  st (initialised) gets the counts, or may be
 * NULL.  Errors name the file and line: "yeast-GEM.yml:35151: reaction
 * r_0001: gene_reaction_rule: column 9: expected a gene or '(', found ')'".
 */
int gem_load(cell_graph *cg, const char *path, size_t max_clauses, gem_stats *st, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
